"""What each system of record says about one deal: read through the system APIs, nothing compared yet."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.money import exponent
from services.process.quote_to_cash.reconciliation._report import invoice_period
from services.process.quote_to_cash.systems import call

__all__ = ["BILLED", "Facts", "amount_of", "credit_memos", "gather", "minor", "query", "suiteql_day"]

BILLED = ("open", "paid", "uncollectible")
"""Billing invoice statuses that bill the customer (finalized and not voided)."""


def suiteql_day(text: str) -> date:
    """A SuiteQL date (``M/D/YYYY``, or ISO)."""
    if "/" in text:
        month, day, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    return date.fromisoformat(text[:10])


def minor(amount: str | Decimal, currency: str) -> int:
    return int((Decimal(amount) * 10 ** exponent(currency)).to_integral_value())


def amount_of(money: dict[str, Any] | None) -> int:
    return int(money["amount_minor"]) if money else 0


async def query(systems: Any, q: str) -> list[dict[str, str]]:
    """Rows of a read-only SuiteQL query through the ERP API (a query is safe to repeat: keyed for retries)."""
    result = await call(systems.erp, "POST", "/v1/queries", json={"q": q, "limit": 10_000},
                        key=f"reconciliation-query-{uuid.uuid4().hex}")
    return list(result.get("items", []))


# -- what each system says about one deal ---------------------------------------------------------------------


@dataclass
class Facts:
    """One deal as each system has it (the systems' own JSON), as of the end of ``as_of``."""

    deal: str
    as_of: str
    ids: dict[str, str]
    opportunity: dict[str, Any] | None = None
    subscription: dict[str, Any] | None = None
    invoices: list[dict[str, Any]] = field(default_factory=list)
    """Finalized or voided billing invoices issued by the end of ``as_of``."""
    invoice_ids: set[str] = field(default_factory=set)
    """Every invoice of the subscription, whatever its status or date."""
    contract: dict[str, Any] | None = None
    balances: dict[str, Any] | None = None
    erp_ids: dict[str, str] = field(default_factory=dict)
    """Billing invoice id -> the ERP invoice revflow posted for it."""
    erp: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """ERP invoice id -> the invoice (``None``: no longer in the ERP)."""
    erp_credits: int = 0

    @property
    def currency(self) -> str:
        for source in (self.ids, self.opportunity, self.subscription):
            if source and source.get("currency"):
                return str(source["currency"])
        return "USD"

    def periods(self) -> list[str]:
        """Every accounting period the revenue contract has a schedule line or a billing in."""
        view = self.contract or {}
        found = [line["accounting_period"] for s in view.get("schedules") or [] for line in s["lines"]]
        return found + [b["accounting_period"] for b in view.get("billings") or []]

    def links(self, kind: str) -> list[dict[str, Any]]:
        """The revenue contract's billing links of a kind (``invoice``, ``credit_note``, ``payment``)."""
        return [b for b in (self.contract or {}).get("billings") or [] if b.get("kind") == kind]


async def deal_billing(systems: Any, ids: dict[str, str]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A deal's subscription (``None`` without one) and every invoice billing issued for the deal.

    The subscription's invoices, or the one-off invoice of a deal of one-time lines only.
    """
    if ids.get("subscription_id"):
        subscription = await call(systems.billing, "GET", f"/v1/subscriptions/{ids['subscription_id']}",
                                  missing_ok=True)
        page = await call(systems.billing, "GET", "/v1/invoices", params={"subscription": ids["subscription_id"]})
        return subscription, page.get("data", []) if isinstance(page, dict) else []
    if ids.get("one_off_invoice_id"):
        invoice = await call(systems.billing, "GET", f"/v1/invoices/{ids['one_off_invoice_id']}", missing_ok=True)
        return None, [invoice] if invoice else []
    return None, []


async def gather(systems: Any, links: Any, deal: str, as_of: str) -> Facts:
    facts = Facts(deal=deal, as_of=as_of, ids=await links.of(deal))
    facts.opportunity = await call(systems.crm, "GET", f"/v1/opportunities/{deal}", missing_ok=True)
    facts.subscription, every = await deal_billing(systems, facts.ids)
    if every:
        facts.invoice_ids = {str(i["id"]) for i in every}
        facts.invoices = [i for i in every if i.get("status") in (*BILLED, "void") and invoice_period(i) <= as_of]
    contract_id = facts.ids.get("revenue_contract_id")
    if contract_id:
        facts.contract = await call(systems.revrec, "GET", f"/v1/contracts/{contract_id}", missing_ok=True)
        if facts.contract is not None:
            facts.balances = await call(systems.revrec, "GET", f"/v1/contracts/{contract_id}/balances",
                                        params={"as_of": as_of})
    await _gather_erp(systems, links, facts)
    return facts


async def _gather_erp(systems: Any, links: Any, facts: Facts) -> None:
    for invoice in facts.invoices:
        erp_id = await links.erp_invoice_of(str(invoice["id"]))
        if erp_id:
            facts.erp_ids[str(invoice["id"])] = erp_id
    found = await asyncio.gather(*(call(systems.erp, "GET", f"/v1/invoices/{erp_id}", missing_ok=True)
                                   for erp_id in facts.erp_ids.values()))
    facts.erp = dict(zip(facts.erp_ids.values(), found, strict=True))


async def credit_memos(systems: Any, every: list[Facts], batch: int = 500) -> None:
    """The ERP's credit memos against each deal's ERP invoices up to ``as_of`` (one query per ``batch`` invoices)."""
    owner = {erp_id: facts for facts in every for erp_id, invoice in facts.erp.items()
             if invoice is not None and erp_id.isdigit()}
    ids = sorted(owner, key=int)
    for start in range(0, len(ids), batch):
        rows = await query(systems, "SELECT id, createdfrom, foreigntotal, trandate FROM transaction WHERE type = "
                           f"'CustCred' AND createdfrom IN ({', '.join(ids[start:start + batch])})")
        for row in rows:
            facts = owner.get(str(row.get("createdfrom")))
            if facts is None or (row.get("trandate") and suiteql_day(row["trandate"]).strftime("%Y-%m") > facts.as_of):
                continue
            facts.erp_credits += abs(minor(row.get("foreigntotal") or "0", facts.currency))
