"""Chargebee resources -> canonical objects, and the catalogue conventions both directions share.

Chargebee amounts are integers in the currency's minor unit (as ours) and currency codes are upper case.
Times are unix seconds; a term ends exclusively at ``current_term_end``, canonical periods end inclusively
on the day before. Every SKU is an *addon* item (its id is the SKU); each subscription also carries one
zero-priced *plan*, ``revflow-base``, per currency and period, because Product Catalog 2.0 requires exactly
one plan per subscription while a deal may hold any number of products. The base plan is plumbing: its
subscription items and invoice lines never appear in canonical objects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from contracts.billing import (
    CreditNote,
    CreditNoteLine,
    CreditNoteReason,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    SubscriptionStatus,
)
from contracts.catalog import BillingFrequency
from contracts.money import Money
from services.system.billing.errors import InconsistentVendorData

__all__ = [
    "BASE_ITEM",
    "FAMILY",
    "FREQUENCY_PERIOD",
    "META",
    "PO_MARK",
    "credit_note_from_chargebee",
    "day",
    "end_day",
    "frequency_of",
    "instant",
    "invoice_from_chargebee",
    "is_base",
    "line_from_chargebee",
    "money",
    "subscription_status",
]

META = "revflow_"
"""Prefix of the ``meta_data`` keys revflow writes on Chargebee objects."""
FAMILY = "revflow"
"""The item family every revflow item belongs to."""
BASE_ITEM = "revflow-base"
"""The zero-priced plan item every subscription carries (Product Catalog 2.0 needs exactly one plan)."""

FREQUENCY_PERIOD: dict[BillingFrequency, tuple[str, int]] = {
    BillingFrequency.MONTHLY: ("month", 1), BillingFrequency.QUARTERLY: ("month", 3),
    BillingFrequency.SEMIANNUAL: ("month", 6), BillingFrequency.ANNUAL: ("year", 1),
    BillingFrequency.USAGE: ("month", 1),
}
_BY_PERIOD = {("month", 1): BillingFrequency.MONTHLY, ("month", 3): BillingFrequency.QUARTERLY,
              ("month", 6): BillingFrequency.SEMIANNUAL, ("month", 12): BillingFrequency.ANNUAL,
              ("year", 1): BillingFrequency.ANNUAL}
_SUB_STATUS = {"active": SubscriptionStatus.ACTIVE, "non_renewing": SubscriptionStatus.ACTIVE,
               "in_trial": SubscriptionStatus.TRIALING, "future": SubscriptionStatus.TRIALING,
               "paused": SubscriptionStatus.PAUSED, "cancelled": SubscriptionStatus.CANCELED}
_INVOICE_STATUS = {"pending": InvoiceStatus.DRAFT, "payment_due": InvoiceStatus.OPEN, "not_paid": InvoiceStatus.OPEN,
                   "posted": InvoiceStatus.OPEN, "paid": InvoiceStatus.PAID, "voided": InvoiceStatus.VOID}
_CN_REASONS = {"product_unsatisfactory": CreditNoteReason.PRODUCT_UNSATISFACTORY,
               "order_change": CreditNoteReason.ORDER_CHANGE, "fraudulent": CreditNoteReason.FRAUDULENT}


def money(amount: int | None, currency: str) -> Money:
    """Chargebee minor units and currency as ``Money``."""
    return Money(amount_minor=int(amount or 0), currency=currency.upper())


def instant(ts: int | None) -> datetime | None:
    """Unix seconds as an aware UTC instant."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def day(ts: int | None) -> date | None:
    """The UTC date of unix seconds."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).date()


def end_day(start: int | None, end: int | None) -> date | None:
    """The inclusive last day of a Chargebee period whose ``end`` is exclusive."""
    if end is None:
        return None
    return day(max(end - 1, start if start is not None else end - 1))


def frequency_of(price: dict[str, Any], metered: bool) -> BillingFrequency:
    """The canonical billing frequency of a Chargebee item price."""
    if metered:
        return BillingFrequency.USAGE
    if not price.get("period_unit"):
        return BillingFrequency.ONE_TIME
    return _BY_PERIOD.get((price["period_unit"], int(price.get("period") or 1)), BillingFrequency.MONTHLY)


def is_base(price_id: str | None) -> bool:
    """Whether an item price (or a line's ``entity_id``) is the base plan's."""
    return bool(price_id) and str(price_id).startswith(BASE_ITEM + "-")


def subscription_status(status: str) -> SubscriptionStatus:
    """The canonical status of a Chargebee subscription status.

    ``non_renewing`` is still active; ``future`` (not billing yet) reads as a trial.
    """
    return _SUB_STATUS.get(status, SubscriptionStatus.ACTIVE)


def line_from_chargebee(line: dict[str, Any], currency: str, skus: dict[str, str], sign: int = 1) -> InvoiceLine:
    """An invoice line (or unbilled charge, ``sign`` -1 for a credit) as a canonical ``InvoiceLine``."""
    amount = sign * abs(int(line["amount"]))
    unit = line.get("unit_amount") if line.get("pricing_model") == "per_unit" else None
    return InvoiceLine(
        id=line["id"], description=line.get("description") or "(no description)",
        product_sku=skus.get(line.get("entity_id") or ""), quantity=int(line.get("quantity") or 0),
        unit_amount=money(unit, currency) if unit is not None else None, amount=money(amount, currency),
        tax_amount=money(line["tax_amount"], currency) if line.get("tax_amount") else None,
        period_start=day(line.get("date_from")), period_end=end_day(line.get("date_from"), line.get("date_to")),
        subscription_item_id=line.get("entity_id") if line.get("subscription_id")
        and line.get("entity_type") != "charge_item_price" else None)  # a one-time charge is no subscription item


def invoice_from_chargebee(inv: dict[str, Any], customer_key: str, skus: dict[str, str]) -> Invoice:
    """A Chargebee invoice as a canonical ``Invoice`` (the base plan's zero lines left out)."""
    cur = inv["currency_code"]
    lines = [line_from_chargebee(li, cur, skus) for li in inv.get("line_items") or []
             if not (is_base(li.get("entity_id")) and not li.get("amount"))]
    try:
        return Invoice(
            id=str(inv["id"]), number=str(inv["id"]) if inv["status"] != "pending" else None,
            customer_id=customer_key, subscription_id=inv.get("subscription_id"),
            status=_INVOICE_STATUS.get(inv["status"], InvoiceStatus.OPEN), currency=cur.upper(), lines=lines,
            total=money(inv["total"], cur), amount_paid=money(inv.get("amount_paid"), cur),
            issued_on=day(inv.get("date")), due_on=day(inv.get("due_date")) if inv["status"] != "pending" else None,
            finalized_at=instant(inv.get("generated_at")) if inv["status"] != "pending" else None,
            paid_at=instant(inv.get("paid_at")), voided_at=instant(inv.get("voided_at")),
            opportunity_id=_marked_opportunity(inv))
    except (ValueError, TypeError) as exc:
        raise InconsistentVendorData(f"Chargebee invoice {inv.get('id')} cannot be expressed canonically: "
                                     f"{exc}") from None


PO_MARK = "revflow:"
"""Prefix of the ``po_number`` revflow writes on a one-off invoice: the opportunity id follows it."""


def _marked_opportunity(inv: dict[str, Any]) -> str | None:
    po = inv.get("po_number") or ""
    return po.removeprefix(PO_MARK) if po.startswith(PO_MARK) and not inv.get("subscription_id") else None


def credit_note_from_chargebee(cn: dict[str, Any], customer_key: str) -> CreditNote:
    """A Chargebee credit note as a canonical ``CreditNote``."""
    cur = cn["currency_code"]
    lines = [CreditNoteLine(invoice_line_id=None, description=li.get("description") or "Credit",
                            amount=money(li["amount"], cur)) for li in cn.get("line_items") or [] if li["amount"]]
    return CreditNote(
        id=cn["id"], invoice_id=str(cn["reference_invoice_id"]), customer_id=customer_key,
        status=CreditNoteStatus.VOID if cn["status"] == "voided" else CreditNoteStatus.ISSUED,
        reason=_CN_REASONS.get(cn.get("reason_code") or "", CreditNoteReason.OTHER), currency=cur.upper(),
        lines=lines, total=money(cn["total"], cur), issued_at=instant(cn.get("generated_at") or cn.get("date")))
