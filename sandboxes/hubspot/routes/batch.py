"""Batch routes: ``/crm/v3/objects/{objectType}/batch/{read,create,update,upsert,archive}``.

Validation failures fail the whole batch (400); ids that do not exist in read/update answer 207 with the
found records in ``results`` and HubSpot's ``OBJECT_NOT_FOUND`` entry in ``errors``. Upsert by ``idProperty``
(a unique property) creates or updates, so a retried upsert never duplicates.
"""

from __future__ import annotations

from typing import Any

from ..errors import validation
from ..records import archive, check_id_property, create, find, render, update, validate
from ..schema import DEFAULT_PROPERTIES, SINGULAR
from ..values import iso_ms
from ..wire import Call, Result, endpoint
from ._common import create_associations, inputs

__all__ = ["ROUTES"]

BASE = "/crm/v3/objects/{objectType:str}/batch"


def _envelope(call: Call, started: str, results: list[dict[str, Any]], missing: list[str],
              object_type: str) -> Result:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                            "completedAt": iso_ms(call.state.now())}
    if not missing:
        return 200, body
    body["numErrors"] = 1
    body["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                       "message": f"Could not get some {SINGULAR[object_type].upper()} objects, they may be deleted "
                                  "or not exist. Check that ids are valid.", "context": {"ids": missing}}]
    return 207, body


def _ids(items: list[dict[str, Any]]) -> list[str]:
    ids = [item.get("id") for item in items]
    if not all(isinstance(i, str | int) and not isinstance(i, bool) and str(i) for i in ids):
        raise validation("Every input needs an id")
    return [str(i) for i in ids]


def batch_read(call: Call) -> Result:
    object_type, started = call.object_type(), iso_ms(call.state.now())
    items = inputs(call.body)
    id_property = call.body.get("idProperty")
    check_id_property(call.state, object_type, id_property)
    props = call.body.get("properties")
    if props is not None and not (isinstance(props, list) and all(isinstance(p, str) for p in props)):
        raise validation("properties must be an array of property names")
    results, missing = [], []
    for key in dict.fromkeys(_ids(items)):
        record = find(call.state, object_type, key, id_property, call.flag("archived"))
        if record is None:
            missing.append(key)
            continue
        results.append(render(call.state, object_type, record, props or DEFAULT_PROPERTIES[object_type],
                              call.body.get("propertiesWithHistory")))
    return _envelope(call, started, results, missing, object_type)


def batch_create(call: Call) -> Result:
    object_type, started = call.object_type(), iso_ms(call.state.now())
    items = inputs(call.body)
    values = [validate(call.state, object_type, item.get("properties")) for item in items]
    records = [create(call.state, object_type, v) for v in values]
    for record, item in zip(records, items, strict=True):
        create_associations(call, object_type, record["id"], item.get("associations"))
    _, body = _envelope(call, started, [render(call.state, object_type, r) for r in records], [], object_type)
    return 201, body


def batch_update(call: Call) -> Result:
    object_type, started = call.object_type(), iso_ms(call.state.now())
    items = inputs(call.body)
    keys = _ids(items)
    changes = [validate(call.state, object_type, item.get("properties")) for item in items]
    results, missing = [], []
    for key, item, change in zip(keys, items, changes, strict=True):
        id_property = item.get("idProperty")
        check_id_property(call.state, object_type, id_property)
        record = find(call.state, object_type, key, id_property)
        if record is None:
            missing.append(key)
            continue
        update(call.state, object_type, record, change)
        results.append(render(call.state, object_type, record))
    return _envelope(call, started, results, missing, object_type)


def batch_upsert(call: Call) -> Result:
    object_type, started = call.object_type(), iso_ms(call.state.now())
    items = inputs(call.body)
    keys = _ids(items)
    plans = []
    for key, item in zip(keys, items, strict=True):
        id_property = item.get("idProperty")
        if id_property in (None, "hs_object_id"):
            raise validation("Upsert needs an idProperty naming a unique property", context={"idProperty": ["null"]})
        check_id_property(call.state, object_type, id_property)
        plans.append((key, id_property, validate(call.state, object_type, item.get("properties"))))
    results = []
    for key, id_property, change in plans:
        record = find(call.state, object_type, key, id_property)
        if record is None:
            record = create(call.state, object_type, {**change, id_property: key})
            results.append({**render(call.state, object_type, record), "new": True})
        else:
            update(call.state, object_type, record, change)
            results.append({**render(call.state, object_type, record), "new": False})
    return _envelope(call, started, results, [], object_type)


def batch_archive(call: Call) -> Result:
    object_type = call.object_type()
    for key in _ids(inputs(call.body)):
        record = call.state.objects[object_type].get(key)
        if record is not None:
            archive(call.state, object_type, record)
    return 204, None


ROUTES = [
    endpoint("POST", BASE + "/read", batch_read, "BatchReadObjects"),
    endpoint("POST", BASE + "/create", batch_create, "BatchCreateObjects"),
    endpoint("POST", BASE + "/update", batch_update, "BatchUpdateObjects"),
    endpoint("POST", BASE + "/upsert", batch_upsert, "BatchUpsertObjects"),
    endpoint("POST", BASE + "/archive", batch_archive, "BatchArchiveObjects"),
]
