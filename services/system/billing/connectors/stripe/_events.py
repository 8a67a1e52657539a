"""Stripe events -> canonical event payloads (``contracts.event_payloads``); others are acknowledged and ignored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from contracts.billing import Payment, PaymentStatus
from contracts.event_payloads import (
    CreditNoteCreated,
    InvoiceCreated,
    InvoiceFinalized,
    InvoicePaid,
    InvoiceVoided,
    RefundCreated,
    SubscriptionCanceled,
    SubscriptionCreated,
    SubscriptionUpdated,
)
from services.system.billing.connectors.stripe._mapping import (
    credit_note_from_stripe,
    instant,
    invoice_from_stripe,
    money,
    refund_from_stripe,
    subscription_from_stripe,
)

__all__ = ["translate"]

KeyOf = Callable[[str], Awaitable[str]]
Lines = Callable[[dict[str, Any]], Awaitable[list[dict[str, Any]]]]

_CHANGED = {"items": "items", "status": "status", "current_period_start": "current_period_start",
            "current_period_end": "current_period_end", "cancel_at_period_end": "end_date", "cancel_at": "end_date",
            "canceled_at": "canceled_at", "ended_at": "end_date", "metadata": "external_ids"}


async def _invoice(kind: str, obj: dict[str, Any], key_of: KeyOf, lines: Lines) -> msgspec.Struct | None:
    all_lines = await lines(obj)
    if not all_lines:  # an empty draft has no canonical form (an invoice needs a line)
        return None
    invoice = invoice_from_stripe(obj, all_lines, await key_of(obj["customer"]))
    if kind == "created":
        return InvoiceCreated(invoice=invoice)
    if kind == "finalized":
        return InvoiceFinalized(invoice=invoice)
    if kind == "voided":
        return InvoiceVoided(invoice=invoice)
    payment = None
    if obj.get("charge") and (obj.get("amount_paid") or 0) > 0:
        payment = Payment(id=obj["charge"], customer_id=invoice.customer_id, invoice_id=obj["id"],
                          amount=money(obj["amount_paid"], obj["currency"]), status=PaymentStatus.SUCCEEDED,
                          method="card", received_at=invoice.paid_at)
    return InvoicePaid(invoice=invoice, payment=payment)


async def _subscription(kind: str, event: dict[str, Any], key_of: KeyOf) -> msgspec.Struct:
    obj = event["data"]["object"]
    meta = obj.get("metadata") or {}
    sub = subscription_from_stripe(obj, meta.get("revflow_customer_key") or await key_of(obj["customer"]))
    if kind == "created":
        return SubscriptionCreated(subscription=sub)
    if kind == "deleted":
        return SubscriptionCanceled(subscription=sub, canceled_at=instant(obj.get("ended_at") or obj["canceled_at"]))
    previous = event["data"].get("previous_attributes") or {}
    changed = sorted({_CHANGED[k] for k in previous if k in _CHANGED})
    return SubscriptionUpdated(subscription=sub, changed_fields=changed)


async def translate(event: dict[str, Any], key_of: KeyOf, lines: Lines) -> tuple[msgspec.Struct | None, str | None]:
    """The canonical payload of a Stripe event and its subject, or ``(None, None)`` when revflow ignores it.

    Args:
        event: The Stripe event.
        key_of: Resolves a Stripe customer id to revflow's customer key.
        lines: Every line of a Stripe invoice (paging beyond the embedded ones).
    """
    kind: str = event.get("type") or ""
    obj = (event.get("data") or {}).get("object") or {}
    head, _, tail = kind.rpartition(".")
    if head == "invoice" and tail in ("created", "finalized", "paid", "voided"):
        return await _invoice(tail, obj, key_of, lines), obj["id"]
    if head == "customer.subscription" and tail in ("created", "updated", "deleted"):
        return await _subscription(tail, event, key_of), obj["id"]
    if kind == "credit_note.created":
        note = credit_note_from_stripe(obj, await key_of(obj["customer"]))
        return CreditNoteCreated(credit_note=note), obj["id"]
    if kind == "refund.created":
        return RefundCreated(refund=refund_from_stripe(obj)), obj["id"]
    return None, None
