"""``describe`` for one sObject and the global ``/sobjects`` list, in Salesforce's shape (a useful subset)."""

from __future__ import annotations

from typing import Any

from ..schema import OBJECTS, SOAP_TYPES, FieldSpec, ObjectSpec
from ._call import BASE

__all__ = ["describe", "describe_global", "object_urls"]


def object_urls(obj: ObjectSpec) -> dict[str, str]:
    """The ``urls`` block of an sObject."""
    root = f"{BASE}/sobjects/{obj.name}"
    return {"sobject": root, "describe": f"{root}/describe", "rowTemplate": f"{root}/{{ID}}"}


def _summary(obj: ObjectSpec) -> dict[str, Any]:
    return {"name": obj.name, "label": obj.label, "labelPlural": obj.label_plural, "keyPrefix": obj.key_prefix,
            "custom": False, "createable": True, "updateable": True, "deletable": True, "queryable": True,
            "retrieveable": True, "searchable": True, "layoutable": True, "triggerable": True, "undeletable": True,
            "urls": object_urls(obj)}


def _field(spec: FieldSpec) -> dict[str, Any]:
    numeric = spec.numeric and spec.type != "int"
    return {
        "name": spec.name, "type": spec.type, "label": spec.label, "nillable": spec.nillable,
        "externalId": spec.external_id, "updateable": spec.updateable, "createable": spec.createable,
        "custom": spec.custom, "unique": spec.unique, "length": spec.length,
        "precision": 18 if numeric else 0, "scale": 2 if numeric else 0, "digits": 9 if spec.type == "int" else 0,
        "byteLength": spec.length * 3, "soapType": SOAP_TYPES[spec.type],
        "referenceTo": list(spec.reference_to), "relationshipName": spec.relationship_name,
        "idLookup": spec.name == "Id" or spec.external_id, "defaultedOnCreate": spec.default is not None or
        spec.type == "boolean" or not spec.createable,
        "calculated": False, "autoNumber": spec.name in ("ContractNumber", "OrderNumber"),
        "filterable": True, "sortable": spec.type != "textarea", "groupable": spec.type not in ("textarea",),
        "caseSensitive": spec.name == "Revflow_Id__c", "defaultValue": spec.default if spec.default not in
        (None, "OWNER") else None, "restrictedPicklist": spec.restricted,
        "picklistValues": [{"active": True, "defaultValue": False, "label": v, "value": v, "validFor": None}
                           for v in spec.picklist],
    }


def describe(obj: ObjectSpec) -> dict[str, Any]:
    """``GET /sobjects/{type}/describe``."""
    return {
        **_summary(obj), "fields": [_field(spec) for spec in obj.fields.values()],
        "childRelationships": [{"childSObject": rel.child, "field": rel.field, "relationshipName": rel.name,
                                "cascadeDelete": rel.cascade_delete, "deprecatedAndHidden": False,
                                "restrictedDelete": False} for rel in obj.children],
        "recordTypeInfos": [], "supportedScopes": [{"label": "All", "name": "everything"}],
    }


def describe_global() -> dict[str, Any]:
    """``GET /sobjects``."""
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [_summary(obj) for obj in OBJECTS.values()]}
