"""Record service v1: ``/services/rest/record/v1/{type}[/{id | eid:externalId}[/{sublist}]]`` and transforms.

Writes answer ``204 No Content`` with a ``Location`` header naming the record, as NetSuite does; reads
answer the record (``expandSubResources=true`` inlines sublists, ``fields=a,b`` limits body fields); the
list answers a paged collection of ``{"links", "id"}``.
"""

from __future__ import annotations

from typing import Any

from ..errors import NetSuiteError, nonexistent
from ..records import RECORD_TYPES, NetSuiteState, canonical_type, collection, ops, render_record, render_sublist
from ..wire import Call, Reply, endpoint

__all__ = ["ROUTES", "page_params", "record_type"]

ROOT = "/services/rest/record/v1"


def record_type(name: str) -> str:
    """The canonical record type named in the URL, or NetSuite's error for an unknown one."""
    found = canonical_type(name)
    if found is None:
        raise NetSuiteError(400, f"Record type '{name}' does not exist.", "INVALID_RCRD_TYPE")
    return found


def _lookup(state: NetSuiteState, rtype: str, key: str) -> dict[str, Any]:
    if key.startswith("eid:"):
        found = state.by_external_id(rtype, key[4:])
        if found is None:
            raise nonexistent()
        return found
    return state.get(rtype, key)


def _location(call: Call, record: dict[str, Any]) -> Reply:
    return Reply(status=204, headers={"Location": f"{call.base}/record/v1/{record['type']}/{record['id']}"})


def _replace(call: Call) -> frozenset[str]:
    return frozenset(name.strip() for name in call.query.get("replace", "").split(",") if name.strip())


def page_params(call: Call, default: int = 1000) -> tuple[int, int]:
    """``limit`` (1..1000) and ``offset`` (>= 0) query parameters, with NetSuite's error when invalid."""
    values = {}
    for name, fallback in (("limit", default), ("offset", 0)):
        raw = call.query.get(name)
        if raw is None:
            values[name] = fallback
            continue
        if not raw.isdigit() or (name == "limit" and not 1 <= int(raw) <= 1000):
            raise NetSuiteError(400, f"Invalid value for the query parameter '{name}': {raw}.",
                                "INVALID_PARAMETER", query_param=name)
        values[name] = int(raw)
    return values["limit"], values["offset"]


def create(call: Call) -> Reply:
    rtype = record_type(call.path["rtype"])
    return _location(call, ops.create(call.state, rtype, call.body, strict=call.strict))


def read(call: Call) -> Reply:
    record = _lookup(call.state, record_type(call.path["rtype"]), call.path["key"])
    only = {f.strip() for f in call.query["fields"].split(",")} if call.query.get("fields") else None
    expand = call.query.get("expandSubResources", "false").lower() == "true"
    return Reply(render_record(call.state, call.base, record, expand=expand, only=only))


def read_sublist(call: Call) -> Reply:
    rtype = record_type(call.path["rtype"])
    record = _lookup(call.state, rtype, call.path["key"])
    if call.path["sublist"] not in RECORD_TYPES[rtype].sublists:
        raise NetSuiteError(404, f"The sub-resource '{call.path['sublist']}' does not exist.", "NONEXISTENT_ID")
    return Reply(render_sublist(call.state, call.base, record, call.path["sublist"]), kind="collection")


def patch(call: Call) -> Reply:
    record = _lookup(call.state, record_type(call.path["rtype"]), call.path["key"])
    return _location(call, ops.update(call.state, record, call.body, strict=call.strict, replace=_replace(call)))


def put(call: Call) -> Reply:
    rtype, key = record_type(call.path["rtype"]), call.path["key"]
    if not key.startswith("eid:") or len(key) == 4:
        raise NetSuiteError(405, "PUT is supported only for upserts by external ID (eid:<externalId>).",
                            "INVALID_PARAMETER")
    record = ops.upsert(call.state, rtype, key[4:], call.body, strict=call.strict, replace=_replace(call))
    return _location(call, record)


def remove(call: Call) -> Reply:
    ops.delete(call.state, _lookup(call.state, record_type(call.path["rtype"]), call.path["key"]))
    return Reply(status=204)


def transform(call: Call) -> Reply:
    source = _lookup(call.state, record_type(call.path["rtype"]), call.path["key"])
    target = record_type(call.path["target"])
    return _location(call, ops.transform(call.state, source, target, call.body, strict=call.strict))


def list_(call: Call) -> Reply:
    rtype = record_type(call.path["rtype"])
    if call.query.get("q"):
        raise NetSuiteError(400, "Record list filtering with 'q' is not supported by this sandbox; use SuiteQL.",
                            "INVALID_PARAMETER", query_param="q")
    limit, offset = page_params(call)
    records = list(call.state.records[rtype].values())
    items = [{"links": [{"rel": "self", "href": f"{call.base}/record/v1/{rtype}/{r['id']}"}], "id": r["id"]}
             for r in records[offset:offset + limit]]
    return Reply(collection(items, f"{call.base}/record/v1/{rtype}", limit, offset, len(records)),
                 kind="collection")


ROUTES = [
    endpoint("POST", f"{ROOT}/{{rtype:str}}", create, "createRecord"),
    endpoint("GET", f"{ROOT}/{{rtype:str}}", list_, "listRecords"),
    endpoint("GET", f"{ROOT}/{{rtype:str}}/{{key:str}}", read, "getRecord"),
    endpoint("PATCH", f"{ROOT}/{{rtype:str}}/{{key:str}}", patch, "updateRecord"),
    endpoint("PUT", f"{ROOT}/{{rtype:str}}/{{key:str}}", put, "upsertRecord"),
    endpoint("DELETE", f"{ROOT}/{{rtype:str}}/{{key:str}}", remove, "deleteRecord"),
    endpoint("GET", f"{ROOT}/{{rtype:str}}/{{key:str}}/{{sublist:str}}", read_sublist, "getSublist"),
    endpoint("POST", f"{ROOT}/{{rtype:str}}/{{key:str}}/!transform/{{target:str}}", transform, "transformRecord"),
]
