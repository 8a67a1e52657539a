"""Balanced journal entries and their aggregation by account.

Balanced journal entries: billing (Dr receivable / Cr deferred revenue or contract asset),
recognition (Dr deferred revenue or contract asset / Cr revenue), credit notes, collections; and
aggregation of a period-end run by account.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .balances import PeriodBalance

__all__ = [
    "ACCOUNTS",
    "JournalEntry",
    "JournalLine",
    "aggregate",
    "journal_entries",
]

AR, DEFERRED, ASSET, REVENUE, CASH = "accounts_receivable", "deferred_revenue", "contract_asset", "revenue", "cash"
ACCOUNTS = (AR, DEFERRED, ASSET, REVENUE, CASH)


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One side of an entry; exactly one of debit/credit is non-zero."""

    account: str
    debit: int = 0
    credit: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class JournalEntry:
    """A balanced entry for one period and currency."""

    period: str
    currency: str
    memo: str
    lines: tuple[JournalLine, ...]

    @property
    def balanced(self) -> bool:
        """Debits equal credits."""
        return sum(x.debit for x in self.lines) == sum(x.credit for x in self.lines)


def _line(account: str, amount: int, debit: bool) -> JournalLine | None:
    if amount == 0:
        return None
    if amount < 0:
        amount, debit = -amount, not debit
    return JournalLine(account, amount, 0) if debit else JournalLine(account, 0, amount)


def _entry(period: str, currency: str, memo: str, parts: Sequence[JournalLine | None]) -> JournalEntry | None:
    lines = tuple(p for p in parts if p is not None)
    return JournalEntry(period=period, currency=currency, memo=memo, lines=lines) if lines else None


def _posting(period: str, currency: str, memo: str, parts: Sequence[tuple[str, int, bool]]) -> JournalEntry | None:
    """An entry from ``(account, amount, debit)`` parts: :func:`_line` and :func:`_entry` in one pass."""
    lines = []
    for account, amount, debit in parts:
        if amount:
            if amount < 0:
                amount, debit = -amount, not debit
            lines.append(JournalLine(account, amount, 0) if debit else JournalLine(account, 0, amount))
    return JournalEntry(period=period, currency=currency, memo=memo, lines=tuple(lines)) if lines else None


def _split(before: int, after: int) -> tuple[int, int]:
    # A movement of the net contract position splits into its liability part and its asset part.
    return max(after, 0) - max(before, 0), max(-before, 0) - max(-after, 0)


def journal_entries(balances: Sequence[PeriodBalance], currency: str) -> list[JournalEntry]:
    """Entries for each period: billings and credits first, recognition at period end, then cash.

    Each row carries the contract's position into its period, so any rows will do: every period of a
    contract, or one period's row alone (a period-end run).
    """
    out: list[JournalEntry | None] = []
    for b in balances:
        billed, recognised = b.billed - b.credited, b.recognised
        net = b.closing_liability - b.contract_asset - billed + recognised
        if billed:
            liab, asset = _split(net, net + billed)
            out.append(
                _posting(
                    b.period, currency, "billing", ((AR, billed, True), (DEFERRED, liab, False), (ASSET, asset, False))
                )
            )
            net += billed
        if recognised:
            liab, asset = _split(net, net - recognised)
            out.append(
                _posting(
                    b.period,
                    currency,
                    "recognition",
                    ((DEFERRED, -liab, True), (ASSET, -asset, True), (REVENUE, recognised, False)),
                )
            )
        if b.collected:
            out.append(
                _posting(b.period, currency, "collection", ((CASH, b.collected, True), (AR, b.collected, False)))
            )
    return [e for e in out if e is not None]


def aggregate(entries: Iterable[JournalEntry]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Total debits and credits per ``(period, currency, account)``."""
    out: dict[tuple[str, str, str], tuple[int, int]] = {}
    for entry in entries:
        for line in entry.lines:
            key = (entry.period, entry.currency, line.account)
            debit, credit = out.get(key, (0, 0))
            out[key] = (debit + line.debit, credit + line.credit)
    return out
