"""Inbound Chargebee webhooks: HTTP Basic verification and event translation to canonical payloads.

Chargebee signs nothing; it protects the webhook URL with HTTP Basic credentials set beside the URL in its
settings. The configured ``webhook_secret`` holds ``username:password`` (several, comma-separated, while
credentials are rotated). Events revflow does not care about are acknowledged and ignored.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec

from contracts.billing import Invoice, Payment, PaymentStatus, Refund, RefundStatus, Subscription
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
from services.system.billing.connectors.chargebee._mapping import credit_note_from_chargebee, instant, money

__all__ = ["refund_from_chargebee", "translate", "verify_basic"]

InvoiceOf = Callable[[dict[str, Any]], Awaitable[Invoice]]
SubscriptionOf = Callable[[dict[str, Any]], Awaitable[Subscription]]
KeyOf = Callable[[str], Awaitable[str]]
RefundOf = Callable[[dict[str, Any], dict[str, Any]], Awaitable[Refund]]

_UPDATED = ("subscription_changed", "subscription_renewed", "subscription_cancellation_scheduled",
            "subscription_scheduled_cancellation_removed", "subscription_reactivated")


def verify_basic(header: str | None, credentials: Sequence[str]) -> str | None:
    """Check an ``Authorization: Basic`` header against the configured ``username:password`` pairs.

    Returns:
        ``None`` when authentic, else the reason it is not.
    """
    if not credentials:
        return "no webhook credentials are configured"
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return "the Authorization header carries no Basic credentials"
    try:
        given = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "the Basic credentials are not base64"
    if any(hmac.compare_digest(given, pair.encode()) for pair in credentials):
        return None
    return "the Basic credentials do not match"


def refund_from_chargebee(txn: dict[str, Any], credit_note: dict[str, Any] | None, payment_id: str) -> Refund:
    """A Chargebee refund transaction as a canonical ``Refund``."""
    status = {"success": RefundStatus.SUCCEEDED, "failure": RefundStatus.FAILED,
              "voided": RefundStatus.CANCELED}.get(txn.get("status") or "", RefundStatus.PENDING)
    return Refund(id=txn["id"], payment_id=payment_id,
                  invoice_id=str(credit_note["reference_invoice_id"]) if credit_note else None,
                  credit_note_id=credit_note["id"] if credit_note else None,
                  amount=money(txn["amount"], txn["currency_code"]), status=status,
                  created_at=instant(txn.get("date")))


async def _invoice_event(kind: str, content: dict[str, Any], invoice_of: InvoiceOf) -> msgspec.Struct | None:
    inv = content["invoice"]
    if kind == "pending_invoice_created":
        return InvoiceCreated(invoice=await invoice_of(inv))
    if kind == "invoice_generated":
        return InvoiceFinalized(invoice=await invoice_of(inv))
    if kind == "invoice_updated" and inv.get("status") == "voided":
        return InvoiceVoided(invoice=await invoice_of(inv))
    if kind == "payment_succeeded" and inv.get("status") == "paid":
        invoice = await invoice_of(inv)
        txn = content.get("transaction") or {}
        payment = Payment(id=txn["id"], customer_id=invoice.customer_id, invoice_id=invoice.id,
                          amount=money(txn["amount"], txn["currency_code"]), status=PaymentStatus.SUCCEEDED,
                          method=txn.get("payment_method"), received_at=instant(txn.get("date"))) if txn else None
        return InvoicePaid(invoice=invoice, payment=payment)
    return None


async def translate(event: dict[str, Any], invoice_of: InvoiceOf, subscription_of: SubscriptionOf,
                    key_of: KeyOf, refund_of: RefundOf) -> tuple[msgspec.Struct | None, str | None]:
    """The canonical payload of a Chargebee event and its subject, or ``(None, None)`` when revflow ignores it.

    Args:
        event: The Chargebee event.
        invoice_of: Maps a Chargebee invoice to canonical.
        subscription_of: Maps a wrapped Chargebee subscription (``{"subscription", "customer"}``) to canonical.
        key_of: Resolves a Chargebee customer id to revflow's customer key.
        refund_of: Maps a refund transaction and its credit note to canonical.
    """
    kind = str(event.get("event_type") or "")
    content = event.get("content") or {}
    if "subscription" in content and kind.startswith("subscription_"):
        sub = await subscription_of(content)
        if kind == "subscription_created":
            return SubscriptionCreated(subscription=sub), sub.id
        if kind == "subscription_cancelled":
            return SubscriptionCanceled(subscription=sub, canceled_at=sub.canceled_at), sub.id
        if kind in _UPDATED:
            return SubscriptionUpdated(subscription=sub, changed_fields=[]), sub.id
    if "invoice" in content and kind in ("pending_invoice_created", "invoice_generated", "invoice_updated",
                                         "payment_succeeded"):
        payload = await _invoice_event(kind, content, invoice_of)
        return (payload, str(content["invoice"]["id"])) if payload is not None else (None, None)
    if kind == "credit_note_created" and "credit_note" in content:
        cn = content["credit_note"]
        return CreditNoteCreated(credit_note=credit_note_from_chargebee(cn, await key_of(cn["customer_id"]))), cn["id"]
    if kind == "payment_refunded" and "transaction" in content and "credit_note" in content:
        txn = content["transaction"]
        return RefundCreated(refund=await refund_of(txn, content["credit_note"])), txn["id"]
    return None, None
