"""Record operations: create, update (PATCH), upsert by external id, delete, transform.

Each operation parses the body, applies it to a working copy, runs the business rules and only then
stores the result, so a refused request changes nothing.

Sublist updates follow NetSuite: a line carrying the ``line`` number of an existing line updates that line;
other lines are added; ``?replace=item`` (comma-separated sublist names) replaces the listed sublists.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import NetSuiteError, user_error
from .business import finish, invoice_remaining, money
from .store import NetSuiteState
from .types import RECORD_TYPES
from .values import parse_body

__all__ = ["create", "delete", "transform", "update", "upsert"]

# (source type, target type) -> fields copied onto the new record
_TRANSFORMS = {("salesOrder", "invoice"): ("entity", "currency", "subsidiary", "memo", "otherRefNum"),
               ("invoice", "creditMemo"): ("entity", "currency", "subsidiary"),
               ("invoice", "customerPayment"): ("currency", "subsidiary")}


def create(state: NetSuiteState, rtype: str, body: Any, *, strict: bool, external_id: str | None = None,
           base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create a record; returns it as stored."""
    parsed = parse_body(state, RECORD_TYPES[rtype], body, strict=strict)
    fields = {**(base or {}).get("fields", {}), **parsed.fields}
    if external_id is not None:
        fields["externalId"] = external_id
    _unique_external_id(state, rtype, fields.get("externalId"), None)
    sublists = {**(base or {}).get("sublists", {}), **parsed.sublists}
    record = {"id": str(state.counters.get(RECORD_TYPES[rtype].table, 0) + 1), "type": rtype,
              "fields": fields, "sublists": {k: _numbered(v) for k, v in sublists.items()}}
    finish(state, record)
    return state.add(rtype, record["fields"], record["sublists"])


def update(state: NetSuiteState, record: dict[str, Any], body: Any, *, strict: bool,
           replace: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Apply a PATCH body to a record."""
    parsed = parse_body(state, RECORD_TYPES[record["type"]], body, strict=strict)
    work = copy.deepcopy(record)
    work["fields"].update(parsed.fields)
    _unique_external_id(state, record["type"], work["fields"].get("externalId"), record["id"])
    for name, lines in parsed.sublists.items():
        existing = [] if name in replace else work["sublists"].get(name, [])
        work["sublists"][name] = _merge(existing, lines)
    for name in replace - parsed.sublists.keys():
        if name in work["sublists"]:
            work["sublists"][name] = []
    finish(state, work)
    work["modified"] = state.now()
    state.replace(record, work)
    return record


def upsert(state: NetSuiteState, rtype: str, external_id: str, body: Any, *, strict: bool,
           replace: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Create the record with this external id, or update the one that has it."""
    if isinstance(body, dict) and body.get("externalId") not in (None, external_id):
        raise user_error("The externalId in the body differs from the one in the URL.", "externalId")
    existing = state.by_external_id(rtype, external_id)
    if existing is None:
        return create(state, rtype, body, strict=strict, external_id=external_id)
    return update(state, existing, body, strict=strict, replace=replace)


def delete(state: NetSuiteState, record: dict[str, Any]) -> None:
    """Delete a record nothing else refers to."""
    if state.referrers(record):
        raise user_error("This record cannot be deleted because it has dependent records.")
    state.remove(record)


def transform(state: NetSuiteState, source: dict[str, Any], target: str, body: Any, *,
              strict: bool) -> dict[str, Any]:
    """Create ``target`` from ``source`` (``salesOrder/!transform/invoice`` and friends)."""
    copied = _TRANSFORMS.get((source["type"], target))
    if copied is None:
        raise NetSuiteError(400, f"The transformation of {source['type']} to {target} is not supported.",
                            "INVALID_PARAMETER")
    ref = {"$ref": source["type"], "id": source["id"]}
    fields = {k: source["fields"][k] for k in copied if source["fields"].get(k) is not None}
    sublists: dict[str, list[dict[str, Any]]] = {}
    if target == "customerPayment":
        fields["customer"] = source["fields"]["entity"]
        remaining = money(invoice_remaining(state, source))
        fields["payment"] = remaining
        sublists["apply"] = [{"doc": ref, "apply": True, "amount": remaining}]
    else:
        fields["createdFrom"] = ref
        sublists["item"] = [{k: v for k, v in line.items() if k in ("item", "quantity", "rate", "amount",
                                                                   "description")}
                            for line in source["sublists"].get("item", []) if not line.get("isClosed")]
        if not sublists["item"] and source["sublists"].get("item"):
            raise user_error(f"You cannot create a {target} from a closed {source['type']}.")
    return create(state, target, body if body is not None else {}, strict=strict,
                  base={"fields": fields, "sublists": sublists})


def _unique_external_id(state: NetSuiteState, rtype: str, external_id: Any, own_id: str | None) -> None:
    if external_id in (None, ""):
        return
    other = state.by_external_id(rtype, external_id)
    if other is not None and other["id"] != own_id:
        raise user_error(f"A record with the external ID '{external_id}' already exists.", "externalId")


def _numbered(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**line, "line": index} for index, line in enumerate(lines, start=1)]


def _merge(existing: list[dict[str, Any]], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = [dict(line) for line in existing]
    by_number = {int(line["line"]): line for line in merged}
    next_number = max(by_number, default=0) + 1
    for line in lines:
        number = line.get("line")
        if number is not None and int(number) in by_number:
            target = by_number[int(number)]
            if "quantity" in line or "rate" in line:
                target.pop("amount", None)
            target.update(line)
            target["line"] = int(number)
        else:
            merged.append({**line, "line": next_number})
            next_number += 1
    return merged
