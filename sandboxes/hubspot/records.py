"""CRM records: validate and store properties, derive calculated ones, render the wire shape, raise events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from .errors import HubSpotError, invalid_json, not_found, property_errors
from .schema import ALWAYS_RETURNED, DEFAULT_PROPERTIES, PIPELINE_STAGES, SINGULAR, Prop
from .state import HubSpotState
from .values import ValueProblem, coerce, iso_ms

__all__ = ["archive", "check_id_property", "create", "find", "get", "render", "update", "validate"]


def validate(state: HubSpotState, object_type: str, properties: Any) -> dict[str, str | None]:
    """Coerce ``properties`` to stored strings, or raise HubSpot's ``Property values were not valid``."""
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise invalid_json("Cannot deserialize value of type `java.util.HashMap` from non-object value")
    defs = state.properties[object_type]
    problems, result = [], {}
    for name, raw in properties.items():
        prop = defs.get(name)
        if prop is None:
            problems.append({"name": name, "error": "PROPERTY_DOESNT_EXIST",
                             "message": f'Property "{name}" does not exist'})
            continue
        if prop.read_only:
            problems.append({"name": name, "error": "READ_ONLY_VALUE",
                             "message": f'"{name}" is a read only property; its value cannot be set.'})
            continue
        try:
            result[name] = coerce(prop, raw)
        except ValueProblem as exc:
            if exc.error == "INVALID_TYPE":
                raise invalid_json(exc.message) from None
            problems.append({"name": name, "error": exc.error, "message": exc.message})
    if problems:
        raise property_errors(problems)
    return result


def find(state: HubSpotState, object_type: str, key: str, id_property: str | None = None,
         archived: bool = False) -> dict[str, Any] | None:
    """A record by id (or by a unique property's value), or None."""
    bucket = state.objects[object_type]
    if id_property in (None, "hs_object_id"):
        record = bucket.get(key)
    else:
        record = next((r for r in bucket.values() if r["properties"].get(id_property) == key
                       and r["archived"] == archived), None)
    return record if record is not None and record["archived"] == archived else None


def get(state: HubSpotState, object_type: str, key: str, id_property: str | None = None,
        archived: bool = False) -> dict[str, Any]:
    """A record, or HubSpot's 404."""
    record = find(state, object_type, key, id_property, archived)
    if record is None:
        raise not_found(key)
    return record


def check_id_property(state: HubSpotState, object_type: str, id_property: str | None) -> None:
    """Refuse an ``idProperty`` that is not a unique property of the type."""
    if id_property in (None, "hs_object_id"):
        return
    prop = state.properties[object_type].get(id_property)
    if prop is None or not prop.unique:
        raise HubSpotError(400, f"{id_property} is not a unique property of {SINGULAR[object_type]}",
                           "VALIDATION_ERROR", context={"idProperty": [id_property]})


def _check_unique(state: HubSpotState, object_type: str, values: Mapping[str, str | None], own_id: str | None) -> None:
    for name, value in values.items():
        if value is None or not state.properties[object_type][name].unique:
            continue
        clash = find(state, object_type, value, name)
        if clash is not None and clash["id"] != own_id:
            raise HubSpotError(409, f"A {SINGULAR[object_type]} with {name} {value} already exists. "
                               f"Existing ID: {clash['id']}", "CONFLICT", context={"id": [clash["id"]]})


def _derive(state: HubSpotState, object_type: str, values: dict[str, str | None], props: Mapping[str, Any]) -> None:
    """Fill HubSpot's calculated properties into ``values`` (the change about to be applied)."""
    merged = {**props, **values}
    if object_type == "deals":
        stage = merged.get("dealstage")
        if stage in PIPELINE_STAGES:
            _, probability, closed = PIPELINE_STAGES[stage]
            values["hs_deal_stage_probability"] = probability.rstrip("0").rstrip(".") or "0"
            values["hs_is_closed"] = "true" if closed else "false"
            values["hs_is_closed_won"] = "true" if stage == "closedwon" else "false"
    if object_type == "line_items":
        if values.get("hs_product_id"):
            product = find(state, "products", str(values["hs_product_id"]))
            if product is None:
                raise property_errors([{"name": "hs_product_id", "error": "INVALID_PRODUCT",
                                        "message": f"Product with id {values['hs_product_id']} does not exist"}])
            for name in ("name", "price", "description", "hs_sku", "recurringbillingfrequency",
                         "hs_recurring_billing_period"):
                if name not in values and product["properties"].get(name) is not None:
                    values[name] = merged[name] = product["properties"][name]
        values["amount"] = _line_amount({**props, **values})


def _line_amount(props: Mapping[str, Any]) -> str | None:
    if props.get("price") is None:
        return None
    gross = Decimal(props["price"]) * Decimal(props.get("quantity") or "1")
    if props.get("hs_discount_percentage"):
        gross -= gross * Decimal(props["hs_discount_percentage"]) / 100
    elif props.get("discount"):
        gross -= Decimal(props["discount"]) * Decimal(props.get("quantity") or "1")
    return format(gross.normalize(), "f") if gross else "0"


def _apply(state: HubSpotState, object_type: str, record: dict[str, Any],
           values: Mapping[str, str | None]) -> list[str]:
    """Set values, keep history, return the names whose value changed."""
    stamp = iso_ms(state.now())
    changed = []
    for name, value in values.items():
        if record["properties"].get(name) == value:
            continue
        changed.append(name)
        record["properties"][name] = value
        record["history"].setdefault(name, []).insert(0, {"value": value or "", "timestamp": stamp,
                                                          "sourceType": "INTEGRATION",
                                                          "sourceId": str(state.app_id)})
    if changed:
        record["updatedAt"] = stamp
        record["properties"]["hs_lastmodifieddate"] = stamp
        if object_type == "contacts":
            record["properties"]["lastmodifieddate"] = stamp
    return changed


def create(state: HubSpotState, object_type: str, values: dict[str, str | None]) -> dict[str, Any]:
    """Store a new record from validated values; raises a ``creation`` event and property changes."""
    _check_unique(state, object_type, values, None)
    if object_type == "deals":
        values.setdefault("pipeline", "default")
        values.setdefault("dealstage", next(iter(PIPELINE_STAGES)))
    _derive(state, object_type, values, {})
    record_id, stamp = state.new_id(), iso_ms(state.now())
    record: dict[str, Any] = {"id": record_id, "properties": {}, "createdAt": stamp, "updatedAt": stamp,
                              "archived": False, "archivedAt": None, "history": {}}
    _apply(state, object_type, record, {"hs_object_id": record_id, "createdate": stamp,
                                        **{k: v for k, v in values.items() if v is not None}})
    state.objects[object_type][record_id] = record
    _event(state, object_type, "creation", record)
    for name in sorted(record["properties"]):
        _event(state, object_type, "propertyChange", record, name)
    return record


def update(state: HubSpotState, object_type: str, record: dict[str, Any], values: dict[str, str | None]) -> None:
    """Apply validated values to a record; raises ``propertyChange`` events for what changed."""
    _check_unique(state, object_type, values, record["id"])
    _derive(state, object_type, values, record["properties"])
    for name in _apply(state, object_type, record, values):
        _event(state, object_type, "propertyChange", record, name)


def archive(state: HubSpotState, object_type: str, record: dict[str, Any]) -> None:
    """Move a record to the recycle bin (HubSpot's DELETE)."""
    if record["archived"]:
        return
    record["archived"] = True
    record["archivedAt"] = iso_ms(state.now())
    _event(state, object_type, "deletion", record)


def _event(state: HubSpotState, object_type: str, kind: str, record: dict[str, Any], name: str | None = None) -> None:
    event: dict[str, Any] = {"subscriptionType": f"{SINGULAR[object_type]}.{kind}", "objectId": int(record["id"])}
    if name is not None:
        event.update(propertyName=name, propertyValue=record["properties"].get(name) or "")
    state.events.append(event)


def render(state: HubSpotState, object_type: str, record: dict[str, Any], properties: Iterable[str] | None = None,
           with_history: Iterable[str] | None = None) -> dict[str, Any]:
    """The ``SimplePublicObject`` wire shape: requested properties (null when unset) or all that are set."""
    stored = record["properties"]
    defs: Mapping[str, Prop] = state.properties[object_type]
    if properties is None:
        props = {k: v for k, v in stored.items() if v is not None}
    else:
        wanted = [p for p in (*properties, *ALWAYS_RETURNED) if p in defs] or list(DEFAULT_PROPERTIES[object_type])
        props = {name: stored.get(name) for name in wanted}
    out: dict[str, Any] = {"id": record["id"], "properties": props, "createdAt": record["createdAt"],
                           "updatedAt": record["updatedAt"], "archived": record["archived"]}
    if record["archived"]:
        out["archivedAt"] = record["archivedAt"]
    history = [p for p in (with_history or ()) if p in defs]
    if history:
        out["propertiesWithHistory"] = {p: list(record["history"].get(p, [])) for p in history}
    return out
