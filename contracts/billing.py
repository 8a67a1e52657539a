"""Billing: subscriptions, invoices, credit notes, payments, refunds and usage.

Every document is in one currency, and each of its amounts must be in that currency. Billing periods are
``datetime.date`` pairs with an inclusive end. Invoice and credit-note totals are stored *and* checked against
their lines, so a total that disagrees with its lines is refused at the boundary. Contract version: 1.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import msgspec

from contracts.catalog import BillingFrequency
from contracts.common import (
    ExternalIds,
    Id,
    Instant,
    Quantity,
    Sku,
    check_non_negative,
    check_period,
    check_positive,
    check_same_currency,
    check_unique,
)
from contracts.money import CurrencyCode, Money, exponent

__all__ = [
    "CreditNote",
    "CreditNoteLine",
    "CreditNoteReason",
    "CreditNoteStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Payment",
    "PaymentStatus",
    "Refund",
    "RefundStatus",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionStatus",
    "UsageRecord",
]


class SubscriptionStatus(enum.StrEnum):
    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    PAUSED = "paused"
    UNPAID = "unpaid"
    CANCELED = "canceled"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    """Finalized and awaiting payment."""
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class CreditNoteStatus(enum.StrEnum):
    ISSUED = "issued"
    VOID = "void"


class CreditNoteReason(enum.StrEnum):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    ORDER_CHANGE = "order_change"
    PRODUCT_UNSATISFACTORY = "product_unsatisfactory"
    OTHER = "other"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


def _positions(prefix: str, items: list[object], *fields: str) -> list[tuple[str, Money | None]]:
    return [(f"{prefix}[{i}].{f}", getattr(item, f)) for i, item in enumerate(items) for f in fields]


class SubscriptionItem(msgspec.Struct, frozen=True, kw_only=True):
    """One priced product on a subscription."""

    id: Id | None = None
    product_sku: Sku
    price_id: Id | None = None
    quantity: Quantity
    unit_amount: Money
    """Price per unit per billing period (for usage items: per unit used)."""
    billing_frequency: BillingFrequency
    deal_line_id: Id | None = None
    """The opportunity line this item was activated from."""
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        check_non_negative("quantity", self.quantity)
        check_non_negative("unit_amount", self.unit_amount)


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """A recurring billing arrangement for one customer in one currency."""

    id: Id | None = None
    """The billing system's subscription id."""
    customer_id: Id
    currency: CurrencyCode
    status: SubscriptionStatus
    items: Annotated[list[SubscriptionItem], msgspec.Meta(min_length=1)]
    start_date: date
    end_date: date | None = None
    """Last day of the term, inclusive; ``None`` for evergreen subscriptions."""
    current_period_start: date | None = None
    current_period_end: date | None = None
    """Last day of the current billing period, inclusive."""
    canceled_at: Instant | None = None
    opportunity_id: Id | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        if not self.items:
            raise ValueError("items: a subscription needs at least one item")
        check_same_currency(self.currency, _positions("items", self.items, "unit_amount"))
        check_unique("items[].id", (item.id for item in self.items))
        check_period(self.start_date, self.end_date, "end_date")
        check_period(self.current_period_start, self.current_period_end, "current_period_end")


class InvoiceLine(msgspec.Struct, frozen=True, kw_only=True):
    """One charge on an invoice.

    ``amount`` is net of discounts and before tax; it may be negative (a proration credit).
    """

    id: Id | None = None
    description: Annotated[str, msgspec.Meta(min_length=1)]
    product_sku: Sku | None = None
    quantity: Quantity = 1
    unit_amount: Money | None = None
    amount: Money
    tax_amount: Money | None = None
    period_start: date | None = None
    period_end: date | None = None
    """Last day the line covers, inclusive."""
    subscription_item_id: Id | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        check_non_negative("quantity", self.quantity)
        check_same_currency(self.amount.currency, [("unit_amount", self.unit_amount), ("tax_amount", self.tax_amount)])
        check_period(self.period_start, self.period_end, "period_end")


class Invoice(msgspec.Struct, frozen=True, kw_only=True):
    """A bill to a customer; ``total`` equals the sum of line amounts and line taxes."""

    id: Id | None = None
    """The billing system's invoice id."""
    number: str | None = None
    """The human-facing invoice number, assigned on finalization."""
    customer_id: Id
    subscription_id: Id | None = None
    status: InvoiceStatus
    currency: CurrencyCode
    lines: Annotated[list[InvoiceLine], msgspec.Meta(min_length=1)]
    total: Money
    amount_paid: Money | None = None
    issued_on: date | None = None
    due_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    finalized_at: Instant | None = None
    paid_at: Instant | None = None
    voided_at: Instant | None = None
    opportunity_id: Id | None = None
    """The CRM opportunity a one-off invoice (not a subscription's) was issued for, when revflow issued it."""
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        if not self.lines:
            raise ValueError("lines: an invoice needs at least one line")
        amounts = _positions("lines", self.lines, "amount", "tax_amount")
        check_same_currency(self.currency, [*amounts, ("total", self.total), ("amount_paid", self.amount_paid)])
        check_unique("lines[].id", (line.id for line in self.lines))
        check_non_negative("amount_paid", self.amount_paid)
        computed = Money.total((m for _, m in amounts if m is not None), self.currency)
        if computed != self.total:
            raise ValueError(f"total: {self.total} differs from the sum of line amounts and taxes {computed}")
        check_period(self.issued_on, self.due_on, "due_on")
        check_period(self.period_start, self.period_end, "period_end")

    @property
    def subtotal(self) -> Money:
        """Sum of line amounts, before tax."""
        return Money.total((line.amount for line in self.lines), self.currency)

    @property
    def amount_due(self) -> Money:
        """What remains to be paid."""
        return self.total - (self.amount_paid or Money.zero(self.currency))


class CreditNoteLine(msgspec.Struct, frozen=True, kw_only=True):
    """One credited amount, usually against one invoice line."""

    invoice_line_id: Id | None = None
    description: Annotated[str, msgspec.Meta(min_length=1)]
    amount: Money
    """Positive: the amount credited to the customer."""

    def __post_init__(self) -> None:
        check_positive("amount", self.amount)


class CreditNote(msgspec.Struct, frozen=True, kw_only=True):
    """A reduction of an invoice's amount; ``total`` equals the sum of its lines."""

    id: Id | None = None
    invoice_id: Id
    customer_id: Id
    status: CreditNoteStatus = CreditNoteStatus.ISSUED
    reason: CreditNoteReason = CreditNoteReason.OTHER
    currency: CurrencyCode
    lines: Annotated[list[CreditNoteLine], msgspec.Meta(min_length=1)]
    total: Money
    issued_at: Instant | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        if not self.lines:
            raise ValueError("lines: a credit note needs at least one line")
        check_same_currency(self.currency, [*_positions("lines", self.lines, "amount"), ("total", self.total)])
        computed = Money.total((line.amount for line in self.lines), self.currency)
        if computed != self.total:
            raise ValueError(f"total: {self.total} differs from the sum of line amounts {computed}")


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    """Money received from a customer."""

    id: Id | None = None
    customer_id: Id
    invoice_id: Id | None = None
    amount: Money
    status: PaymentStatus
    method: str | None = None
    """``card``, ``ach_debit``, ``sepa_debit``, ``wire``, ..."""
    received_at: Instant | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        check_positive("amount", self.amount)


class Refund(msgspec.Struct, frozen=True, kw_only=True):
    """Money returned to a customer against a payment."""

    id: Id | None = None
    payment_id: Id
    invoice_id: Id | None = None
    credit_note_id: Id | None = None
    amount: Money
    status: RefundStatus
    reason: str | None = None
    created_at: Instant | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        check_positive("amount", self.amount)


class UsageRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Units consumed on a usage-priced subscription item; ``id`` is the idempotency key of the report."""

    id: Id
    subscription_id: Id
    subscription_item_id: Id
    product_sku: Sku | None = None
    quantity: Quantity
    occurred_at: Instant
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError(f"quantity: must be an int, got {type(self.quantity).__name__}")
        check_non_negative("quantity", self.quantity)
