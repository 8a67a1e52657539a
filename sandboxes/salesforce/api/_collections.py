"""``/composite/sobjects`` collections: create, update, upsert or delete up to 200 records in one call.

Each record runs in its own savepoint; with ``allOrNone`` one failure rolls the whole batch back and the
other records report ``ALL_OR_NONE_OPERATION_ROLLED_BACK``. Per-record errors use ``statusCode``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from .. import dml
from ..errors import SalesforceError, not_found
from ..ids import is_id, to18
from ..store import spec_of
from ._call import BASE, Call, Reply, method_not_allowed

__all__ = ["collections"]

MAX_RECORDS = 200
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all "
               "records were valid and the request was using AllOrNone header", "fields": []}
Op = Callable[[Any], dict[str, Any]]


def _records(call: Call) -> tuple[list[Any], bool]:
    body = call.body
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "records is required and must be a list")
    if len(records) > MAX_RECORDS:
        raise SalesforceError(400, "EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than "
                              f"{MAX_RECORDS} records into this call")
    return records, bool(body.get("allOrNone"))


def _type_of(record: Any) -> str:
    kind = record.get("attributes", {}).get("type") if isinstance(record, dict) else None
    if not isinstance(kind, str):
        raise SalesforceError(400, "INVALID_TYPE", "Must send a concrete entity type.", [])
    return kind


def _apply(call: Call, items: list[Any], all_or_none: bool, op: Op) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for item in items:
        try:
            with call.state.transaction():
                results.append({**op(item), "success": True, "errors": []})
        except SalesforceError as exc:
            results.append({"success": False, "errors": [exc.item("statusCode")]})
    if all_or_none and not all(r["success"] for r in results):
        results = [r if not r["success"] else {"success": False, "errors": [ROLLED_BACK]} for r in results]
        raise _Abort(results)
    return results


class _Abort(Exception):
    def __init__(self, results: list[dict[str, Any]]) -> None:
        super().__init__("rolled back")
        self.results = results


def _run(call: Call, items: list[Any], all_or_none: bool, op: Op) -> Reply:
    try:
        with call.state.transaction() if all_or_none else contextlib.nullcontext():
            return Reply(200, _apply(call, items, all_or_none, op))
    except _Abort as abort:
        return Reply(200, abort.results)


def _fields_of(rec: Any, *drop: str) -> Any:
    return {k: v for k, v in rec.items() if k not in ("attributes", *drop)} if isinstance(rec, dict) else rec


def _upsert(call: Call, sobject: str, field: str) -> Reply:
    records, all_or_none = _records(call)
    obj = spec_of(sobject)

    def upsert(rec: Any) -> dict[str, Any]:
        body = _fields_of(rec)
        value = body.get(field) if isinstance(body, dict) else None
        if not isinstance(value, str):
            raise SalesforceError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{field}]", [field])
        record_id, created = dml.upsert(call.state, obj.name, field, value, body, BASE)
        return {"id": record_id, "created": created}

    return _run(call, records, all_or_none, upsert)


def _delete(call: Call) -> Reply:
    state = call.state
    ids = [i for i in call.params.get("ids", "").split(",") if i]
    if len(ids) > MAX_RECORDS:
        raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than "
                              f"{MAX_RECORDS} records into this call")

    def remove(record_id: str) -> dict[str, Any]:
        found = state.find(record_id)
        if found is None:
            gone = is_id(record_id) and to18(record_id) in state.recycle
            raise SalesforceError(404, "ENTITY_IS_DELETED" if gone else "INVALID_CROSS_REFERENCE_KEY",
                                  "entity is deleted" if gone else "invalid cross reference id", [])
        dml.delete(state, found[0], record_id)
        return {"id": found[1]["Id"]}

    return _run(call, ids, call.params.get("allOrNone", "false").lower() == "true", remove)


def _update(call: Call) -> Reply:
    records, all_or_none = _records(call)

    def change(rec: Any) -> dict[str, Any]:
        record_id = (rec.get("id") or rec.get("Id")) if isinstance(rec, dict) else None
        if not isinstance(record_id, str):
            raise SalesforceError(400, "MISSING_ARGUMENT", "Id not specified in an update call", [])
        return {"id": dml.update(call.state, _type_of(rec), record_id, _fields_of(rec, "id"))}

    return _run(call, records, all_or_none, change)


def collections(call: Call) -> Reply:
    """Route ``/composite/sobjects[/{type}/{externalIdField}]``."""
    rest = call.segments[2:]
    if rest:
        if len(rest) != 2:
            raise not_found()
        if call.method != "PATCH":
            raise method_not_allowed(call.method, "PATCH")
        return _upsert(call, rest[0], rest[1])
    if call.method == "DELETE":
        return _delete(call)
    if call.method == "PATCH":
        return _update(call)
    if call.method == "POST":
        records, all_or_none = _records(call)
        return _run(call, records, all_or_none,
                    lambda rec: {"id": dml.create(call.state, _type_of(rec), _fields_of(rec))})
    raise method_not_allowed(call.method, "POST,PATCH,DELETE")
