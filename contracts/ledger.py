"""General ledger: account references, journal lines and balanced journal entries.

A ``JournalEntry`` cannot exist unbalanced: construction (and therefore JSON decoding) is refused unless it
has at least two lines and, for every currency, total debits equal total credits. Line amounts are always
positive; the side (debit or credit) carries the direction. Contract version: 1.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import msgspec

from contracts.common import ExternalIds, Id, Instant, Period, check_positive
from contracts.money import Money

__all__ = [
    "EntrySide",
    "GlAccountRef",
    "JournalEntry",
    "JournalLine",
]


class EntrySide(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class GlAccountRef(msgspec.Struct, frozen=True, kw_only=True):
    """A general-ledger account, by its number in the chart of accounts."""

    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["4000", "2400-DEFREV"])]
    name: str | None = None
    external_ids: ExternalIds = {}


class JournalLine(msgspec.Struct, frozen=True, kw_only=True):
    """One debit or one credit of a journal entry."""

    account: GlAccountRef
    side: EntrySide
    amount: Money
    """Positive; ``side`` says which way it moves the account."""
    memo: str | None = None
    dimensions: dict[str, str] = {}
    """Reporting dimensions (``department``, ``class``, ``location``, ``subsidiary``)."""

    def __post_init__(self) -> None:
        check_positive("amount", self.amount)

    @property
    def signed(self) -> Money:
        """The amount signed debit-positive, credit-negative."""
        return self.amount if self.side is EntrySide.DEBIT else -self.amount


class JournalEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A balanced set of postings on one date."""

    id: Id | None = None
    """The ERP's journal id; ``None`` before posting."""
    entry_date: date
    accounting_period: Period | None = None
    """``YYYY-MM`` period posted to, when it differs from the month of ``entry_date``."""
    memo: str | None = None
    lines: Annotated[list[JournalLine], msgspec.Meta(min_length=2)]
    source: str | None = None
    """What produced the entry (``revrec``, ``billing``), for audit."""
    reverses_entry_id: Id | None = None
    posted_at: Instant | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        if len(self.lines) < 2:
            raise ValueError(f"lines: a journal entry needs at least two lines, got {len(self.lines)}")
        unbalanced = {cur: net for cur, net in self.net_by_currency().items() if net != 0}
        if unbalanced:
            detail = ", ".join(
                f"{cur} debits exceed credits by {Money(amount_minor=net, currency=cur).format()}"
                if net > 0 else f"{cur} credits exceed debits by {Money(amount_minor=-net, currency=cur).format()}"
                for cur, net in sorted(unbalanced.items())
            )
            raise ValueError(f"lines: entry is unbalanced ({detail})")

    def net_by_currency(self) -> dict[str, int]:
        """Debits minus credits in minor units, per currency (all zero for a valid entry)."""
        net: dict[str, int] = {}
        for line in self.lines:
            net[line.amount.currency] = net.get(line.amount.currency, 0) + line.signed.amount_minor
        return net

    def totals(self, side: EntrySide) -> dict[str, Money]:
        """Total of one side, per currency."""
        sums: dict[str, Money] = {}
        for line in self.lines:
            if line.side is side:
                cur = line.amount.currency
                sums[cur] = sums.get(cur, Money.zero(cur)) + line.amount
        return sums
