"""The record types the sandbox serves, with their body fields and sublists.

A field is a :class:`Field` of a kind (text, number, bool, date, ref). A ``ref`` names the record family
it points to: ``customer``, ``item`` (any item type), ``account``, ``transaction`` (any transaction type)
or a concrete transaction type; ``free`` refs (subsidiary, currency, department...) point at lists the
sandbox does not model and accept any id. Custom fields (``custentity_``, ``custitem_``, ``custbody_``,
``custcol_`` prefixes) are accepted on every record as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CURRENCIES", "FREE_REFS", "RECORD_TYPES", "Field", "RecordType", "Sublist", "canonical_type"]

Kind = Literal["text", "number", "bool", "date", "ref"]


@dataclass(frozen=True)
class Field:
    """One body or sublist field."""

    kind: Kind
    ref: str | None = None
    """Target family of a ``ref`` field."""
    label: str = ""
    """The label NetSuite names in "Please enter value(s) for: <label>"."""
    readonly: bool = False
    """Computed by NetSuite; ignored when sent."""


@dataclass(frozen=True)
class Sublist:
    """A sublist (``item``, ``line``, ``apply``) and its line fields."""

    fields: dict[str, Field]


@dataclass(frozen=True)
class RecordType:
    """One REST record type."""

    name: str
    """Canonical REST name (``salesOrder``)."""
    table: Literal["entity", "item", "transaction", "account"]
    """The id sequence and SuiteQL table family."""
    fields: dict[str, Field]
    sublists: dict[str, Sublist] = field(default_factory=dict)
    code: str | None = None
    """SuiteQL ``transaction.type`` / ``item.itemtype`` code."""
    prefix: str = ""
    """``tranId`` prefix of a transaction."""
    required: tuple[str, ...] = ()


T, N, B, D = Field("text"), Field("number"), Field("bool"), Field("date")
RO = Field("number", readonly=True)
ROT = Field("text", readonly=True)


def _ref(target: str, label: str = "") -> Field:
    return Field("ref", ref=target, label=label)


CURRENCIES = {"1": "USD", "2": "GBP", "3": "CAD", "4": "EUR", "5": "JPY", "6": "AUD"}
"""The development account's currency records by internal id (their names are the ISO codes)."""
FREE_REFS = {"subsidiary": "Parent Company", "currency": "USD", "terms": "Net 30", "department": "",
             "class": "", "location": "", "revRecSchedule": "", "salesRep": "", "revenueRecognitionRule": ""}
_COMMON_FREE = {name: _ref("free") for name in ("subsidiary", "currency", "department", "class", "location")}

_CUSTOMER = {"entityId": T, "companyName": Field("text", label="Company Name"), "firstName": T, "lastName": T,
             "isPerson": B, "email": T, "phone": T, "comments": T, "isInactive": B, "terms": _ref("free"),
             "externalId": T, "dateCreated": ROT, "lastModifiedDate": ROT, "balance": RO,
             **_COMMON_FREE}
_ITEM = {"itemId": Field("text", label="Item Name/Number"), "displayName": T, "description": T,
         "salesDescription": T, "isInactive": B, "basePrice": N, "rate": N, "incomeAccount": _ref("account"),
         "deferredRevenueAccount": _ref("account"), "revRecSchedule": _ref("free"),
         "revenueRecognitionRule": _ref("free"), "externalId": T, "lastModifiedDate": ROT, "createdDate": ROT,
         "upcCode": T, "vendorName": T, "isTaxable": B, **_COMMON_FREE}
_TRAN = {"entity": _ref("customer", "Customer"), "tranId": T, "tranDate": D, "memo": T, "otherRefNum": T,
         "externalId": T, "startDate": D, "endDate": D, "dueDate": D, "terms": _ref("free"), "salesRep": _ref("free"),
         "subtotal": RO, "total": RO, "amountRemaining": RO, "status": ROT,
         "createdDate": ROT, "lastModifiedDate": ROT, "exchangeRate": N, **_COMMON_FREE}
_ITEM_LINE = Sublist({"item": _ref("item", "Item"), "quantity": N, "rate": N, "amount": N, "description": T,
                      "line": N, "revRecStartDate": D, "revRecEndDate": D, "price": _ref("free"),
                      "department": _ref("free"), "class": _ref("free"), "location": _ref("free")})
_ORDER_LINE = Sublist({**_ITEM_LINE.fields, "isClosed": B})
"""A sales order's lines can be closed (nothing more is fulfilled or billed from them)."""
_JOURNAL_LINE = Sublist({"account": _ref("account", "Account"), "debit": N, "credit": N, "memo": T,
                         "entity": _ref("customer"), "line": N, "department": _ref("free"), "class": _ref("free"),
                         "location": _ref("free")})
_APPLY_LINE = Sublist({"doc": _ref("transaction", "Transaction"), "apply": B, "amount": N, "line": N})

RECORD_TYPES: dict[str, RecordType] = {t.name: t for t in (
    RecordType("customer", "entity", _CUSTOMER),
    RecordType("nonInventorySaleItem", "item", _ITEM, code="NonInvtPart", required=("itemId",)),
    RecordType("serviceSaleItem", "item", _ITEM, code="Service", required=("itemId",)),
    RecordType("serviceItem", "item", _ITEM, code="Service", required=("itemId",)),
    RecordType("inventoryItem", "item", _ITEM, code="InvtPart", required=("itemId",)),
    RecordType("account", "account", {"acctNumber": T, "acctName": Field("text", label="Name"), "acctType": T,
                                       "isInactive": B, "externalId": T, "description": T, **_COMMON_FREE},
               required=("acctName",)),
    RecordType("salesOrder", "transaction", _TRAN, {"item": _ORDER_LINE}, code="SalesOrd", prefix="SO",
               required=("entity",)),
    RecordType("invoice", "transaction", {**_TRAN, "createdFrom": _ref("salesOrder")}, {"item": _ITEM_LINE},
               code="CustInvc", prefix="INV", required=("entity",)),
    RecordType("creditMemo", "transaction", {**_TRAN, "createdFrom": _ref("invoice"), "applied": RO,
                                             "unapplied": RO}, {"item": _ITEM_LINE},
               code="CustCred", prefix="CM", required=("entity",)),
    RecordType("customerPayment", "transaction",
               {**_TRAN, "customer": _ref("customer", "Customer"), "payment": Field("number", label="Payment Amount"),
                "account": _ref("account"), "applied": RO, "unapplied": RO}, {"apply": _APPLY_LINE},
               code="CustPymt", prefix="PYMT", required=("customer", "payment")),
    RecordType("journalEntry", "transaction", {**_TRAN, "reversalDate": D, "approved": B},
               {"line": _JOURNAL_LINE}, code="Journal", prefix="JE"),
)}
_LOWER = {name.lower(): name for name in RECORD_TYPES}


def canonical_type(name: str) -> str | None:
    """The canonical record type for a URL segment (NetSuite matches record types case-insensitively)."""
    return _LOWER.get(name.lower())
