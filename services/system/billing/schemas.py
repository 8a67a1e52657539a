"""Request and response bodies of the billing system API (v1) that are not canonical objects themselves.

Responses are canonical objects from ``contracts`` wherever one exists (``Customer``, ``Subscription``,
``Invoice``, ``CreditNote``, ``Refund``, ``UsageRecord``); the Structs here are commands and envelopes.
Amounts are ``Money`` (integer minor units + ISO 4217 code), never floats.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

import msgspec

from contracts.billing import CreditNoteReason, Invoice, InvoiceLine, Subscription
from contracts.catalog import BillingFrequency, Price, Product
from contracts.common import Id, Instant, Quantity, Sku
from contracts.money import CurrencyCode, Money

__all__ = [
    "AmendmentResultV1",
    "AmendmentV1",
    "CancellationV1",
    "CatalogItemSyncV1",
    "CatalogItemV1",
    "CatalogPriceV1",
    "CreditNoteCreateV1",
    "CreditNoteLineInputV1",
    "InvoiceCreateV1",
    "InvoiceLineInputV1",
    "InvoiceListV1",
    "ItemChangeV1",
    "Proration",
    "RefundCreateV1",
    "RenewalV1",
    "SubscriptionCreateV1",
    "SubscriptionItemInputV1",
    "SubscriptionListV1",
    "UsageReportV1",
    "WebhookAckV1",
]

Key = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", description="Business key",
                                  examples=["ACME-001"])]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class Proration(enum.StrEnum):
    """What happens to the price difference of a mid-term change."""

    CREATE_PRORATIONS = "create_prorations"
    """Credit unused time and charge remaining time on the next invoice."""
    NONE = "none"
    """Change without any proration."""
    ALWAYS_INVOICE = "always_invoice"
    """Credit and charge at once, on an invoice issued immediately."""


class CatalogPriceV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One flat price of a catalogue item: an amount per unit per billing period in one currency.

    A ``one_time`` price is an amount per unit charged once (a setup fee). On Stripe it is a one-time Price of
    the SKU's product; on Chargebee the SKU becomes a *charge* item (whose prices have no period), so a SKU
    sold one-time cannot also have recurring or usage prices there.
    """

    currency: CurrencyCode
    billing_frequency: BillingFrequency
    unit_amount: Money


class CatalogItemV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A catalogue item to sync: the product and its current list prices (one per currency and frequency)."""

    name: Text
    description: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    active: bool = True
    prices: Annotated[list[CatalogPriceV1], msgspec.Meta(max_length=20)] = []

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for i, price in enumerate(self.prices):
            if price.unit_amount.currency != price.currency:
                raise ValueError(f"prices[{i}].unit_amount: currency must be {price.currency}")
            if price.unit_amount.amount_minor < 0:
                raise ValueError(f"prices[{i}].unit_amount: must not be negative")
            pair = (price.currency, price.billing_frequency.value)
            if pair in seen:
                raise ValueError(f"prices[{i}]: a second price for {pair[0]} {pair[1]}")
            seen.add(pair)


class CatalogItemSyncV1(msgspec.Struct, frozen=True, kw_only=True):
    """The item as the billing system now holds it."""

    product: Product
    prices: list[Price]
    """The active list prices, one per currency and frequency."""
    retired_price_ids: list[str] = []
    """Vendor prices this sync deactivated (prices are immutable, so a new amount means a new price)."""


class SubscriptionItemInputV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One item of a new subscription; ``unit_amount`` may differ from the list price (a deal price).

    A ``one_time`` item (a setup fee) is charged ``quantity`` x ``unit_amount`` once, on the subscription's
    first invoice; see ``SubscriptionCreateV1``.
    """

    sku: Sku
    quantity: Quantity = 1
    billing_frequency: BillingFrequency
    unit_amount: Money

    def __post_init__(self) -> None:
        if self.unit_amount.amount_minor < 0:
            raise ValueError("unit_amount: must not be negative")


class SubscriptionCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A new subscription for a customer known by its business key.

    Items may mix recurring (``monthly`` ... ``annual``, all of one frequency), ``usage`` and ``one_time``
    items, and at least one must be recurring or usage. A one-time item (a setup fee of a closed-won deal) is
    billed once, on the subscription's first invoice, next to the first period of the recurring items: that
    invoice (``GET /v1/invoices?subscription=<id>``) carries a line with the item's ``product_sku``,
    ``quantity`` and ``amount`` = ``quantity`` x ``unit_amount``, and no later invoice bills it again. It is
    not recurring, so it is **not** one of the returned subscription's ``items`` (Stripe
    ``add_invoice_items``; Chargebee charge items added at creation, ``charge_on_option=immediately``).
    """

    customer_key: Key
    items: Annotated[list[SubscriptionItemInputV1], msgspec.Meta(min_length=1, max_length=20)]
    start_date: date | None = None
    """Service start; defaults to the creation day. A later day defers billing: nothing recurring is billed until
    that day (00:00 UTC), whose first period is then billed in full and anchors the billing cycle, while one-time
    items are billed at creation. The subscription reads ``trialing`` until then (Stripe: a trial ending at the
    start; Chargebee: a ``future`` subscription). On or before the creation day, billing starts at creation."""
    opportunity_id: Id | None = None
    collection_method: Literal["charge_automatically", "send_invoice"] = "charge_automatically"
    days_until_due: Annotated[int, msgspec.Meta(ge=0, le=365)] | None = None

    def __post_init__(self) -> None:
        currencies = {item.unit_amount.currency for item in self.items}
        if len(currencies) > 1:
            raise ValueError("items: every item must be in one currency")
        skus = [item.sku for item in self.items]
        if len(set(skus)) != len(skus):
            raise ValueError("items: each sku may appear once")
        if all(item.billing_frequency is BillingFrequency.ONE_TIME for item in self.items):
            raise ValueError("items: a subscription needs a recurring or usage item; one-time items are billed on "
                             "its first invoice")

    @property
    def currency(self) -> str:
        """The currency of the subscription (its items')."""
        return self.items[0].unit_amount.currency

    def billing_start(self, today: date) -> datetime | None:
        """When billing starts if the service starts after ``today`` (midnight UTC of ``start_date``), else ``None``."""
        if self.start_date is None or self.start_date <= today:
            return None
        return datetime.combine(self.start_date, time.min, UTC)


class ItemChangeV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A change to the item of ``sku`` (added when the subscription has none)."""

    sku: Sku
    quantity: Quantity | None = None
    unit_amount: Money | None = None
    billing_frequency: BillingFrequency | None = None

    def __post_init__(self) -> None:
        if self.quantity is None and self.unit_amount is None:
            raise ValueError("quantity: give a new quantity, a new unit_amount, or both")
        if self.unit_amount is not None and self.unit_amount.amount_minor < 0:
            raise ValueError("unit_amount: must not be negative")


class AmendmentV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A mid-term change of quantities or prices with an explicit proration policy."""

    changes: Annotated[list[ItemChangeV1], msgspec.Meta(min_length=1, max_length=20)]
    proration: Proration
    effective_at: Instant | None = None
    """When the change takes effect for proration (within the current period); default now."""


class AmendmentResultV1(msgspec.Struct, frozen=True, kw_only=True):
    """The amended subscription and what the change costs."""

    subscription: Subscription
    pending_lines: list[InvoiceLine] = []
    """Proration charges and credits waiting for the next invoice (``create_prorations``)."""
    invoice: Invoice | None = None
    """The invoice issued at once (``always_invoice``)."""


class RenewalV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Renew the subscription for another term: any scheduled cancellation is lifted."""

    term_end: date | None = None
    """Last day of the new term (inclusive); ``None`` for evergreen."""
    opportunity_id: Id | None = None
    """The renewal opportunity."""


class CancellationV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cancel now, or at the end of the current term."""

    at: Literal["now", "term_end"]
    prorate: bool = False
    """With ``at="now"``: credit the unused part of the current period."""


class SubscriptionListV1(msgspec.Struct, frozen=True, kw_only=True):
    """Every subscription of a customer in any status (all vendor pages read), newest first."""

    data: list[Subscription]


class InvoiceLineInputV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One charge of a one-off invoice: ``quantity`` x ``unit_amount`` of a product of the catalogue."""

    sku: Sku
    quantity: Quantity = 1
    unit_amount: Money
    description: Annotated[str, msgspec.Meta(max_length=500)] | None = None

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError("quantity: must be at least 1")
        if self.unit_amount.amount_minor < 0:
            raise ValueError("unit_amount: must not be negative")


class InvoiceCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A one-off invoice of one-time charges, outside any subscription (a deal of one-time lines only).

    The invoice is finalized at once; ``charge_automatically`` also collects it (it reads ``paid`` when the
    charge succeeds, ``open`` when it does not), ``send_invoice`` leaves it ``open``, due in ``days_until_due``.
    The opportunity id is kept on the invoice (Stripe metadata, Chargebee ``po_number``), so the invoice of a
    create whose answer was lost is found with ``GET /v1/invoices?customer=<key>&opportunity=<id>``.
    """

    customer_key: Key
    lines: Annotated[list[InvoiceLineInputV1], msgspec.Meta(min_length=1, max_length=20)]
    opportunity_id: Id | None = None
    collection_method: Literal["charge_automatically", "send_invoice"] = "charge_automatically"
    days_until_due: Annotated[int, msgspec.Meta(ge=0, le=365)] | None = None

    def __post_init__(self) -> None:
        if len({line.unit_amount.currency for line in self.lines}) > 1:
            raise ValueError("lines: every line must be in one currency")
        if self.collection_method == "send_invoice" and self.days_until_due is None:
            raise ValueError("days_until_due: required when collection_method is send_invoice")
        if self.opportunity_id is not None and len(self.opportunity_id) > 90:
            raise ValueError("opportunity_id: at most 90 characters (it is kept in the invoice's PO number)")

    @property
    def currency(self) -> str:
        """The currency of the invoice (its lines')."""
        return self.lines[0].unit_amount.currency


class InvoiceListV1(msgspec.Struct, frozen=True, kw_only=True):
    """Every invoice matching the filters (all vendor pages read), newest first."""

    data: list[Invoice]


_NOT_IN_IDS = frozenset("/?#%\\")


def check_vendor_id(field: str, value: str | None) -> None:
    """An id the connector puts in a vendor's URL path must be one plain path segment.

    Vendors' ids never hold these characters; one that does would address another resource (``/`` names the
    collection), so it is refused as bad input rather than sent.
    """
    if value is None:
        return
    if value in (".", "..") or not value.isprintable() or value != value.strip() or _NOT_IN_IDS & set(value):
        raise ValueError(f"{field}: not an id (one path segment: no / ? # % \\, spaces around it or control "
                         "characters)")


class CreditNoteLineInputV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One credited amount; against an invoice line when ``invoice_line_id`` is given."""

    invoice_line_id: Id | None = None
    description: Text
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.amount_minor <= 0:
            raise ValueError("amount: must be positive")


class CreditNoteCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A credit note against an invoice; on a paid invoice the credit goes as ``settlement`` says."""

    invoice_id: Id
    lines: Annotated[list[CreditNoteLineInputV1], msgspec.Meta(min_length=1, max_length=50)]
    reason: CreditNoteReason = CreditNoteReason.OTHER
    memo: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    settlement: Literal["customer_balance", "refund", "out_of_band"] = "customer_balance"

    def __post_init__(self) -> None:
        check_vendor_id("invoice_id", self.invoice_id)
        if len({line.amount.currency for line in self.lines}) > 1:
            raise ValueError("lines: every line must be in one currency")


class RefundCreateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Return money paid against an invoice (or a payment known by its id)."""

    invoice_id: Id | None = None
    payment_id: Id | None = None
    amount: Money
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = None

    def __post_init__(self) -> None:
        check_vendor_id("invoice_id", self.invoice_id)
        check_vendor_id("payment_id", self.payment_id)
        if (self.invoice_id is None) == (self.payment_id is None):
            raise ValueError("invoice_id: give exactly one of invoice_id and payment_id")
        if self.amount.amount_minor <= 0:
            raise ValueError("amount: must be positive")


class UsageReportV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Units used on the usage-priced item ``sku``; ``id`` makes the report idempotent at the vendor."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._:-]{1,100}$")]
    subscription_id: Id
    sku: Sku
    quantity: Quantity
    occurred_at: Instant

    def __post_init__(self) -> None:
        check_vendor_id("subscription_id", self.subscription_id)


class WebhookAckV1(msgspec.Struct, frozen=True, kw_only=True):
    """Answer to the vendor's webhook delivery."""

    received: bool = True
    duplicate: bool = False
    published: str | None = None
    """Type of the CloudEvent republished, if any."""

