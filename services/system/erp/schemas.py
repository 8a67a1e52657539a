"""Request and response bodies of the ERP system API (v1) that are not canonical objects themselves.

Responses are canonical objects from ``contracts`` wherever one exists (``Customer``, ``Product``,
``Invoice``, ``CreditNote``, ``Payment``, ``JournalEntry``); the Structs here are commands, the sales order
(no canonical contract has one) and the query envelope. Amounts are ``Money`` (integer minor units + ISO
4217 code), never floats.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from contracts.billing import CreditNoteReason
from contracts.common import ExternalIds, Id, Period, Quantity, Sku
from contracts.ledger import JournalLine
from contracts.money import CurrencyCode, Money

__all__ = [
    "CreditMemoCreateV1",
    "CreditMemoLineV1",
    "CustomerPaymentCreateV1",
    "ErpId",
    "InvoiceCreateV1",
    "JournalEntryCreateV1",
    "OrderLineInputV1",
    "OrderLineV1",
    "QueryResultV1",
    "QueryV1",
    "SalesOrderCreateV1",
    "SalesOrderListV1",
    "SalesOrderV1",
]

Key = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", description="Business key",
                                  examples=["ACME-001"])]
ErpId = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,18}$", description="NetSuite internal id",
                                    examples=["1042"])]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=999)]
Units = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000, description="Units (at least one)")]


def _check_currency(field: str, amount: Money, currency: str) -> None:
    if amount.currency != currency:
        raise ValueError(f"{field}: currency must be {currency}")


def _check_amount(field: str, amount: Money, currency: str, *, positive: bool = False) -> None:
    _check_currency(field, amount, currency)
    if amount.amount_minor < 0 or (positive and amount.amount_minor == 0):
        raise ValueError(f"{field}: must be {'positive' if positive else 'non-negative'}")


class OrderLineInputV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One line of a sales order or standalone invoice: an item by SKU at a unit price."""

    sku: Sku
    quantity: Units = 1
    unit_amount: Money
    description: Text | None = None
    service_start: date | None = None
    service_end: date | None = None
    """Last day of the service period, inclusive (NetSuite's rev-rec end date)."""

    def __post_init__(self) -> None:
        if self.service_start and self.service_end and self.service_end < self.service_start:
            raise ValueError("service_end: must not be before service_start")


class SalesOrderCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A new sales order for a customer known by its business key."""

    customer_key: Key
    currency: CurrencyCode
    lines: Annotated[list[OrderLineInputV1], msgspec.Meta(min_length=1, max_length=200)]
    order_date: date | None = None
    memo: Text | None = None
    opportunity_id: Id | None = None

    def __post_init__(self) -> None:
        for i, line in enumerate(self.lines):
            _check_amount(f"lines[{i}].unit_amount", line.unit_amount, self.currency)


class OrderLineV1(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a sales order as the ERP holds it."""

    line: int
    sku: Sku | None = None
    description: str | None = None
    quantity: Quantity
    unit_amount: Money | None = None
    """``None`` when the ERP's rate is finer than the currency's minor unit."""
    amount: Money
    service_start: date | None = None
    service_end: date | None = None


class SalesOrderV1(msgspec.Struct, frozen=True, kw_only=True):
    """A sales order as the ERP holds it."""

    id: ErpId
    number: str | None = None
    customer_key: str
    currency: CurrencyCode
    status: str
    """The ERP's status (``Pending Billing``, ``Billed``)."""
    order_date: date | None = None
    memo: str | None = None
    opportunity_id: str | None = None
    lines: list[OrderLineV1]
    total: Money
    external_ids: ExternalIds = {}


class SalesOrderListV1(msgspec.Struct, frozen=True, kw_only=True):
    """The sales orders made for one CRM opportunity, newest first."""

    data: list[SalesOrderV1]


class InvoiceCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Post an invoice: bill a sales order (``sales_order_id``) or a standalone one (customer, currency, lines).

    A standalone invoice's line may be negative (a product whose credit for unused time outweighs its charge, netted
    on the same invoice as billing nets it) as long as the invoice's total is not: a credit is a credit memo.
    """

    sales_order_id: ErpId | None = None
    customer_key: Key | None = None
    currency: CurrencyCode | None = None
    lines: Annotated[list[OrderLineInputV1], msgspec.Meta(min_length=1, max_length=200)] | None = None
    billing_invoice_id: Id | None = None
    """The billing system's id of the invoice this ERP invoice mirrors (announced in the posted event)."""
    issued_on: date | None = None
    due_on: date | None = None
    memo: Text | None = None

    def __post_init__(self) -> None:
        standalone = (self.customer_key, self.currency, self.lines)
        if self.sales_order_id is not None:
            if any(v is not None for v in standalone):
                raise ValueError("sales_order_id: give either a sales order or customer_key, currency and lines")
        elif any(v is None for v in standalone):
            raise ValueError("lines: a standalone invoice needs customer_key, currency and lines")
        for i, line in enumerate(self.lines or []):
            _check_currency(f"lines[{i}].unit_amount", line.unit_amount, self.currency or "")
        if self.lines and sum(line.unit_amount.amount_minor * line.quantity for line in self.lines) < 0:
            raise ValueError("lines: the invoice's total must not be negative (credit a customer with a credit memo)")
        if self.issued_on and self.due_on and self.due_on < self.issued_on:
            raise ValueError("due_on: must not be before issued_on")


class CreditMemoLineV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One credited amount, on the item it credits."""

    sku: Sku
    description: Text
    amount: Money
    """Positive: the amount credited to the customer."""


class CreditMemoCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A credit memo against an ERP invoice (applied to it up to its amount due)."""

    invoice_id: ErpId
    reason: CreditNoteReason = CreditNoteReason.OTHER
    lines: Annotated[list[CreditMemoLineV1], msgspec.Meta(min_length=1, max_length=200)]
    memo: Text | None = None

    def __post_init__(self) -> None:
        for i, line in enumerate(self.lines):
            _check_amount(f"lines[{i}].amount", line.amount, self.lines[0].amount.currency, positive=True)


class CustomerPaymentCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Money received from a customer, applied to one open invoice (or left unapplied)."""

    customer_key: Key
    amount: Money
    invoice_id: ErpId | None = None
    received_on: date | None = None
    method: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None
    memo: Text | None = None

    def __post_init__(self) -> None:
        _check_amount("amount", self.amount, self.amount.currency, positive=True)


class JournalEntryCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A journal entry to post; refused (422) unless debits equal credits, before anything reaches the ERP."""

    entry_date: date
    accounting_period: Period | None = None
    memo: Text | None = None
    lines: Annotated[list[JournalLine], msgspec.Meta(min_length=2, max_length=500)]
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    reverses_entry_id: ErpId | None = None


class QueryV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A read-only SuiteQL query (``SELECT`` only)."""

    q: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, examples=[
        "SELECT id, tranid, foreigntotal FROM transaction WHERE type = 'CustInvc'"])]
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100
    """Most rows to return (every vendor page up to it is read)."""


class QueryResultV1(msgspec.Struct, frozen=True, kw_only=True):
    """SuiteQL rows as NetSuite answers them: every non-null column a string, dates ``M/D/YYYY``."""

    items: list[dict[str, str]]
    count: int
    truncated: bool
    """True when more rows matched than ``limit``."""
