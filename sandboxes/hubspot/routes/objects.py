"""Basic object routes: ``/crm/v3/objects/{objectType}`` list and create, ``/{objectId}`` read, update, archive."""

from __future__ import annotations

from typing import Any

from ..errors import validation
from ..records import archive, check_id_property, create, get, render, update, validate
from ..wire import Call, Result, endpoint
from ._common import as_requested, create_associations

__all__ = ["ROUTES"]

BASE = "/crm/v3/objects/{objectType:str}"


def _body(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise validation("Invalid input JSON on line 1, column 1: the body must be an object with properties")
    return call.body


def create_one(call: Call) -> Result:
    object_type = call.object_type()
    body = _body(call)
    record = create(call.state, object_type, validate(call.state, object_type, body.get("properties")))
    create_associations(call, object_type, record["id"], body.get("associations"))
    return 201, render(call.state, object_type, record)


def list_page(call: Call) -> Result:
    object_type = call.object_type()
    limit = call.integer("limit", default=10, cap=100)
    after = call.text("after")
    if after is not None and not after.isdigit():
        raise validation(f"Invalid paging cursor: {after}", context={"after": [after]})
    archived = call.flag("archived")
    records = sorted((r for r in call.state.objects[object_type].values() if r["archived"] == archived),
                     key=lambda r: int(r["id"]))
    if after is not None:
        records = [r for r in records if int(r["id"]) >= int(after)]
    page, rest = records[:limit], records[limit:]
    body: dict[str, Any] = {"results": [as_requested(call, object_type, r) for r in page]}
    if rest:
        cursor = rest[0]["id"]
        body["paging"] = {"next": {"after": cursor,
                                   "link": f"{call.base_url}/crm/v3/objects/{call.path['objectType']}?after={cursor}"}}
    return 200, body


def _target(call: Call) -> tuple[str, dict[str, Any]]:
    object_type = call.object_type()
    id_property = call.text("idProperty")
    check_id_property(call.state, object_type, id_property)
    return object_type, get(call.state, object_type, call.path["objectId"], id_property, call.flag("archived"))


def read_one(call: Call) -> Result:
    object_type, record = _target(call)
    return 200, as_requested(call, object_type, record)


def update_one(call: Call) -> Result:
    object_type = call.object_type()
    id_property = call.text("idProperty")
    check_id_property(call.state, object_type, id_property)
    record = get(call.state, object_type, call.path["objectId"], id_property)
    update(call.state, object_type, record, validate(call.state, object_type, _body(call).get("properties")))
    return 200, render(call.state, object_type, record)


def archive_one(call: Call) -> Result:
    object_type = call.object_type()
    record = call.state.objects[object_type].get(call.path["objectId"])
    if record is not None:
        archive(call.state, object_type, record)
    return 204, None


ROUTES = [
    endpoint("GET", BASE, list_page, "GetObjectsPage"),
    endpoint("POST", BASE, create_one, "CreateObject"),
    endpoint("GET", BASE + "/{objectId:str}", read_one, "GetObjectById"),
    endpoint("PATCH", BASE + "/{objectId:str}", update_one, "UpdateObject"),
    endpoint("DELETE", BASE + "/{objectId:str}", archive_one, "ArchiveObject"),
]
