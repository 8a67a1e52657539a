"""Associations between records, stored in both directions with HUBSPOT_DEFINED type ids (v3 and v4 shapes)."""

from __future__ import annotations

from typing import Any

from .errors import HubSpotError, validation
from .records import find
from .schema import ASSOCIATION_TYPES, SINGULAR, AssocType, default_association
from .state import HubSpotState

__all__ = ["associate", "associate_default", "dissociate", "linked", "parse_specs", "v3_associations", "v4_types"]


def _key(object_type: str, object_id: str) -> str:
    return f"{object_type}:{object_id}"


def _require(state: HubSpotState, object_type: str, object_id: str) -> None:
    if find(state, object_type, object_id) is None:
        raise HubSpotError(404, f"No {SINGULAR[object_type]} with ID {object_id} exists", "OBJECT_NOT_FOUND",
                           context={"id": [object_id]})


def _type(type_id: Any, category: Any, from_type: str, to_type: str) -> AssocType:
    assoc = ASSOCIATION_TYPES.get(type_id) if isinstance(type_id, int) and not isinstance(type_id, bool) else None
    if category != "HUBSPOT_DEFINED" or assoc is None or (assoc.from_type, assoc.to_type) != (from_type, to_type):
        raise validation(f"{category}:{type_id} is not a valid association type between {SINGULAR[from_type]} "
                         f"and {SINGULAR[to_type]}", subCategory="crm.associations.INVALID_ASSOCIATION_TYPE")
    return assoc


def parse_specs(specs: Any, from_type: str, to_type: str) -> list[AssocType]:
    """``[{"associationCategory", "associationTypeId"}]`` -> association types, or HubSpot's 400."""
    if not isinstance(specs, list) or not specs:
        raise validation("Association types must be a non-empty array of "
                         "{associationCategory, associationTypeId}")
    if not all(isinstance(s, dict) for s in specs):
        raise validation("Invalid input JSON on line 1, column 2: each association type must be an object")
    return [_type(s.get("associationTypeId"), s.get("associationCategory"), from_type, to_type) for s in specs]


def associate(state: HubSpotState, from_type: str, from_id: str, to_type: str, to_id: str,
              kinds: list[AssocType]) -> None:
    """Link two existing records with each type (and its inverse); raises an ``associationChange`` event."""
    _require(state, from_type, from_id)
    _require(state, to_type, to_id)
    forward = state.associations.setdefault(_key(from_type, from_id), {}).setdefault(_key(to_type, to_id), [])
    back = state.associations.setdefault(_key(to_type, to_id), {}).setdefault(_key(from_type, from_id), [])
    for kind in kinds:
        if kind.type_id not in forward:
            forward.append(kind.type_id)
            back.append(kind.inverse)
            _event(state, kind, from_id, to_id, removed=False)


def associate_default(state: HubSpotState, from_type: str, from_id: str, to_type: str, to_id: str) -> AssocType:
    """The default (unlabelled) association between the two records."""
    kind = default_association(from_type, to_type)
    if kind is None:
        raise validation(f"There is no default association from {SINGULAR[from_type]} to {SINGULAR[to_type]}")
    associate(state, from_type, from_id, to_type, to_id, [kind])
    return kind


def dissociate(state: HubSpotState, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
    """Remove every association between two records (both directions)."""
    forward = state.associations.get(_key(from_type, from_id), {}).pop(_key(to_type, to_id), [])
    state.associations.get(_key(to_type, to_id), {}).pop(_key(from_type, from_id), None)
    for type_id in forward:
        _event(state, ASSOCIATION_TYPES[type_id], from_id, to_id, removed=True)


def linked(state: HubSpotState, from_type: str, from_id: str, to_type: str) -> list[tuple[str, list[int]]]:
    """Live records of ``to_type`` linked to the record, ascending by id, with the type ids."""
    found = []
    for key, type_ids in state.associations.get(_key(from_type, from_id), {}).items():
        kind, _, object_id = key.partition(":")
        if kind == to_type and type_ids and find(state, to_type, object_id) is not None:
            found.append((object_id, sorted(type_ids)))
    return sorted(found, key=lambda item: int(item[0]))


def v4_types(type_ids: list[int]) -> list[dict[str, Any]]:
    """v4 ``associationTypes``: ``{"category", "typeId", "label"}``."""
    return [{"category": "HUBSPOT_DEFINED", "typeId": t, "label": ASSOCIATION_TYPES[t].label} for t in type_ids]


def v3_associations(state: HubSpotState, object_type: str, object_id: str, to_types: list[str]) -> dict[str, Any]:
    """The v3 ``associations`` block of a record read with ``associations=...``."""
    block = {}
    for to_type in to_types:
        results = [{"id": other, "type": ASSOCIATION_TYPES[t].v3_name}
                   for other, type_ids in linked(state, object_type, object_id, to_type) for t in type_ids]
        if results:
            block[to_type] = {"results": results}
    return block


def _event(state: HubSpotState, kind: AssocType, from_id: str, to_id: str, removed: bool) -> None:
    state.events.append({
        "subscriptionType": f"{SINGULAR[kind.from_type]}.associationChange", "objectId": int(from_id),
        "associationType": kind.v3_name.upper(), "fromObjectId": int(from_id), "toObjectId": int(to_id),
        "associationRemoved": removed, "isPrimaryAssociation": kind.label == "Primary",
    })
