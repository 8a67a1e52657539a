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


def _split(before: int, after: int) -> tuple[int, int]:
    # A movement of the net contract position splits into its liability part and its asset part.
    return max(after, 0) - max(before, 0), max(-before, 0) - max(-after, 0)


def journal_entries(balances: Sequence[PeriodBalance], currency: str) -> list[JournalEntry]:
    """Entries for each period: billings and credits first, recognition at period end, then cash."""
    out: list[JournalEntry] = []
    net = 0
    for b in balances:
        billed = b.billed - b.credited
        liab, asset = _split(net, net + billed)
        out.append(
            _entry(
                b.period,
                currency,
                "billing",
                [_line(AR, billed, True), _line(DEFERRED, liab, False), _line(ASSET, asset, False)],
            )
        )
        net += billed
        liab, asset = _split(net, net - b.recognised)
        out.append(
            _entry(
                b.period,
                currency,
                "recognition",
                [_line(DEFERRED, -liab, True), _line(ASSET, -asset, True), _line(REVENUE, b.recognised, False)],
            )
        )
        net -= b.recognised
        out.append(
            _entry(b.period, currency, "collection", [_line(CASH, b.collected, True), _line(AR, b.collected, False)])
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
