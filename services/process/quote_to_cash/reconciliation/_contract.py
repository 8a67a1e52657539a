"""One deal across the systems: where what each system says disagrees (``contract``), and the totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import msgspec

from contracts.deals import Opportunity
from contracts.money import Money
from contracts.process import ExceptionOwner
from services.process.quote_to_cash.reconciliation._facts import BILLED, Facts, amount_of
from services.process.quote_to_cash.reconciliation._report import ContractReconciliation, Difference, Figures

__all__ = ["contract", "totals"]

_LIVE = ("active", "trialing", "past_due")
"""Subscription statuses that still bill future periods."""
_FINANCE, _BILLING, _INTEGRATION, _SALES = (ExceptionOwner.FINANCE_OPS, ExceptionOwner.BILLING_OPS,
                                            ExceptionOwner.INTEGRATION, ExceptionOwner.SALES_OPS)


# -- comparing them -------------------------------------------------------------------------------------------


@dataclass
class _Contract:
    """One deal's comparison under way: its figures (minor units) and the differences found so far."""

    facts: Facts
    differences: list[Difference] = field(default_factory=list)
    booked: int = 0
    contracted: int = 0
    billed: int = 0
    usage_billed: int = 0
    other_billed: int = 0
    credited: int = 0
    unbilled: int = 0
    posted_to_erp: int = 0
    credited_in_erp: int = 0
    billed_in_revenue: int = 0
    recognized: int = 0
    deferred: int = 0
    contract_asset: int = 0
    receivable: int = 0

    def add(self, code: str, cause: str, owner: ExceptionOwner, amount: int, systems: tuple[str, str], *,
            explained: bool = False, document: str | None = None, detail: str = "", fix: str = "") -> None:
        self.differences.append(Difference(
            code=code, cause=cause, owner=owner, explained=explained, systems=systems, deal=self.facts.deal,
            amount=Money(amount_minor=abs(amount), currency=self.facts.currency), document=document,
            period=self.facts.as_of, detail=detail, fix=fix))


_AMOUNTS = tuple(f.name for f in fields(_Contract) if f.type == "int")


def _bookings(c: _Contract) -> None:
    """CRM booking vs revenue contract price."""
    # Imported here, not at the top: the workflows package imports this module (the reconciliation workflow).
    from services.process.quote_to_cash.workflows.deal_terms import DealProblem, booked_amount

    facts = c.facts
    if facts.opportunity is None:
        c.add("deal_missing_in_crm", "the deal is not in the CRM (deleted or merged there)", _SALES, 0,
              ("crm", "revrec"),
              fix="Restore the opportunity in the CRM, or cancel the deal's subscription and revenue contract.")
    else:
        deal = msgspec.convert(facts.opportunity, Opportunity)
        for line in deal.lines:
            try:
                c.booked += booked_amount(line).amount_minor
            except DealProblem as exc:
                c.add("booking_unreadable", f"a deal line can no longer be booked: {exc}", _SALES,
                      line.sale_price.amount_minor * line.quantity, ("crm", "revrec"),
                      fix="Correct the opportunity line in the CRM.")
    contract = (facts.contract or {}).get("contract")
    c.contracted = amount_of(contract["transaction_price"]) - _usage_consideration(contract) if contract else c.booked
    if contract is None:
        c.add("no_revenue_contract", "the deal has no revenue contract", _INTEGRATION, c.booked, ("crm", "revrec"),
              fix="Resume or replay the deal's activation: its revenue contract step registers the contract once.")
    elif c.booked != c.contracted and facts.opportunity is not None:
        modified = bool((facts.contract or {}).get("modifications"))
        c.add("contract_modified" if modified else "booking_differs",
              "revenue contract modified after booking (amendment, cancellation or credit)" if modified
              else "revenue contract price differs from the CRM booking", _SALES if modified else _INTEGRATION,
              c.booked - c.contracted, ("crm", "revrec"), explained=modified, document=str(contract.get("id")),
              fix="Book the change in the CRM if sales has not." if modified
              else "Compare the contract's obligations with the opportunity lines; re-register or modify it.")


def _usage_consideration(contract: dict[str, Any]) -> int:
    """What usage reported so far added to the price: variable consideration the booking never contained."""
    usage = {o["id"] for o in contract.get("obligations", []) if o.get("pattern") == "usage"}
    return sum(amount_of(a["amount"]) for a in contract.get("allocations", []) if a["obligation_id"] in usage)


def _products(facts: Facts) -> tuple[set[str], set[str]]:
    """The deal's products (on the opportunity or the subscription): all of them, and the usage-priced ones."""
    lines = [(line.get("product_sku"), line.get("billing_frequency")) for line in
             (facts.opportunity or {}).get("lines") or []]
    lines += [(item.get("product_sku"), item.get("billing_frequency")) for item in
              (facts.subscription or {}).get("items") or []]
    return {str(sku) for sku, _ in lines if sku}, {str(sku) for sku, frequency in lines if sku and frequency == "usage"}


def _billings(c: _Contract) -> None:
    """Billed so far; its usage part and its part outside the deal's products stay out of the booking."""
    products, usage = _products(c.facts)
    for invoice in c.facts.invoices:
        if invoice["status"] not in BILLED:
            continue
        c.billed += amount_of(invoice["total"])
        for line in invoice.get("lines") or []:
            if line.get("product_sku") in usage:
                c.usage_billed += amount_of(line["amount"])
            elif line.get("product_sku") not in products:
                c.other_billed += amount_of(line["amount"])
    c.credited = sum(amount_of(b["amount"]) for b in c.facts.links("credit_note")
                     if b["accounting_period"] <= c.facts.as_of)
    c.unbilled = c.contracted - (c.billed - c.usage_billed - c.other_billed - c.credited)


def _recurring(items: Iterable[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    return {str(i.get("product_sku")): (int(i.get("quantity") or 0), amount_of(i.get("unit_amount"))) for i in items
            if i.get("billing_frequency") not in ("usage", "one_time")}


def _unbilled(c: _Contract) -> None:
    """What is left to bill: explained timing while the subscription bills on; anything else is not."""
    if c.unbilled == 0 or c.facts.opportunity is None:
        return
    if c.unbilled < 0:
        c.add("billed_over_booking", "billed more than booked", _BILLING, c.unbilled, ("crm", "billing"),
              fix="Check the subscription's items, prices and end date against the deal; credit what was over-billed.")
        return
    subscription = c.facts.subscription or {}
    status = subscription.get("status")
    if status not in _LIVE:
        c.add("unbilled_stopped", f"booked but not billed: the subscription is {status or 'missing'}", _BILLING,
              c.unbilled, ("crm", "billing"), fix="Bill the rest of the term, or book the cancellation or credit.")
        return
    items = _recurring(subscription.get("items") or [])
    deal = msgspec.convert(c.facts.opportunity, Opportunity)
    recurring = [line for line in deal.lines if line.billing_frequency.months]
    booked = {line.product_sku: (line.quantity, line.sale_price.amount_minor) for line in recurring}
    per_period = sum(quantity * unit for quantity, unit in items.values())
    started = any(invoice["status"] in BILLED for invoice in c.facts.invoices)
    # One-time lines bill with the first invoice; after it, what is left must be whole recurring periods.
    if started and items == booked and (not per_period or c.unbilled % per_period):
        c.add("unbilled_not_recurring", "booked but not billed, and not as whole future billing periods (a one-time "
              "line or part of a period was never billed)", _BILLING, c.unbilled, ("crm", "billing"),
              fix="Bill what the deal booked and the subscription will not: an invoice item on the subscription.")
        return
    cause = "booked but not yet billed (timing: future billing periods)"
    if items != booked:
        cause = "booked but not yet billed (timing: future billing periods; proration on the next invoice)"
    each = Money(amount_minor=per_period, currency=c.facts.currency)
    whole = per_period and items == booked and not c.unbilled % per_period
    detail = f"{c.unbilled // per_period} billing period(s) of {each}" if whole else ""
    c.add("unbilled_timing", cause, _BILLING, c.unbilled, ("crm", "billing"), explained=True,
          detail=detail + _late(subscription, recurring))


def _late(subscription: dict[str, Any], recurring: list[Any]) -> str:
    """A note when the subscription bills periods after the deal's service period ended (billing behind)."""
    current = subscription.get("current_period_start")
    ended = max((line.service_end for line in recurring), default=None)
    if not current or ended is None or date.fromisoformat(str(current)[:10]) <= ended:
        return ""
    return (f"; note: billing runs behind the contract: the service period ended on {ended.isoformat()} and the "
            f"subscription's current period began on {str(current)[:10]}")


def _erp_invoice(c: _Contract, invoice: dict[str, Any]) -> None:
    billing_id, total = str(invoice["id"]), amount_of(invoice["total"])
    erp_id = c.facts.erp_ids.get(billing_id)
    erp = c.facts.erp.get(erp_id) if erp_id else None
    if invoice["status"] == "void":
        if erp is not None:
            c.add("void_posted_in_erp", "voided billing invoice still posted in the ERP", _INTEGRATION,
                  amount_of(erp["total"]), ("billing", "erp"), document=billing_id,
                  fix=f"Credit or void ERP invoice {erp_id}, as the billing invoice was voided.")
        return
    if total <= 0:
        return  # nothing to bill: the invoice sync posts nothing
    if erp_id is None:
        c.add("invoice_not_posted", "billing invoice not posted to the ERP", _INTEGRATION, total, ("billing", "erp"),
              document=billing_id, fix=f"Start (or replay) the invoice sync of {billing_id}: it posts the ERP invoice "
                                       "once.")
        return
    if erp is None:
        c.add("erp_invoice_missing", "the ERP invoice of a billing invoice is gone (deleted or voided in the ERP)",
              _FINANCE, total, ("billing", "erp"), document=billing_id, detail=f"ERP invoice {erp_id}",
              fix=f"Find out why ERP invoice {erp_id} was removed; re-post it from billing invoice {billing_id}, or "
                  "credit the billing invoice if it should not exist.")
        return
    c.posted_to_erp += amount_of(erp["total"])
    named = (erp.get("external_ids") or {}).get("billing")
    if named and named != billing_id:
        c.add("erp_invoice_mislinked", f"the ERP invoice belongs to billing invoice {named}", _INTEGRATION, total,
              ("billing", "erp"), document=billing_id, detail=f"ERP invoice {erp_id}",
              fix="Correct the link of the billing invoice to its ERP invoice.")
    elif amount_of(erp["total"]) != total or erp["total"]["currency"] != invoice["total"]["currency"]:
        c.add("erp_amount_differs", "ERP invoice amount differs from the billing invoice", _INTEGRATION,
              total - amount_of(erp["total"]), ("billing", "erp"), document=billing_id, detail=f"ERP invoice {erp_id}",
              fix="Credit or adjust the ERP invoice to the billing invoice's lines.")


def _revenue_link(c: _Contract, invoice: dict[str, Any], linked: dict[str, dict[str, Any]]) -> None:
    if c.facts.contract is None:
        return
    billing_id, total = str(invoice["id"]), amount_of(invoice["total"])
    link = linked.get(billing_id)
    if invoice["status"] == "void":
        if link is not None:
            c.add("void_billed_in_revenue", "voided billing invoice still billed in the revenue contract", _INTEGRATION,
                  amount_of(link["amount"]), ("billing", "revrec"), document=billing_id,
                  fix="Link a credit note for the voided invoice to the revenue contract.")
        return
    if total <= 0:
        return
    if link is None:
        c.add("invoice_not_linked", "invoice not linked to the revenue contract", _INTEGRATION, total,
              ("billing", "revrec"), document=billing_id,
              fix=f"Start (or replay) the invoice sync of {billing_id}: it links the invoice to the contract once.")
    elif amount_of(link["amount"]) != total:
        c.add("revenue_billing_differs", "the revenue contract's billing differs from the invoice", _INTEGRATION,
              total - amount_of(link["amount"]), ("billing", "revrec"), document=billing_id,
              fix="Correct the contract's billing link to the invoice total.")
    elif link["accounting_period"] > c.facts.as_of:
        c.add("billed_in_later_period", "invoice linked to the revenue contract in a later period (its own period "
              "was closed)", _FINANCE, total, ("billing", "revrec"), explained=True, document=billing_id)


def _documents(c: _Contract) -> None:
    """Invoice by invoice: billing against the ERP and the revenue contract; revrec links nobody billed."""
    linked = {str(b["id"]): b for b in c.facts.links("invoice")}
    for invoice in c.facts.invoices:
        _erp_invoice(c, invoice)
        _revenue_link(c, invoice, linked)
    for link in linked.values():
        if link["accounting_period"] > c.facts.as_of:
            continue
        c.billed_in_revenue += amount_of(link["amount"])
        if link["id"] not in c.facts.invoice_ids:
            c.add("revenue_billing_unknown", "revenue contract billed by an invoice the billing system does not have",
                  _INTEGRATION, amount_of(link["amount"]), ("revrec", "billing"), document=str(link["id"]),
                  fix="Find where the link came from; reverse it with a credit-note link if the invoice never existed.")


def _revenue(c: _Contract) -> None:
    """Credits in revrec against the ERP's credit memos; revrec's balances against its billings and schedules."""
    facts = c.facts
    c.credited_in_erp = facts.erp_credits
    if facts.contract is None:
        return
    if c.credited != c.credited_in_erp:
        more_in_revrec = c.credited > c.credited_in_erp
        c.add("credit_not_in_erp" if more_in_revrec else "credit_not_in_revenue",
              "credit note not posted to the ERP" if more_in_revrec
              else "ERP credit memo not reflected in the revenue contract", _INTEGRATION,
              c.credited - c.credited_in_erp, ("revrec", "erp"),
              fix="Replay the credit workflow of the credit note: it posts the memo and links the credit once.")
    c.recognized = sum(amount_of(line["amount"]) for schedule in facts.contract.get("schedules") or []
                       for line in schedule["lines"] if line["accounting_period"] <= facts.as_of)
    balances = facts.balances or {}
    c.deferred = amount_of(balances.get("contract_liability"))
    c.contract_asset = amount_of(balances.get("contract_asset"))
    c.receivable = amount_of(balances.get("receivable"))
    if balances and c.billed_in_revenue - c.credited - c.recognized != c.deferred - c.contract_asset:
        c.add("revenue_out_of_balance", "recognised + deferred revenue do not account for what was billed",
              _INTEGRATION, c.billed_in_revenue - c.credited - c.recognized - (c.deferred - c.contract_asset),
              ("revrec", "revrec"), document=str(facts.ids.get("revenue_contract_id")),
              fix="Recompute the contract's roll-forward; report the contract to the revrec owners.")


def contract(facts: Facts) -> ContractReconciliation:
    c = _Contract(facts=facts)
    _bookings(c)
    _billings(c)
    _unbilled(c)
    _documents(c)
    _revenue(c)
    currency = facts.currency
    figures = Figures(currency=currency, **{name: Money(amount_minor=getattr(c, name), currency=currency)
                                            for name in _AMOUNTS})
    explained = sum(1 for d in c.differences if d.explained)
    return ContractReconciliation(deal=facts.deal, customer_key=facts.ids.get("customer_key"),
                                  subscription_id=facts.ids.get("subscription_id"),
                                  revenue_contract_id=facts.ids.get("revenue_contract_id"), figures=figures,
                                  differences=c.differences, explained=explained,
                                  unexplained=len(c.differences) - explained)


def totals(contracts: list[ContractReconciliation]) -> list[Figures]:
    sums: dict[str, dict[str, int]] = {}
    for contract in contracts:
        row = sums.setdefault(contract.figures.currency, dict.fromkeys(_AMOUNTS, 0))
        for name in _AMOUNTS:
            row[name] += getattr(contract.figures, name).amount_minor
    return [Figures(currency=currency, **{k: Money(amount_minor=v, currency=currency) for k, v in row.items()})
            for currency, row in sorted(sums.items())]


