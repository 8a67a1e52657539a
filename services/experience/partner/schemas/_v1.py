"""Shapes of the partner API v1 (deprecated in favour of v2).

Money is ``{"amount_minor": 1234, "currency": "USD"}``, lists are ``{"data", "next_cursor"}``, orders are keyed
by ``order_id``.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Annotated

import msgspec

from contracts.billing import CreditNoteReason, InvoiceStatus
from contracts.catalog import BillingFrequency
from contracts.deals import DealLine
from contracts.money import CurrencyCode, Money
from contracts.parties import Customer
from services.experience.partner.schemas._shared import REFERENCE_PATTERN, PartnerCustomer, Reference, WebhookDelivery

__all__ = [
    "CreditNotePageV1",
    "CreditNoteV1",
    "CustomerPageV1",
    "DeliveryPageV1",
    "InvoiceLineV1",
    "InvoicePageV1",
    "InvoiceV1",
    "OrderPageV1",
    "OrderSubmissionV1",
    "OrderV1",
    "SubscriptionItemV1",
    "SubscriptionPageV1",
    "SubscriptionStatus",
    "SubscriptionV1",
    "check_customer",
    "check_lines",
]

_REFERENCE = re.compile(REFERENCE_PATTERN)


def check_lines(currency: str, lines: list[DealLine]) -> None:
    """Refuse lines priced in another currency than the order's."""
    for i, line in enumerate(lines):
        if line.list_price.currency != currency:
            raise ValueError(f"lines.{i}.list_price: currency {line.list_price.currency} differs from the order "
                             f"currency {currency}")


def check_customer(customer: Customer) -> None:
    """Refuse a customer id that is not a reference (it becomes part of revflow's ids)."""
    if customer.id is not None and not _REFERENCE.match(customer.id):
        raise ValueError(f"customer.id: must match {REFERENCE_PATTERN}")


class OrderSubmissionV1(msgspec.Struct, frozen=True, kw_only=True):
    """An order to book: it becomes a closed-won deal in the CRM and is activated in every system."""

    order_id: Reference
    """Your id of the order: submitting the same order again is a no-op; other content under it is a 409."""
    customer: Customer
    """The buyer. ``id`` is your customer id (optional): orders naming the same id are one customer."""
    currency: CurrencyCode
    lines: Annotated[list[DealLine], msgspec.Meta(min_length=1, max_length=50)]
    close_date: date

    def __post_init__(self) -> None:
        check_customer(self.customer)
        check_lines(self.currency, self.lines)


class OrderV1(msgspec.Struct, frozen=True, kw_only=True):
    """An order and where it stands."""

    order_id: str
    status: str
    """``submitted`` until revflow reports on it, then the deal's business status: ``pending_validation``,
    ``blocked_master_data``, ``awaiting_billing``, ``awaiting_erp_posting``, ``awaiting_revenue_schedule``,
    ``completed``, ``needs_attention`` or ``cancelled``."""
    opportunity_id: str | None = None
    """The deal's id once the CRM has it."""
    customer_id: str
    currency: str
    lines: list[DealLine]
    amount: Money
    """Sum of the line amounts per billing period."""
    close_date: date
    submitted_at: datetime
    updated_at: datetime


class OrderPageV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[OrderV1]
    next_cursor: str | None = None
    """Pass as ``cursor`` for the next page; ``null`` on the last page."""


class CustomerPageV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[PartnerCustomer]
    next_cursor: str | None = None


class SubscriptionStatus(enum.StrEnum):
    ACTIVATING = "activating"
    """Created in billing; the rest of the activation is still running."""
    ACTIVE = "active"
    NEEDS_ATTENTION = "needs_attention"
    """The activation stopped on a problem revflow's operators are fixing."""
    CANCELLED = "cancelled"


class SubscriptionItemV1(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    description: str | None = None
    quantity: int
    unit_amount: Money
    """Price per unit per billing period (per unit used, for usage items)."""
    billing_frequency: BillingFrequency
    service_start: date
    service_end: date
    """Last day of service, inclusive."""


class SubscriptionV1(msgspec.Struct, frozen=True, kw_only=True):
    """The billing subscription an order became."""

    id: str
    order_id: str
    customer_id: str
    currency: str
    status: SubscriptionStatus
    items: list[SubscriptionItemV1]
    start_date: date
    end_date: date
    """Last day of the term, inclusive."""


class SubscriptionPageV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[SubscriptionV1]
    next_cursor: str | None = None


class InvoiceLineV1(msgspec.Struct, frozen=True, kw_only=True):
    description: str
    sku: str | None = None
    quantity: int = 1
    unit_amount: Money | None = None
    amount: Money
    """Net of discounts, before tax; negative for a proration credit."""
    tax_amount: Money | None = None
    period_start: date | None = None
    period_end: date | None = None
    """Last day the line covers, inclusive."""


class InvoiceV1(msgspec.Struct, frozen=True, kw_only=True):
    """A bill to one of the tenant's customers."""

    id: str
    number: str | None = None
    order_id: str
    customer_id: str
    subscription_id: str | None = None
    status: InvoiceStatus
    currency: str
    lines: list[InvoiceLineV1]
    total: Money
    amount_paid: Money
    amount_due: Money
    issued_on: date | None = None
    due_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None


class InvoicePageV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[InvoiceV1]
    next_cursor: str | None = None


class CreditNoteV1(msgspec.Struct, frozen=True, kw_only=True):
    """A reduction of one of the tenant's invoices."""

    id: str
    invoice_id: str
    order_id: str
    customer_id: str
    total: Money
    """What was credited."""
    reason: CreditNoteReason
    refunded: bool
    """Whether the money was returned (a paid invoice); otherwise the credit reduced what is owed."""
    issued_on: date | None = None


class CreditNotePageV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[CreditNoteV1]
    next_cursor: str | None = None


class DeliveryPageV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[WebhookDelivery]
    next_cursor: str | None = None
