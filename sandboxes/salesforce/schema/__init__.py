"""Org metadata: the sObjects, their fields and relationships (what ``describe`` reports).

Owns the shape of records; never holds records and never speaks HTTP.
"""

from ._fields import SOAP_TYPES, ChildRelationship, FieldSpec, ObjectSpec
from ._objects import (
    AMENDMENT_ACTIONS,
    BILLING_FREQUENCIES,
    CONTACT_ROLES,
    CORPORATE_CURRENCY,
    CURRENCIES,
    EXTERNAL_ID,
    INVOICE_STATUSES,
    LEGACY_ID,
    OBJECTS,
    STAGES,
)

__all__ = ["AMENDMENT_ACTIONS", "BILLING_FREQUENCIES", "CONTACT_ROLES", "CORPORATE_CURRENCY", "CURRENCIES",
           "EXTERNAL_ID", "INVOICE_STATUSES", "LEGACY_ID", "OBJECTS", "SOAP_TYPES", "STAGES", "ChildRelationship",
           "FieldSpec", "ObjectSpec", "lookup"]


def lookup(name: str) -> ObjectSpec | None:
    """An sObject by API name, case-insensitively."""
    found = OBJECTS.get(name)
    if found is not None:
        return found
    return next((spec for key, spec in OBJECTS.items() if key.lower() == name.lower()), None)
