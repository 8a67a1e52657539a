"""Shapes of the partner API v2, and how v1 shapes become them.

What changed from v1 (clients move by changing these three things):

1. Money is ``{"amount": "12.34", "currency": "USD"}``: a decimal string in major units with exactly the
   currency's decimals (``"1000"`` for JPY, ``"12.345"`` for KWD), instead of ``amount_minor``.
2. Lists answer ``{"data", "has_more", "next_cursor"}``.
3. An order is keyed by ``id`` (v1: ``order_id``), in the submission and in the answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from contracts.billing import CreditNoteReason, InvoiceStatus
from contracts.catalog import BillingFrequency
from contracts.common import Quantity, Sku
from contracts.deals import DealLine
from contracts.money import CurrencyCode, Money
from contracts.parties import Customer
from services.experience.partner.schemas._shared import PartnerCustomer, Reference, WebhookDelivery
from services.experience.partner.schemas._v1 import (
    CreditNoteV1,
    InvoiceV1,
    OrderSubmissionV1,
    OrderV1,
    SubscriptionStatus,
    SubscriptionV1,
    check_customer,
)

__all__ = [
    "CreditNotePageV2",
    "CreditNoteV2",
    "CustomerPageV2",
    "DeliveryPageV2",
    "InvoiceLineV2",
    "InvoicePageV2",
    "InvoiceV2",
    "MoneyV2",
    "OrderLineV2",
    "OrderPageV2",
    "OrderSubmissionV2",
    "OrderV2",
    "SubscriptionItemV2",
    "SubscriptionPageV2",
    "SubscriptionV2",
    "credit_note_v2",
    "invoice_v2",
    "money_v2",
    "order_v2",
    "subscription_v2",
]


class MoneyV2(msgspec.Struct, frozen=True, kw_only=True):
    """An exact amount: a decimal string in major units, never a float."""

    amount: Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$", examples=["12.34"])]
    """Decimal string with at most the currency's decimals (``"12.34"`` USD, ``"1000"`` JPY)."""
    currency: CurrencyCode

    def to_money(self, field: str) -> Money:
        """The canonical amount, naming ``field`` when the string does not fit the currency."""
        try:
            return Money.parse(self.amount, self.currency)
        except ValueError as exc:
            raise ValueError(f"{field}.{exc}") from None


def money_v2(money: Money) -> MoneyV2:
    return MoneyV2(amount=money.format(), currency=money.currency)


def _opt(money: Money | None) -> MoneyV2 | None:
    return None if money is None else money_v2(money)


class OrderLineV2(msgspec.Struct, frozen=True, kw_only=True):
    """One line of an order: what is sold, how many, at what price, for which period."""

    product_sku: Sku
    description: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    quantity: Quantity
    list_price: MoneyV2
    """Catalogue price per unit per billing period."""
    sale_price: MoneyV2
    """Negotiated price per unit per billing period, after every discount."""
    service_start: date
    service_end: date
    """Last day of service, inclusive."""
    billing_frequency: BillingFrequency

    def to_deal_line(self, index: int) -> DealLine:
        """The canonical line (raises ``ValueError`` naming ``lines.<index>.<field>``)."""
        field = f"lines.{index}"
        list_price = self.list_price.to_money(f"{field}.list_price")
        sale_price = self.sale_price.to_money(f"{field}.sale_price")
        try:
            return DealLine(product_sku=self.product_sku, description=self.description, quantity=self.quantity,
                            list_price=list_price, sale_price=sale_price, service_start=self.service_start,
                            service_end=self.service_end, billing_frequency=self.billing_frequency)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{field}.{exc}") from None


class OrderSubmissionV2(msgspec.Struct, frozen=True, kw_only=True):
    """An order to book: it becomes a closed-won deal in the CRM and is activated in every system."""

    id: Reference
    """Your id of the order: submitting the same order again is a no-op; other content under it is a 409."""
    customer: Customer
    """The buyer. ``id`` is your customer id (optional): orders naming the same id are one customer."""
    currency: CurrencyCode
    lines: Annotated[list[OrderLineV2], msgspec.Meta(min_length=1, max_length=50)]
    close_date: date

    def __post_init__(self) -> None:
        check_customer(self.customer)

    def to_v1(self) -> OrderSubmissionV1:
        """The same order in v1's shape (raises ``ValueError`` naming the field that does not convert)."""
        lines = [line.to_deal_line(i) for i, line in enumerate(self.lines)]
        return OrderSubmissionV1(order_id=self.id, customer=self.customer, currency=self.currency, lines=lines,
                                 close_date=self.close_date)


class OrderV2(msgspec.Struct, frozen=True, kw_only=True):
    """An order and where it stands (see v1 for the meaning of ``status``)."""

    id: str
    status: str
    opportunity_id: str | None = None
    customer_id: str
    currency: str
    lines: list[OrderLineV2]
    amount: MoneyV2
    close_date: date
    submitted_at: datetime
    updated_at: datetime


def order_v2(order: OrderV1) -> OrderV2:
    lines = [OrderLineV2(product_sku=x.product_sku, description=x.description, quantity=x.quantity,
                         list_price=money_v2(x.list_price), sale_price=money_v2(x.sale_price),
                         service_start=x.service_start, service_end=x.service_end,
                         billing_frequency=x.billing_frequency) for x in order.lines]
    return OrderV2(id=order.order_id, status=order.status, opportunity_id=order.opportunity_id,
                   customer_id=order.customer_id, currency=order.currency, lines=lines, amount=money_v2(order.amount),
                   close_date=order.close_date, submitted_at=order.submitted_at, updated_at=order.updated_at)


class OrderPageV2(msgspec.Struct, frozen=True, kw_only=True):
    data: list[OrderV2]
    has_more: bool
    next_cursor: str | None = None


class SubscriptionItemV2(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    description: str | None = None
    quantity: int
    unit_amount: MoneyV2
    billing_frequency: BillingFrequency
    service_start: date
    service_end: date


class SubscriptionV2(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    order_id: str
    customer_id: str
    currency: str
    status: SubscriptionStatus
    items: list[SubscriptionItemV2]
    start_date: date
    end_date: date


def subscription_v2(sub: SubscriptionV1) -> SubscriptionV2:
    items = [SubscriptionItemV2(sku=i.sku, description=i.description, quantity=i.quantity,
                                unit_amount=money_v2(i.unit_amount), billing_frequency=i.billing_frequency,
                                service_start=i.service_start, service_end=i.service_end) for i in sub.items]
    return SubscriptionV2(id=sub.id, order_id=sub.order_id, customer_id=sub.customer_id, currency=sub.currency,
                          status=sub.status, items=items, start_date=sub.start_date, end_date=sub.end_date)


class SubscriptionPageV2(msgspec.Struct, frozen=True, kw_only=True):
    data: list[SubscriptionV2]
    has_more: bool
    next_cursor: str | None = None


class InvoiceLineV2(msgspec.Struct, frozen=True, kw_only=True):
    description: str
    sku: str | None = None
    quantity: int = 1
    unit_amount: MoneyV2 | None = None
    amount: MoneyV2
    tax_amount: MoneyV2 | None = None
    period_start: date | None = None
    period_end: date | None = None


class InvoiceV2(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    number: str | None = None
    order_id: str
    customer_id: str
    subscription_id: str | None = None
    status: InvoiceStatus
    currency: str
    lines: list[InvoiceLineV2]
    total: MoneyV2
    amount_paid: MoneyV2
    amount_due: MoneyV2
    issued_on: date | None = None
    due_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None


def invoice_v2(inv: InvoiceV1) -> InvoiceV2:
    lines = [InvoiceLineV2(description=x.description, sku=x.sku, quantity=x.quantity, unit_amount=_opt(x.unit_amount),
                           amount=money_v2(x.amount), tax_amount=_opt(x.tax_amount), period_start=x.period_start,
                           period_end=x.period_end) for x in inv.lines]
    return InvoiceV2(id=inv.id, number=inv.number, order_id=inv.order_id, customer_id=inv.customer_id,
                     subscription_id=inv.subscription_id, status=inv.status, currency=inv.currency, lines=lines,
                     total=money_v2(inv.total), amount_paid=money_v2(inv.amount_paid),
                     amount_due=money_v2(inv.amount_due), issued_on=inv.issued_on, due_on=inv.due_on,
                     period_start=inv.period_start, period_end=inv.period_end)


class InvoicePageV2(msgspec.Struct, frozen=True, kw_only=True):
    data: list[InvoiceV2]
    has_more: bool
    next_cursor: str | None = None


class CreditNoteV2(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    invoice_id: str
    order_id: str
    customer_id: str
    total: MoneyV2
    reason: CreditNoteReason
    refunded: bool
    issued_on: date | None = None


def credit_note_v2(note: CreditNoteV1) -> CreditNoteV2:
    return CreditNoteV2(id=note.id, invoice_id=note.invoice_id, order_id=note.order_id, customer_id=note.customer_id,
                        total=money_v2(note.total), reason=note.reason, refunded=note.refunded,
                        issued_on=note.issued_on)


class CreditNotePageV2(msgspec.Struct, frozen=True, kw_only=True):
    data: list[CreditNoteV2]
    has_more: bool
    next_cursor: str | None = None


class CustomerPageV2(msgspec.Struct, frozen=True, kw_only=True):
    data: list[PartnerCustomer]
    has_more: bool
    next_cursor: str | None = None


class DeliveryPageV2(msgspec.Struct, frozen=True, kw_only=True):
    data: list[WebhookDelivery]
    has_more: bool
    next_cursor: str | None = None
