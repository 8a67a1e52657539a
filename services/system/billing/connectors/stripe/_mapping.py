"""Stripe objects -> canonical objects, and the few canonical -> Stripe shapes that need rules.

Stripe amounts are integers in the currency's minor unit (as ours); currencies are lower case (ours upper).
Stripe periods are unix-second instants with an exclusive end; canonical periods are dates with an
inclusive end, so a period ending at ``2024-05-01T00:00:00Z`` ends on ``2024-04-30``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from contracts.billing import (
    CreditNote,
    CreditNoteLine,
    CreditNoteReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Refund,
    RefundStatus,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from contracts.catalog import BillingFrequency, Price
from contracts.money import Money
from services.system.billing.errors import InconsistentVendorData

__all__ = [
    "FREQUENCY_RECURRING",
    "META",
    "credit_note_from_stripe",
    "day",
    "end_day",
    "frequency_of",
    "instant",
    "invoice_from_stripe",
    "line_from_stripe",
    "money",
    "price_from_stripe",
    "refund_from_stripe",
    "subscription_from_stripe",
]

META = "revflow_"
"""Prefix of the metadata keys revflow writes on Stripe objects."""

FREQUENCY_RECURRING: dict[BillingFrequency, dict[str, Any] | None] = {
    BillingFrequency.ONE_TIME: None,
    BillingFrequency.MONTHLY: {"interval": "month", "interval_count": 1},
    BillingFrequency.QUARTERLY: {"interval": "month", "interval_count": 3},
    BillingFrequency.SEMIANNUAL: {"interval": "month", "interval_count": 6},
    BillingFrequency.ANNUAL: {"interval": "year", "interval_count": 1},
    BillingFrequency.USAGE: {"interval": "month", "interval_count": 1, "usage_type": "metered"},
}
_BY_INTERVAL = {("month", 1): BillingFrequency.MONTHLY, ("month", 3): BillingFrequency.QUARTERLY,
                ("month", 6): BillingFrequency.SEMIANNUAL, ("month", 12): BillingFrequency.ANNUAL,
                ("year", 1): BillingFrequency.ANNUAL}
_SUB_STATUS = {"incomplete_expired": SubscriptionStatus.CANCELED}
_CN_REASONS = {r.value for r in CreditNoteReason}


def money(amount: int | None, currency: str) -> Money:
    """Stripe minor units and currency as ``Money``."""
    return Money(amount_minor=int(amount or 0), currency=currency.upper())


def instant(ts: int | None) -> datetime | None:
    """Unix seconds as an aware UTC instant."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def day(ts: int | None) -> date | None:
    """The UTC date of unix seconds."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).date()


def end_day(start: int | None, end: int | None) -> date | None:
    """The inclusive last day of a Stripe period whose ``end`` is exclusive."""
    if end is None:
        return None
    return day(max(end - 1, start if start is not None else end - 1))


def frequency_of(price: dict[str, Any]) -> BillingFrequency:
    """The canonical billing frequency of a Stripe price (revflow's own metadata first)."""
    tagged = (price.get("metadata") or {}).get(META + "frequency")
    if tagged in BillingFrequency.__members__.values():
        return BillingFrequency(tagged)
    recurring = price.get("recurring")
    if not recurring:
        return BillingFrequency.ONE_TIME
    if recurring.get("usage_type") == "metered":
        return BillingFrequency.USAGE
    return _BY_INTERVAL.get((recurring["interval"], recurring.get("interval_count", 1)), BillingFrequency.MONTHLY)


def sku_of(price: dict[str, Any] | None) -> str | None:
    """The SKU a Stripe price belongs to (from revflow's metadata), if known."""
    if not price:
        return None
    return (price.get("metadata") or {}).get(META + "sku")


def price_from_stripe(price: dict[str, Any], sku: str) -> Price:
    """A flat Stripe price as a canonical ``Price``."""
    return Price(id=price["id"], product_sku=sku, currency=price["currency"].upper(),
                 billing_frequency=frequency_of(price), unit_amount=money(price.get("unit_amount"), price["currency"]),
                 active=bool(price.get("active", True)))


def subscription_from_stripe(sub: dict[str, Any], customer_key: str) -> Subscription:
    """A Stripe subscription as a canonical ``Subscription`` (``customer_id`` is revflow's customer key)."""
    meta = sub.get("metadata") or {}
    currency = sub["currency"]
    items = [SubscriptionItem(
        id=si["id"], product_sku=sku_of(si["price"]) or si["price"]["product"], price_id=si["price"]["id"],
        quantity=int(si.get("quantity") or 0), unit_amount=money(si["price"].get("unit_amount"), currency),
        billing_frequency=frequency_of(si["price"])) for si in sub["items"]["data"]]
    start = _date_meta(meta, "start_date") or day(sub.get("start_date"))
    end = _date_meta(meta, "term_end")
    if sub.get("cancel_at_period_end"):
        end = end_day(sub["current_period_start"], sub["current_period_end"])
    if sub.get("ended_at") is not None:
        end = day(sub["ended_at"])
    if start is not None and end is not None and end < start:
        end = start
    status = _SUB_STATUS.get(sub["status"]) or SubscriptionStatus(sub["status"])
    return Subscription(
        id=sub["id"], customer_id=customer_key, currency=currency.upper(), status=status, items=items,
        start_date=start or date.today(), end_date=end, current_period_start=day(sub.get("current_period_start")),
        current_period_end=end_day(sub.get("current_period_start"), sub.get("current_period_end")),
        canceled_at=instant(sub.get("canceled_at")), opportunity_id=meta.get(META + "opportunity_id"))


def _date_meta(meta: dict[str, str], name: str) -> date | None:
    raw = meta.get(META + name)
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def line_from_stripe(line: dict[str, Any], currency: str) -> InvoiceLine:
    """A Stripe invoice line (or pending invoice item) as a canonical ``InvoiceLine``."""
    price = line.get("price")
    unit = price.get("unit_amount") if price and price.get("billing_scheme", "per_unit") == "per_unit" else None
    period = line.get("period") or {}
    return InvoiceLine(
        id=line["id"], description=line.get("description") or "(no description)", product_sku=sku_of(price),
        quantity=int(line.get("quantity") or 0), unit_amount=money(unit, currency) if unit is not None else None,
        amount=money(line["amount"], currency), period_start=day(period.get("start")),
        period_end=end_day(period.get("start"), period.get("end")),
        subscription_item_id=line.get("subscription_item"))


def invoice_from_stripe(inv: dict[str, Any], lines: list[dict[str, Any]], customer_key: str) -> Invoice:
    """A Stripe invoice (with all its lines) as a canonical ``Invoice``."""
    cur = inv["currency"]
    transitions = inv.get("status_transitions") or {}
    try:
        return Invoice(
            id=inv["id"], number=inv.get("number"), customer_id=customer_key, subscription_id=inv.get("subscription"),
            status=InvoiceStatus(inv["status"]), currency=cur.upper(),
            lines=[line_from_stripe(line, cur) for line in lines], total=money(inv["total"], cur),
            amount_paid=money(inv.get("amount_paid"), cur), issued_on=day(inv.get("effective_at")),
            due_on=day(inv.get("due_date")) if inv.get("effective_at") else None,
            period_start=day(inv.get("period_start")), period_end=day(inv.get("period_end")),
            finalized_at=instant(transitions.get("finalized_at")), paid_at=instant(transitions.get("paid_at")),
            voided_at=instant(transitions.get("voided_at")),
            opportunity_id=None if inv.get("subscription") else (inv.get("metadata") or {}).get(
                META + "opportunity_id"))
    except (ValueError, TypeError) as exc:
        raise InconsistentVendorData(f"Stripe invoice {inv.get('id')} cannot be expressed canonically: {exc}") from None


def credit_note_from_stripe(cn: dict[str, Any], customer_key: str) -> CreditNote:
    """A Stripe credit note as a canonical ``CreditNote``."""
    cur = cn["currency"]
    reason = cn.get("reason")
    lines = [CreditNoteLine(invoice_line_id=line.get("invoice_line_item"),
                            description=line.get("description") or "Credit", amount=money(line["amount"], cur))
             for line in cn["lines"]["data"]]
    return CreditNote(
        id=cn["id"], invoice_id=cn["invoice"], customer_id=customer_key, status=cn["status"],
        reason=CreditNoteReason(reason) if reason in _CN_REASONS else CreditNoteReason.OTHER, currency=cur.upper(),
        lines=lines, total=money(cn["amount"], cur), issued_at=instant(cn.get("created")))


def refund_from_stripe(refund: dict[str, Any], invoice_id: str | None = None) -> Refund:
    """A Stripe refund as a canonical ``Refund`` (the payment is the Stripe charge)."""
    status = {"requires_action": RefundStatus.PENDING}.get(refund["status"]) or RefundStatus(refund["status"])
    return Refund(id=refund["id"], payment_id=refund.get("charge") or refund.get("payment_intent") or "",
                  invoice_id=invoice_id or (refund.get("metadata") or {}).get(META + "invoice_id"),
                  amount=money(refund["amount"], refund["currency"]), status=status, reason=refund.get("reason"),
                  created_at=instant(refund.get("created")))
