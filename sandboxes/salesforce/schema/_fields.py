"""Field and object metadata: what ``describe`` reports and what DML and SOQL check against."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SOAP_TYPES", "ChildRelationship", "FieldSpec", "ObjectSpec", "f", "ref"]

SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "string": "xsd:string", "textarea": "xsd:string",
    "picklist": "xsd:string", "multipicklist": "xsd:string", "email": "xsd:string", "phone": "xsd:string",
    "url": "xsd:string",
    "boolean": "xsd:boolean", "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
    "int": "xsd:int", "date": "xsd:date", "datetime": "xsd:dateTime",
}
NUMERIC = frozenset({"double", "currency", "percent", "int"})
TEXT = frozenset({"string", "textarea", "picklist", "multipicklist", "email", "phone", "url", "id",
                  "reference"})


@dataclass(frozen=True)
class FieldSpec:
    """One field of an sObject."""

    name: str
    type: str
    label: str
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    default: Any = None
    """Value given on create when the field is absent (``defaultedOnCreate``)."""
    external_id: bool = False
    unique: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    custom: bool = False
    length: int = 0
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    """A restricted picklist: a value outside ``picklist`` is refused (``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``)."""

    @property
    def required(self) -> bool:
        """Required on create: not nillable, createable and with no default."""
        return not self.nillable and self.createable and self.default is None and self.type != "boolean"

    @property
    def numeric(self) -> bool:
        """Holds a number."""
        return self.type in NUMERIC

    @property
    def textual(self) -> bool:
        """Holds text (ids included)."""
        return self.type in TEXT


@dataclass(frozen=True)
class ChildRelationship:
    """A child relationship (``Account.Opportunities``)."""

    child: str
    field: str
    name: str
    cascade_delete: bool = False


@dataclass
class ObjectSpec:
    """One sObject type."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    children: list[ChildRelationship] = field(default_factory=list)

    def field(self, name: str) -> FieldSpec | None:
        """A field by API name, case-insensitively as Salesforce resolves names."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        return next((spec for key, spec in self.fields.items() if key.lower() == lowered), None)

    def parent(self, relationship: str) -> FieldSpec | None:
        """The reference field behind a parent relationship name (``Account`` -> ``AccountId``)."""
        lowered = relationship.lower()
        return next((spec for spec in self.fields.values()
                     if spec.relationship_name and spec.relationship_name.lower() == lowered), None)

    def child(self, relationship: str) -> ChildRelationship | None:
        """A child relationship by name (``OpportunityLineItems``)."""
        lowered = relationship.lower()
        return next((rel for rel in self.children if rel.name.lower() == lowered), None)


def f(name: str, type_: str, label: str | None = None, **kw: Any) -> FieldSpec:
    """Shorthand for a field; ``label`` defaults to the name with spaces before capitals."""
    if label is None:
        label = "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(name.removesuffix("__c"))).strip()
        label = label.replace("_", " ")
    if type_ in ("string", "textarea", "picklist", "multipicklist", "email", "phone", "url") and "length" not in kw:
        kw["length"] = {"textarea": 32000, "multipicklist": 4099}.get(type_, 255)
    return FieldSpec(name, type_, label, **kw)


def ref(name: str, target: str, relationship: str, label: str | None = None, **kw: Any) -> FieldSpec:
    """Shorthand for a lookup / master-detail field."""
    return f(name, "reference", label or f"{relationship} ID", reference_to=(target,), relationship_name=relationship,
             length=18, **kw)
