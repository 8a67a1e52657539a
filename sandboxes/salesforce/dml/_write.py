"""Create, update, delete and upsert of records, with Salesforce's validation order and errors."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import SalesforceError, invalid_field, not_found, required_missing
from ..schema import FieldSpec, ObjectSpec
from ..store import USER_ID, OrgState, spec_of
from ._coerce import coerce
from ._rules import after_delete, after_save, before_save

__all__ = ["MultipleMatches", "create", "delete", "update", "upsert"]


class MultipleMatches(SalesforceError):
    """300: an upsert's external id matched several records; the body lists their URLs."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(300, "MULTIPLE_CHOICES", "more than one record found for external id")
        self.urls = urls

    def body(self) -> list[Any]:  # type: ignore[override]
        """Salesforce answers 300 with the matching records' URLs."""
        return list(self.urls)


def _reference(state: OrgState, spec: FieldSpec, value: str) -> None:
    target = spec.reference_to[0]
    if target == "User":
        return
    if not value.startswith(spec_of(target).key_prefix):
        raise SalesforceError(400, "MALFORMED_ID", f"{spec.label}: id value of incorrect type: {value}", [spec.name])
    try:
        state.get(target, value)
    except SalesforceError as exc:
        code = "ENTITY_IS_DELETED" if exc.code == "ENTITY_IS_DELETED" else "INVALID_CROSS_REFERENCE_KEY"
        message = "entity is deleted" if exc.code == "ENTITY_IS_DELETED" else "invalid cross reference id"
        raise SalesforceError(400, code, message, [spec.name]) from None


def _by_external_id(state: OrgState, obj: ObjectSpec, rel: FieldSpec, value: Any) -> str:
    """Resolve ``"Account": {"Revflow_Id__c": "x"}`` to the parent's Id."""
    target = spec_of(rel.reference_to[0])
    if not isinstance(value, dict) or len([k for k in value if k != "attributes"]) != 1:
        raise SalesforceError(400, "INVALID_FIELD", f"The relationship {rel.relationship_name} must name exactly "
                              "one external ID field", [rel.name])
    key, wanted = next((k, v) for k, v in value.items() if k != "attributes")
    ext = target.field(key)
    if ext is None or not ext.external_id:
        raise SalesforceError(400, "INVALID_FIELD", f"Field name provided, {key} is not an External ID or indexed "
                              f"field for {target.name}", [rel.name])
    found = [r for r in state.rows(target.name) if r[ext.name] == wanted]
    if len(found) != 1:
        raise SalesforceError(400, "INVALID_FIELD" if found else "NOT_FOUND", f"Foreign key external ID: {wanted} "
                              f"{'matched more than one' if found else 'not found for field'} {ext.name} in entity "
                              f"{target.name}", [rel.name])
    return str(found[0]["Id"])


def _read(state: OrgState, obj: ObjectSpec, body: Any, creating: bool) -> dict[str, Any]:
    """Validated, coerced values of a request body, keyed by field API name."""
    if not isinstance(body, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {obj.name} from "
                              f"{'START_ARRAY' if isinstance(body, list) else 'VALUE_STRING'} value")
    values: dict[str, Any] = {}
    for key, raw in body.items():
        if key == "attributes" or (key == "Id" and not creating):
            continue
        spec, value = obj.field(key), raw
        if spec is None and (rel := obj.parent(key)) is not None and rel.reference_to[0] != "User":
            spec, value = rel, _by_external_id(state, obj, rel, raw)
        if spec is None:
            raise invalid_field(obj.name, key)
        if not (spec.createable if creating else spec.updateable):
            raise SalesforceError(400, "INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to create/update fields: "
                                  f"{spec.name}. Please check the security settings of this field and verify that "
                                  "it is read/write for your profile or permission set.", [spec.name])
        value = coerce(obj.name, spec, value)
        if value is not None and spec.type == "reference":
            _reference(state, spec, value)
        values[spec.name] = value
    return values


def _check(state: OrgState, obj: ObjectSpec, record: dict[str, Any]) -> None:
    missing = [s.name for s in obj.fields.values() if not s.nillable and s.createable and record.get(s.name) is None]
    if missing:
        raise required_missing(obj.name, missing)
    for spec in obj.fields.values():
        value = record.get(spec.name)
        if spec.unique and value is not None:
            clash = next((r for r in state.rows(obj.name) if r[spec.name] == value and r["Id"] != record["Id"]), None)
            if clash is not None:
                raise SalesforceError(400, "DUPLICATE_VALUE", f"duplicate value found: {spec.name} duplicates value "
                                      f"on record with id: {clash['Id']}", [spec.name])


def create(state: OrgState, sobject: str, body: Any) -> str:
    """Insert a record; returns its 18-character id."""
    obj = spec_of(sobject)
    values = _read(state, obj, body, creating=True)
    now = state.stamp()
    record: dict[str, Any] = {name: (False if s.type == "boolean" else None) for name, s in obj.fields.items()}
    record.update({name: s.default for name, s in obj.fields.items() if s.default is not None})
    record.update(Id=state.ids.new(obj.key_prefix), CreatedDate=now, CreatedById=USER_ID, LastModifiedDate=now,
                  LastModifiedById=USER_ID, SystemModstamp=now)
    if "OwnerId" in record:
        record["OwnerId"] = USER_ID
    record.update(values)
    _check(state, obj, record)
    before_save(state, obj.name, record, None, set(values))
    state.put(obj.name, record)
    after_save(state, obj.name, record, None)
    return str(record["Id"])


def update(state: OrgState, sobject: str, record_id: str, body: Any) -> str:
    """Update a record's fields; returns its id."""
    obj = spec_of(sobject)
    old = state.get(obj.name, record_id)
    values = _read(state, obj, body, creating=False)
    new = {**copy.deepcopy(old), **values}
    _check(state, obj, new)
    before_save(state, obj.name, new, old, set(values))
    new["LastModifiedDate"] = new["SystemModstamp"] = state.stamp()
    state.put(obj.name, new)
    after_save(state, obj.name, new, old)
    return str(new["Id"])


def delete(state: OrgState, sobject: str, record_id: str) -> None:
    """Move a record (and its cascade-deleted children) to the recycle bin."""
    obj = spec_of(sobject)
    record = state.get(obj.name, record_id)
    for rel in obj.children:
        for child in [c for c in state.rows(rel.child) if c[rel.field] == record["Id"]]:
            if rel.cascade_delete:
                delete(state, rel.child, child["Id"])
            else:
                state.touch(child)[rel.field] = None
    state.remove(obj.name, record["Id"])
    state.discard(record["Id"], obj.name, {**record, "IsDeleted": True})
    after_delete(state, obj.name, record)


def upsert(state: OrgState, sobject: str, field: str, value: str, body: Any, url: str) -> tuple[str, bool]:
    """Create or update by external id; returns ``(id, created)``.

    Raises:
        MultipleMatches: More than one record holds ``value`` (300).
    """
    obj = spec_of(sobject)
    spec = obj.field(field)
    if spec is None or not (spec.external_id or spec.name == "Id"):
        raise not_found(f"Provided external ID field does not exist or is not accessible: {field}")
    if spec.name == "Id":
        return update(state, obj.name, value, body), False
    if isinstance(body, dict) and spec.name in body and body[spec.name] != value:
        raise SalesforceError(400, "INVALID_FIELD", f"{spec.name} in the body ({body[spec.name]}) does not match "
                              f"the external ID in the URL ({value})", [spec.name])
    matches = [r for r in state.rows(obj.name) if r[spec.name] == value]
    if len(matches) > 1:
        raise MultipleMatches([f"{url}/sobjects/{obj.name}/{r['Id']}" for r in matches])
    if matches:
        return update(state, obj.name, matches[0]["Id"], body), False
    # Deleted records never match: Salesforce creates a new one.
    return create(state, obj.name, {**body, spec.name: value} if isinstance(body, dict) else body), True
