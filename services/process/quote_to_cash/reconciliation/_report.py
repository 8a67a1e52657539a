"""The reconciliation report: figures per contract and per currency, and every difference found."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgspec

from contracts.money import Money
from contracts.process import ExceptionOwner

__all__ = ["PERIOD", "ContractReconciliation", "Difference", "Figures", "LedgerCheck", "ReconciliationReport",
           "invoice_period", "periods_between"]

PERIOD = re.compile(r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$")
"""An accounting period ``YYYY-MM``."""


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """Two systems disagree: by how much, about what, the likely cause, who fixes it, whether it is expected."""

    code: str
    """The check that found it (``invoice_not_posted``, ``unbilled_timing``, ``gl_differs``...)."""
    cause: str
    owner: ExceptionOwner
    explained: bool
    """Expected timing (future billing periods...): listed, but no reason to hold period close."""
    amount: Money
    """The size of the difference (never negative)."""
    systems: tuple[str, str]
    """The two systems compared (``billing``, ``erp``)."""
    deal: str | None = None
    document: str | None = None
    """The record it is about: a billing invoice, a revenue contract..."""
    period: str | None = None
    detail: str = ""
    fix: str = ""


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    """What each system says about one contract (in ``totals``: every contract of one currency, summed)."""

    currency: str
    booked: Money
    """CRM: fixed amount of the opportunity's lines (usage books nothing)."""
    contracted: Money
    """Revrec: the transaction price (the booking where there is no revenue contract)."""
    billed: Money
    """Billing: finalized invoices issued by the end of ``as_of``."""
    usage_billed: Money
    """The part of ``billed`` on usage items (variable consideration, outside the booking)."""
    other_billed: Money
    """The part of ``billed`` on lines of no product of the deal (one-off charges, outside the booking)."""
    credited: Money
    """Credit notes (the revenue contract's credit-note links up to ``as_of``)."""
    unbilled: Money
    """``contracted`` - (``billed`` - ``usage_billed`` - ``other_billed`` - ``credited``): left to bill."""
    posted_to_erp: Money
    """ERP: the invoices posted for the billed invoices."""
    credited_in_erp: Money
    """ERP: credit memos against those invoices."""
    billed_in_revenue: Money
    """Revrec: invoice links in periods up to ``as_of``."""
    recognized: Money
    """Revrec: revenue scheduled in periods up to ``as_of``."""
    deferred: Money
    """Revrec: contract liability (deferred revenue) at the end of ``as_of``."""
    contract_asset: Money
    receivable: Money


class ContractReconciliation(msgspec.Struct, frozen=True, kw_only=True):
    """One deal across the systems: its ids, what each system says, and where they disagree."""

    deal: str
    customer_key: str | None = None
    subscription_id: str | None = None
    revenue_contract_id: str | None = None
    figures: Figures
    differences: list[Difference]
    explained: int
    unexplained: int


class LedgerCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One period and currency: revrec's journal entries against the ERP's GL, net per account."""

    period: str
    currency: str
    closed: bool
    """Whether revrec closed the period (an open one is compared once period close posted it)."""
    accounts: int
    """Accounts revrec's entries of the period touch."""
    revrec_debits: Money
    """Net debits of revrec's entries over those accounts."""
    gl_debits: Money
    """Net debits of the GL's journals over the same accounts."""
    agrees: bool


class ReconciliationReport(msgspec.Struct, frozen=True, kw_only=True):
    """Per contract and in total, every difference with cause and owner; clean when ``unexplained`` is zero."""

    as_of: str
    generated_at: datetime
    deals: int
    contracts: list[ContractReconciliation]
    totals: list[Figures]
    """One row per currency."""
    ledger: list[LedgerCheck]
    """Periods compared with the GL (the whole book; only when no deals were named)."""
    differences: list[Difference]
    """Every difference of every contract, then those of the GL."""
    explained: int
    unexplained: int
    clean: bool
    """No unexplained difference: what period close requires."""


def periods_between(first: str, last: str) -> Iterator[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``, both included."""
    year, month = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def invoice_period(invoice: dict[str, Any]) -> str:
    """The accounting period a billing invoice was issued in."""
    when = invoice.get("issued_on") or invoice.get("period_start") or invoice.get("finalized_at") or ""
    return str(when)[:7]
