"""The general ledger against the revenue subledger: revrec's journal entries of a period vs the ERP's journals.

Revrec's entries are its share of the GL (``target=erp``: recognition and the contract-asset share of billings),
the same ones period close posts.

Per period and currency, the net (debit - credit) of every account revrec's entries touch is compared with
the net of the ERP's journal lines dated in the period on the same accounts. How period close splits the
entries into journals does not matter (one per entry netted per account, true-ups, reversals: only the nets
count), and a journal posted by hand on those accounts is a difference, as it would be at any month-end.
Compared are the periods revrec closed and the ``as_of`` period while still open once the GL holds journals
on revrec's accounts for it (period close posted them and locks next).

A NetSuite journal is in one currency, which SuiteQL names by internal id only: with one currency in the
period, every GL line on those accounts counts; with several, each revrec currency is paired with the GL
currency whose nets equal its own, and one without a pair is reported as not in the GL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.money import Money
from contracts.process import ExceptionOwner
from services.process.quote_to_cash.reconciliation._facts import amount_of, minor, query
from services.process.quote_to_cash.reconciliation._report import Difference, LedgerCheck, periods_between
from services.process.quote_to_cash.systems import call

__all__ = ["gl_entries", "ledger"]


async def gl_entries(systems: Any, period: str) -> dict[str, Any]:
    """Revrec's journal page of ``period`` as the GL gets it: what period close posts and the ledger check compares.

    ``target=erp``: the ERP posts invoices, credit memos and payments itself.
    """
    return await call(systems.revrec, "GET", f"/v1/periods/{period}/journal-entries", params={"target": "erp"})


@dataclass
class _Gl:
    nets: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """ERP currency id -> account number -> net (major units)."""
    accounts: set[str] = field(default_factory=set)
    """Accounts with any journal line in the period."""


def _revrec_nets(entries: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Currency -> account number -> net of revrec's entries (minor units)."""
    nets: dict[str, dict[str, int]] = {}
    for entry in entries:
        for line in entry.get("lines") or []:
            per = nets.setdefault(line["amount"]["currency"], {})
            number = line["account"]["number"]
            per[number] = per.get(number, 0) + (1 if line["side"] == "debit" else -1) * amount_of(line["amount"])
    return nets


async def _gl(systems: Any, period: str) -> _Gl:
    year, month = int(period[:4]), int(period[5:7])
    first, after = date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
    rows = await query(systems, "SELECT t.currency AS currency, a.acctnumber AS account, l.debitforeignamount AS "
                                "debit, l.creditforeignamount AS credit FROM transaction t JOIN transactionline l ON "
                                "l.transaction = t.id JOIN account a ON a.id = l.expenseaccount WHERE t.type = "
                                "'Journal' AND l.mainline = 'F' AND t.trandate >= DATE "
                                f"'{first.isoformat()}' AND t.trandate < DATE '{after.isoformat()}'")
    gl = _Gl()
    for row in rows:
        account = row.get("account") or ""
        per = gl.nets.setdefault(row.get("currency") or "", {})
        per[account] = per.get(account, Decimal(0)) + Decimal(row.get("debit") or 0) - Decimal(row.get("credit") or 0)
        gl.accounts.add(account)
    return gl


def _in(group: dict[str, Decimal], accounts: Iterable[str], currency: str) -> dict[str, int]:
    return {account: minor(group.get(account, Decimal(0)), currency) for account in accounts}


def _theirs(currency: str, nets: dict[str, int], currencies: int, gl: _Gl) -> dict[str, int]:
    """The GL's nets over revrec's accounts for ``currency`` (see the module docstring for the pairing)."""
    if currencies == 1:
        merged: dict[str, Decimal] = {}
        for group in gl.nets.values():
            for account, value in group.items():
                merged[account] = merged.get(account, Decimal(0)) + value
        return _in(merged, nets, currency)
    for key, group in list(gl.nets.items()):
        if _in(group, nets, currency) == nets:
            del gl.nets[key]
            return dict(nets)
    return dict.fromkeys(nets, 0)


def _compare(period: str, closed: bool, entries: list[dict[str, Any]],
             gl: _Gl) -> tuple[list[LedgerCheck], list[Difference]]:
    revrec = _revrec_nets(entries)
    checks: list[LedgerCheck] = []
    found: list[Difference] = []
    for currency, nets in sorted(revrec.items()):
        theirs = _theirs(currency, nets, len(revrec), gl)
        off = {account: nets[account] - theirs[account] for account in sorted(nets) if nets[account] != theirs[account]}
        checks.append(LedgerCheck(
            period=period, currency=currency, closed=closed, accounts=len(nets), agrees=not off,
            revrec_debits=Money(amount_minor=sum(v for v in nets.values() if v > 0), currency=currency),
            gl_debits=Money(amount_minor=sum(v for v in theirs.values() if v > 0), currency=currency)))
        if not off:
            continue
        posted = any(theirs.values())
        size = max(sum(v for v in off.values() if v > 0), -sum(v for v in off.values() if v < 0))
        found.append(Difference(
            code="gl_differs", systems=("revrec", "erp"), explained=False, period=period,
            amount=Money(amount_minor=size, currency=currency),
            cause="the GL differs from the revenue subledger for the period (a journal missing, changed or posted "
                  "by hand)" if posted else "revrec journal entries of the period are not in the GL",
            owner=ExceptionOwner.FINANCE_OPS if posted else ExceptionOwner.INTEGRATION,
            detail="; ".join(f"account {account}: revrec {Money(amount_minor=nets[account], currency=currency)}, "
                             f"GL {Money(amount_minor=theirs[account], currency=currency)}" for account in off),
            fix="Find the journal that differs in the ERP and correct or reverse it." if posted
            else "Post the period's journal entries (period close posts them once per period), then reconcile again."))
    return checks, found


async def ledger(systems: Any, first: str, as_of: str) -> tuple[list[LedgerCheck], list[Difference]]:
    """Revrec's closed periods from ``first`` up to ``as_of``, and ``as_of`` once posted, against the GL."""
    checks: list[LedgerCheck] = []
    found: list[Difference] = []
    page: dict[str, Any] = {}
    for period in periods_between(first, as_of):
        page = await gl_entries(systems, period)
        if not page.get("closed"):
            break  # a close closes every earlier period, so no later one is closed either
        entries = [e for e in page.get("entries") or [] if e.get("lines")]
        if entries:
            more_checks, more = _compare(period, True, entries, await _gl(systems, period))
            checks, found = checks + more_checks, found + more
    if page.get("closed", True):
        return checks, found
    if page.get("accounting_period") != as_of:
        page = await gl_entries(systems, as_of)
    entries = [e for e in page.get("entries") or [] if e.get("lines")]
    accounts = {line["account"]["number"] for e in entries for line in e["lines"]}
    gl = await _gl(systems, as_of) if entries else _Gl()
    if gl.accounts & accounts:  # period close posted the open period and locks it next
        more_checks, more = _compare(as_of, False, entries, gl)
        checks, found = checks + more_checks, found + more
    return checks, found
