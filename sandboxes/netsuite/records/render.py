"""Records as NetSuite's REST record service answers them: links, references with refName, sublists.

A reference reads ``{"links": [{"rel": "self", "href": ".../record/v1/customer/5"}], "id": "5",
"refName": "Acme"}``. A sublist is a link to its sub-resource unless ``expandSubResources=true`` asks for
its lines inline as a collection (``links``, ``count``, ``hasMore``, ``items``, ``offset``,
``totalResults``).
"""

from __future__ import annotations

from typing import Any

from .business import derived
from .store import NetSuiteState
from .types import CURRENCIES, FREE_REFS, RECORD_TYPES

__all__ = ["collection", "ref_name", "render_record", "render_sublist"]

_DATES = {"created": ("dateCreated", "createdDate"), "modified": ("lastModifiedDate",)}


def _link(href: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": href}]


def ref_name(state: NetSuiteState, ref: dict[str, Any]) -> str | None:
    """The display name NetSuite gives a referenced record."""
    if ref["$ref"] == "currency":
        return CURRENCIES.get(str(ref["id"]))
    if ref["$ref"] not in RECORD_TYPES:
        return FREE_REFS.get(ref["$ref"]) or None
    target = state.records[ref["$ref"]].get(ref["id"])
    if target is None:
        return None
    f = target["fields"]
    if target["type"] == "customer":
        person = " ".join(p for p in (f.get("firstName"), f.get("lastName")) if p)
        return f.get("entityId") or f.get("companyName") or person or None
    if target["type"] == "account":
        return f"{f.get('acctNumber')} {f.get('acctName')}".strip()
    if RECORD_TYPES[target["type"]].table == "item":
        return f.get("itemId")
    return f"{_TITLES.get(target['type'], target['type'])} #{f.get('tranId')}"


_TITLES = {"salesOrder": "Sales Order", "invoice": "Invoice", "creditMemo": "Credit Memo",
           "customerPayment": "Payment", "journalEntry": "Journal"}


def _value(state: NetSuiteState, base: str, value: Any) -> Any:
    if isinstance(value, dict) and "$ref" in value:
        kind = value["$ref"] if value["$ref"] in RECORD_TYPES or value["$ref"] in FREE_REFS else "customList"
        out: dict[str, Any] = {"links": _link(f"{base}/record/v1/{kind}/{value['id']}"), "id": value["id"]}
        name = ref_name(state, value)
        if name:
            out["refName"] = name
        return out
    return value


def render_sublist(state: NetSuiteState, base: str, record: dict[str, Any], name: str) -> dict[str, Any]:
    """A sublist's lines as a collection."""
    href = f"{base}/record/v1/{record['type']}/{record['id']}/{name}"
    lines = record["sublists"].get(name, [])
    items = [{"links": [], **{k: _value(state, base, v) for k, v in line.items()}} for line in lines]
    return {"links": _link(href), "count": len(items), "hasMore": False, "items": items, "offset": 0,
            "totalResults": len(items)}


def render_record(state: NetSuiteState, base: str, record: dict[str, Any], *, expand: bool = False,
                  only: set[str] | None = None) -> dict[str, Any]:
    """The GET body of one record (``only`` limits body fields as the ``fields`` parameter does)."""
    href = f"{base}/record/v1/{record['type']}/{record['id']}"
    body: dict[str, Any] = {"links": _link(href), "id": record["id"]}
    values = {**record["fields"], **derived(state, record)}
    for stamp, names in _DATES.items():
        for name in names:
            if name in RECORD_TYPES[record["type"]].fields:
                values[name] = record[stamp]
    for key, value in sorted(values.items()):
        if value is not None and (only is None or key in only):
            body[key] = _value(state, base, value)
    for name in RECORD_TYPES[record["type"]].sublists:
        if only is not None and name not in only:
            continue
        if expand:
            body[name] = render_sublist(state, base, record, name)
        else:
            body[name] = {"links": _link(f"{href}/{name}")}
    return body


def collection(items: list[dict[str, Any]], href: str, limit: int, offset: int, total: int) -> dict[str, Any]:
    """A paged collection with NetSuite's navigation links (``previous``, ``first``, ``next``, ``last``, ``self``)."""
    sep = "&" if "?" in href else "?"

    def page(at: int) -> str:
        return f"{href}{sep}limit={limit}&offset={at}"

    links = []
    if offset > 0:
        links += [{"rel": "previous", "href": page(max(0, offset - limit))}, {"rel": "first", "href": page(0)}]
    if offset + limit < total:
        last = ((total - 1) // limit) * limit
        links += [{"rel": "next", "href": page(offset + limit)}, {"rel": "last", "href": page(last)}]
    links.append({"rel": "self", "href": page(offset)})
    return {"links": links, "count": len(items), "hasMore": offset + len(items) < total, "items": items,
            "offset": offset, "totalResults": total}
