"""Associations v4: default and labelled associate, list, remove, and the batch forms."""

from __future__ import annotations

from typing import Any

from ..associations import associate, associate_default, dissociate, linked, parse_specs, v4_types
from ..errors import validation
from ..schema import OBJECT_TYPES
from ..values import iso_ms
from ..wire import Call, Result, endpoint
from ._common import inputs

__all__ = ["ROUTES"]

V4 = "/crm/v4/objects/{objectType:str}/{objectId:str}/associations"
BATCH = "/crm/v4/associations/{fromObjectType:str}/{toObjectType:str}/batch"


def _default_result(from_id: str, to_id: str, type_id: int) -> dict[str, Any]:
    return {"from": {"id": from_id}, "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}}


def _batch(call: Call, results: list[dict[str, Any]]) -> dict[str, Any]:
    stamp = iso_ms(call.state.now())
    return {"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}


def create_default(call: Call) -> Result:
    from_type, to_type = call.object_type("objectType"), call.object_type("toObjectType")
    from_id, to_id = call.path["objectId"], call.path["toObjectId"]
    kind = associate_default(call.state, from_type, from_id, to_type, to_id)
    return 200, _batch(call, [_default_result(from_id, to_id, kind.type_id),
                              _default_result(to_id, from_id, kind.inverse)])


def create_labelled(call: Call) -> Result:
    from_type, to_type = call.object_type("objectType"), call.object_type("toObjectType")
    from_id, to_id = call.path["objectId"], call.path["toObjectId"]
    associate(call.state, from_type, from_id, to_type, to_id, parse_specs(call.body, from_type, to_type))
    type_ids = dict(linked(call.state, from_type, from_id, to_type))[to_id]
    return 201, {"fromObjectTypeId": _type_id(from_type), "fromObjectId": int(from_id),
                 "toObjectTypeId": _type_id(to_type), "toObjectId": int(to_id),
                 "labels": [t["label"] for t in v4_types(type_ids) if t["label"]]}


def _type_id(object_type: str) -> str:
    return OBJECT_TYPES[object_type]


def remove(call: Call) -> Result:
    dissociate(call.state, call.object_type("objectType"), call.path["objectId"], call.object_type("toObjectType"),
               call.path["toObjectId"])
    return 204, None


def list_associated(call: Call) -> Result:
    from_type, to_type = call.object_type("objectType"), call.object_type("toObjectType")
    limit = call.integer("limit", default=500, cap=500)
    after = call.text("after")
    found = linked(call.state, from_type, call.path["objectId"], to_type)
    if after is not None:
        if not after.isdigit():
            raise validation(f"Invalid paging cursor: {after}")
        found = [item for item in found if int(item[0]) >= int(after)]
    body: dict[str, Any] = {"results": [{"toObjectId": int(i), "associationTypes": v4_types(t)}
                                        for i, t in found[:limit]]}
    if len(found) > limit:
        body["paging"] = {"next": {"after": found[limit][0]}}
    return 200, body


def batch_default(call: Call) -> Result:
    from_type, to_type = call.object_type("fromObjectType"), call.object_type("toObjectType")
    results = []
    for item in inputs(call.body, 2000):
        from_id, to_id = str((item.get("from") or {}).get("id", "")), str((item.get("to") or {}).get("id", ""))
        kind = associate_default(call.state, from_type, from_id, to_type, to_id)
        results.append(_default_result(from_id, to_id, kind.type_id))
    return 200, _batch(call, results)


def batch_create(call: Call) -> Result:
    from_type, to_type = call.object_type("fromObjectType"), call.object_type("toObjectType")
    results = []
    for item in inputs(call.body, 2000):
        from_id, to_id = str((item.get("from") or {}).get("id", "")), str((item.get("to") or {}).get("id", ""))
        associate(call.state, from_type, from_id, to_type, to_id, parse_specs(item.get("types"), from_type, to_type))
        type_ids = dict(linked(call.state, from_type, from_id, to_type))[to_id]
        results.append({"fromObjectTypeId": _type_id(from_type), "fromObjectId": int(from_id),
                        "toObjectTypeId": _type_id(to_type), "toObjectId": int(to_id),
                        "labels": [t["label"] for t in v4_types(type_ids) if t["label"]]})
    return 201, _batch(call, results)


def batch_read(call: Call) -> Result:
    from_type, to_type = call.object_type("fromObjectType"), call.object_type("toObjectType")
    results = []
    for item in inputs(call.body, 1000):
        from_id = str(item.get("id", ""))
        found = linked(call.state, from_type, from_id, to_type)
        if found:
            results.append({"from": {"id": from_id},
                            "to": [{"toObjectId": int(i), "associationTypes": v4_types(t)} for i, t in found]})
    return 200, _batch(call, results)


ROUTES = [
    endpoint("PUT", "/crm/v4/objects/{objectType:str}/{objectId:str}/associations/default/{toObjectType:str}"
             "/{toObjectId:str}", create_default, "CreateDefaultAssociation"),
    endpoint("PUT", V4 + "/{toObjectType:str}/{toObjectId:str}", create_labelled, "CreateAssociation"),
    endpoint("DELETE", V4 + "/{toObjectType:str}/{toObjectId:str}", remove, "ArchiveAssociation"),
    endpoint("GET", V4 + "/{toObjectType:str}", list_associated, "GetAssociationsPage"),
    endpoint("POST", BATCH + "/associate/default", batch_default, "BatchCreateDefaultAssociations"),
    endpoint("POST", BATCH + "/create", batch_create, "BatchCreateAssociations"),
    endpoint("POST", BATCH + "/read", batch_read, "BatchReadAssociations"),
]
