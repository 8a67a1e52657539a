"""``/sobjects`` resources: create, retrieve (``?fields=``), update, delete, upsert and get by external id."""

from __future__ import annotations

from .. import dml
from ..errors import not_found
from ..store import spec_of
from ._call import BASE, Call, Reply, method_not_allowed
from ._describe import describe, describe_global

__all__ = ["sobjects"]


def _fields(call: Call) -> list[str] | None:
    raw = call.params.get("fields")
    return [name for name in raw.split(",") if name.strip()] if raw else None


def _collection(call: Call, name: str) -> Reply:
    obj = spec_of(name)
    if call.method == "GET":
        return Reply(200, {"objectDescribe": {k: v for k, v in describe(obj).items()
                                              if k not in ("fields", "childRelationships", "recordTypeInfos",
                                                           "supportedScopes")}, "recentItems": []})
    if call.method != "POST":
        raise method_not_allowed(call.method, "GET,HEAD,POST")
    with call.state.transaction():
        record_id = dml.create(call.state, obj.name, call.body)
    return Reply(201, {"id": record_id, "success": True, "errors": []},
                 {"Location": f"{BASE}/sobjects/{obj.name}/{record_id}"})


def _row(call: Call, name: str, record_id: str) -> Reply:
    obj = spec_of(name)
    if record_id == "describe" and call.method == "GET":
        return Reply(200, describe(obj))
    if call.method == "GET":
        return Reply(200, dml.wire_record(obj, call.state.get(obj.name, record_id), _fields(call)))
    if call.method == "PATCH":
        with call.state.transaction():
            dml.update(call.state, obj.name, record_id, call.body)
        return Reply(204)
    if call.method == "DELETE":
        with call.state.transaction():
            dml.delete(call.state, obj.name, record_id)
        return Reply(204)
    raise method_not_allowed(call.method, "GET,HEAD,PATCH,DELETE")


def _by_external_id(call: Call, name: str, field: str, value: str) -> Reply:
    obj = spec_of(name)
    spec = obj.field(field)
    if spec is None or not (spec.external_id or spec.name == "Id"):
        raise not_found(f"Provided external ID field does not exist or is not accessible: {field}")
    if call.method == "PATCH":
        with call.state.transaction():
            record_id, created = dml.upsert(call.state, obj.name, spec.name, value, call.body, BASE)
        # API 46.0+: 201 + created:true for an insert, 200 + created:false for an update.
        return Reply(201 if created else 200, {"id": record_id, "success": True, "errors": [], "created": created},
                     {"Location": f"{BASE}/sobjects/{obj.name}/{record_id}"} if created else {})
    matches = [r for r in call.state.rows(obj.name) if r[spec.name] == value]
    if spec.name == "Id":
        matches = [call.state.get(obj.name, value)]
    if not matches:
        raise not_found()
    if len(matches) > 1:
        raise dml.MultipleMatches([f"{BASE}/sobjects/{obj.name}/{r['Id']}" for r in matches])
    if call.method == "GET":
        return Reply(200, dml.wire_record(obj, matches[0], _fields(call)))
    if call.method == "DELETE":
        with call.state.transaction():
            dml.delete(call.state, obj.name, matches[0]["Id"])
        return Reply(204)
    raise method_not_allowed(call.method, "GET,HEAD,PATCH,DELETE")


def sobjects(call: Call) -> Reply:
    """Route ``/sobjects/...`` by the number of path segments."""
    rest = call.segments[1:]
    if not rest:
        if call.method != "GET":
            raise method_not_allowed(call.method, "GET,HEAD")
        return Reply(200, describe_global())
    if len(rest) == 1:
        return _collection(call, rest[0])
    if len(rest) == 2:
        return _row(call, rest[0], rest[1])
    if len(rest) == 3:
        return _by_external_id(call, rest[0], rest[1], rest[2])
    raise not_found()
