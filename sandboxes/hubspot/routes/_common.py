"""Helpers the object routes share: reading a record as the query asks, create-time associations."""

from __future__ import annotations

from typing import Any

from ..associations import associate, parse_specs, v3_associations
from ..errors import validation
from ..records import render
from ..schema import ASSOCIATION_TYPES, DEFAULT_PROPERTIES, resolve_type
from ..wire import Call

__all__ = ["as_requested", "create_associations", "inputs", "requested_types"]


def requested_types(call: Call) -> list[str]:
    """Object types named by ``associations=`` (unknown names are ignored, as HubSpot ignores them)."""
    return [t for t in (resolve_type(n) for n in call.values("associations") or []) if t is not None]


def as_requested(call: Call, object_type: str, record: dict[str, Any],
                 properties: list[str] | None = None) -> dict[str, Any]:
    """A record rendered with the request's ``properties``/``propertiesWithHistory``/``associations``."""
    wanted = properties if properties is not None else call.values("properties")
    out = render(call.state, object_type, record, wanted or DEFAULT_PROPERTIES[object_type],
                 call.values("propertiesWithHistory"))
    types = requested_types(call)
    if types:
        block = v3_associations(call.state, object_type, record["id"], types)
        if block:
            out["associations"] = block
    return out


def create_associations(call: Call, object_type: str, record_id: str, specs: Any) -> None:
    """Apply a create body's ``associations``: ``[{"to": {"id"}, "types": [{...}]}]``."""
    if specs is None:
        return
    if not isinstance(specs, list) or not all(isinstance(s, dict) and isinstance(s.get("to"), dict) for s in specs):
        raise validation("associations must be an array of {to: {id}, types: [...]}")
    for spec in specs:
        to_id = str(spec["to"].get("id", ""))
        kinds = spec.get("types")
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, dict) for k in kinds):
            raise validation("each association needs a non-empty types array")
        type_id = kinds[0].get("associationTypeId")
        target = ASSOCIATION_TYPES.get(type_id) if isinstance(type_id, int) else None
        to_type = target.to_type if target is not None and target.from_type == object_type else object_type
        associate(call.state, object_type, record_id, to_type, to_id, parse_specs(kinds, object_type, to_type))


def inputs(body: Any, limit: int = 100) -> list[dict[str, Any]]:
    """A batch body's ``inputs``: 1-100 objects, or HubSpot's 400."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation("Invalid input JSON on line 1, column 1: the body must be {\"inputs\": [...]}")
    items = body["inputs"]
    if not 1 <= len(items) <= limit:
        raise validation(f"inputs must contain between 1 and {limit} items; got {len(items)}",
                         context={"inputs": [str(len(items))]})
    if not all(isinstance(i, dict) for i in items):
        raise validation("Invalid input JSON on line 1, column 1: every input must be an object")
    return items
