"""What the panel answers: the compact deal panel (Salesforce Lightning) and HubSpot's CRM card shape.

``DealPanelV1`` is the one panel both shapes are drawn from; it is also what the cache holds. Amounts are
integer minor units with their currency, plus the plain decimal string a Lightning ``formatted-number`` or a
HubSpot ``CURRENCY`` property wants (never a float).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Literal

import msgspec

from contracts.money import CurrencyCode
from contracts.process import BusinessStatus, ExceptionOwner

__all__ = [
    "AmountV1",
    "AmountsV1",
    "CardActionV1",
    "CardPropertyV1",
    "CardResultV1",
    "DealPanelV1",
    "HubSpotCardV1",
    "NextInvoiceV1",
    "OpenExceptionV1",
    "Tone",
]


class Tone(enum.StrEnum):
    """How a CRM should colour the finance status (Lightning badge themes, HubSpot ``STATUS`` options)."""

    SUCCESS = "success"
    INFO = "info"
    WARNING = "warning"
    DANGER = "danger"
    DEFAULT = "default"


class AmountV1(msgspec.Struct, frozen=True, kw_only=True):
    """An exact amount: minor units and currency, and the same as a plain decimal string."""

    amount_minor: int
    currency: CurrencyCode
    decimal: str
    """``"4500.00"``: the currency's exact decimals, no grouping, no symbol."""


class AmountsV1(msgspec.Struct, frozen=True, kw_only=True):
    """The deal's money so far, in the deal's currency."""

    booked: AmountV1 | None = None
    """The revenue contract's transaction price (current version), when revrec holds one."""
    billed: AmountV1
    """Invoices issued (open, paid or uncollectible; drafts and voided invoices are not billed)."""
    paid: AmountV1
    """Paid against those invoices."""
    outstanding: AmountV1
    """Billed but not yet paid (open and uncollectible invoices)."""
    recognized: AmountV1
    """Revenue recognised: the revenue contract's schedule lines in closed periods."""


class NextInvoiceV1(msgspec.Struct, frozen=True, kw_only=True):
    """The invoice the customer owes or will get next."""

    state: Literal["open", "draft", "upcoming"]
    """``open``: issued and unpaid; ``draft``: created, not finalised yet; ``upcoming``: the next billing date
    of the subscription (the end of the period last invoiced: subscriptions renew until cancelled)."""
    invoice_id: str | None = None
    number: str | None = None
    amount_due: AmountV1 | None = None
    """Unknown for an upcoming invoice (the process API does not expose billing's preview)."""
    due_on: date | None = None
    expected_on: date | None = None
    """For an upcoming invoice: the day billing will issue it."""


class OpenExceptionV1(msgspec.Struct, frozen=True, kw_only=True):
    """A workflow of the deal that waits for a person."""

    workflow_id: str
    workflow: str
    """The finance process: ``activation``, ``invoice_sync``, ``amendment``..."""
    step: str
    owner: ExceptionOwner
    """The team that must act."""
    reason: str
    fix: str
    """What the owner should do."""
    code: str | None = None
    since: datetime | None = None
    technical_state: str
    """``parked`` (resume after the fix), ``dead_lettered`` (retry after the fix) or ``retrying``."""


class DealPanelV1(msgspec.Struct, frozen=True, kw_only=True):
    """A deal's finance status for a CRM record page (the Salesforce Lightning component's payload)."""

    opportunity_id: str
    customer: str | None = None
    finance_status: BusinessStatus
    finance_status_label: str
    """The status in finance's words: ``Blocked: master data``, ``Awaiting ERP posting``, ``Completed``."""
    tone: Tone
    subscription_id: str | None = None
    ids: dict[str, str] = {}
    """The deal's ids in each system (billing customer, subscription, sales order, revenue contract...)."""
    currency: CurrencyCode | None = None
    amounts: AmountsV1 | None = None
    """``None`` until the deal has a currency in billing or revrec."""
    next_invoice: NextInvoiceV1 | None = None
    exceptions: list[OpenExceptionV1] = []
    """Open exceptions, oldest first, each with its owner and fix."""
    url: str | None = None
    """Where a person sees the whole deal (the ops console), when configured."""
    unavailable: list[str] = []
    """Systems the process API could not read just now: their figures are missing, not zero."""
    as_of: datetime
    """When this panel was computed (a cached panel keeps its time)."""


# -- HubSpot CRM card data-fetch response (legacy CRM cards, documented shape) ------------------------------


class CardPropertyV1(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """One labelled value on a card result."""

    label: str
    data_type: Literal["STRING", "NUMERIC", "CURRENCY", "DATE", "DATETIME", "STATUS", "LINK", "EMAIL", "BOOLEAN"]
    value: str
    currency_code: str | None = None
    """For ``CURRENCY``: the ISO 4217 code."""
    option_type: Literal["DEFAULT", "SUCCESS", "WARNING", "DANGER", "INFO"] | None = None
    """For ``STATUS``: the colour."""


class CardActionV1(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """An action a HubSpot user can take from the card (here: open the deal in the ops console)."""

    type: Literal["IFRAME", "ACTION_HOOK", "CONFIRMATION_ACTION_HOOK"]
    uri: str
    label: str
    associated_object_properties: list[str]
    width: int | None = None
    height: int | None = None


class CardResultV1(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """One item of the card: the deal's finance status, or one open exception."""

    object_id: int
    """HubSpot wants a number: the HubSpot deal id (numeric), else a stable checksum of the deal id."""
    title: str
    link: str | None = None
    properties: list[CardPropertyV1]
    actions: list[CardActionV1] = []


class HubSpotCardV1(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """The answer to a CRM card data-fetch request: ``{"results": [...], "primaryAction": {...}}``."""

    results: list[CardResultV1]
    primary_action: CardActionV1 | None = None
