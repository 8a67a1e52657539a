"""Shapes both majors share unchanged: webhooks and their deliveries, usage reports, customers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from contracts.common import Instant, Quantity, Sku
from contracts.parties import Contact, PostalAddress, TaxId

__all__ = [
    "REFERENCE_PATTERN",
    "DeliveryAttempt",
    "DeliveryStatus",
    "PartnerCustomer",
    "Reference",
    "UsageOutcome",
    "UsageReceipt",
    "UsageRecordInput",
    "UsageReport",
    "Webhook",
    "WebhookCreate",
    "WebhookDelivery",
    "WebhookEventType",
    "WebhookList",
    "WebhookWithSecret",
]

REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
Reference = Annotated[str, msgspec.Meta(pattern=REFERENCE_PATTERN, description="Your own id: letters, digits, "
                                        "`_` and `-`, at most 40 characters", examples=["PO-2025-0042"])]


class WebhookEventType(enum.StrEnum):
    """What a webhook can subscribe to; ``*`` is every event."""

    ALL = "*"
    ORDER_BOOKED = "order.booked"
    """The order is a deal in the CRM (its ``opportunity_id`` is known); activation follows."""
    ORDER_ACTIVATED = "order.activated"
    """The deal is live everywhere: customer, subscription, sales order and revenue contract exist."""
    ORDER_NEEDS_ATTENTION = "order.needs_attention"
    """The order or its activation stopped on a problem revflow's operators must fix; it resumes after."""
    INVOICE_SYNCED = "invoice.synced"
    """An invoice of the order's subscription reached the ledger."""
    USAGE_RECORDED = "usage.recorded"
    """A usage record was billed and recognised."""
    CREDIT_NOTE_ISSUED = "credit_note.issued"
    """A credit note was issued against one of the order's invoices."""
    WORKFLOW_COMPLETED = "workflow.completed"
    """Any other finance workflow of the order's deal finished (amendment, renewal, ...)."""
    WORKFLOW_NEEDS_ATTENTION = "workflow.needs_attention"
    """Any other finance workflow of the order's deal stopped on a problem."""


WebhookUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[!-~]+$", max_length=2048,
                                         description="Where deliveries are POSTed (https in production)",
                                         examples=["https://partner.example/hooks/revflow"])]


class WebhookCreate(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook to register."""

    url: WebhookUrl
    events: Annotated[list[WebhookEventType], msgspec.Meta(min_length=1, max_length=20)]
    """Event types to deliver; ``["*"]`` for all."""
    description: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class Webhook(msgspec.Struct, frozen=True, kw_only=True):
    """A registered webhook."""

    id: str
    url: str
    events: list[WebhookEventType]
    description: str | None = None
    created_at: datetime


class WebhookWithSecret(Webhook, frozen=True, kw_only=True):
    """A webhook just registered, with the secret its deliveries are signed with (shown this once)."""

    secret: str
    """``whsec_...``: the HMAC-SHA256 key of the ``Revflow-Signature`` header. Store it; it is not shown again."""


class WebhookList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[Webhook]


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    """Waiting for its first attempt (or a redelivery)."""
    RETRYING = "retrying"
    """An attempt failed; the next one is scheduled at ``next_attempt_at``."""
    SUCCEEDED = "succeeded"
    """The receiver answered 2xx."""
    FAILED = "failed"
    """Every attempt failed; redeliver it after fixing the receiver."""


class DeliveryAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One attempt to deliver an event."""

    attempt: int
    """1 for the first attempt of the delivery, counting across redeliveries."""
    at: datetime
    status_code: int | None = None
    """The receiver's HTTP status, when it answered."""
    error: str | None = None
    """Why the attempt failed without an answer (timeout, connection refused)."""
    duration_ms: int
    redelivery: bool = False
    """Whether the attempt belongs to a redelivery you asked for."""


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """One event on its way to one webhook, with its delivery log."""

    id: str
    webhook_id: str
    event_id: str
    """The event's id: the same in every delivery and redelivery of the event (deduplicate on it)."""
    event_type: str
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None = None
    redeliveries: int = 0
    attempts: list[DeliveryAttempt] = []


class UsageRecordInput(msgspec.Struct, frozen=True, kw_only=True):
    """Units of a usage-priced product an order's customer used."""

    id: Reference
    """Your id of the record: reporting it again is a no-op."""
    order_id: Reference
    sku: Sku
    """The order line's product."""
    quantity: Quantity
    occurred_at: Instant


class UsageReport(msgspec.Struct, frozen=True, kw_only=True):
    """A batch of usage records."""

    records: Annotated[list[UsageRecordInput], msgspec.Meta(min_length=1, max_length=500)]


class UsageOutcome(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    order_id: str
    status: Literal["accepted", "duplicate"]
    """``duplicate`` when the record was reported before (it is counted once)."""


class UsageReceipt(msgspec.Struct, frozen=True, kw_only=True):
    data: list[UsageOutcome]
    accepted: int
    duplicates: int


class PartnerCustomer(msgspec.Struct, frozen=True, kw_only=True):
    """A customer of the tenant, as its orders last described it."""

    id: str
    """Your customer id (``customer.id`` of its orders), or one derived from its name and country."""
    name: str
    legal_name: str | None = None
    currency: str
    billing_address: PostalAddress
    shipping_address: PostalAddress | None = None
    contacts: list[Contact] = []
    tax_ids: list[TaxId] = []
    tax_exempt: bool = False
    order_ids: list[str] = []
    created_at: datetime
    updated_at: datetime
