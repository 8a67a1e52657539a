"""Functional-currency accounting of a foreign-currency contract (IAS 21 / IFRIC 22, ASC 830).

The contract is allocated and scheduled in its transaction currency; this module books it in the
functional currency:

* **Contract liability is non-monetary** (IAS 21.23(b), IFRIC 22.8, ASC 830-10-45-18): every advance
  (an invoice or a payment before revenue) is a *layer* translated once at the spot rate of the day it
  arose, never remeasured. Revenue recognised against it uses that historical rate, layers consumed
  first in, first out; IFRIC 22.9 gives each advance its own date of the transaction.
* Revenue **not** covered by an advance is translated at the spot rate of the day it is recognised
  (IAS 21.21-22) and debited to the contract asset.
* The **receivable and the contract asset are monetary** (a right to a fixed amount of foreign
  currency; treating the contract asset as monetary is this engine's stated policy): they are carried
  at their booked amounts, relieved in proportion, remeasured to the spot rate on each ``REMEASURE``
  date, and the difference is an FX gain or loss (IAS 21.23(a), 21.28).

Every entry is a balanced :class:`JournalEntry` in the functional currency, with integer minor units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from .calendars import CalendarMonths, PeriodCalendar
from .errors import CurrencyMismatchError, InvalidInputError
from .fx import RateTable
from .journals import AR, ASSET, CASH, DEFERRED, REVENUE, JournalEntry, JournalLine, _entry, _line
from .rounding import RoundingMode, round_div
from .schedules import Schedule

__all__ = ["FX", "FxEvent", "FxEventKind", "FxLedger", "functional_ledger", "recognition_events"]

FX = "fx_gain_loss"
"""Account of exchange differences; a credit is a gain."""


class FxEventKind(StrEnum):
    """What happened to the contract on a date, in transaction currency."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    RECOGNITION = "recognition"
    REMEASURE = "remeasure"
    """A reporting date: remeasure the receivable and contract asset at the closing rate."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FxEvent:
    """One dated event; ``amount`` is in transaction minor units (ignored by ``REMEASURE``)."""

    kind: FxEventKind
    on: date
    amount: int = 0


@dataclass(slots=True)
class _Monetary:
    fc: int = 0
    lc: int = 0

    def add(self, fc: int, lc: int) -> None:
        self.fc += fc
        self.lc += lc

    def relieve(self, fc: int) -> int:
        """Remove ``fc`` at the carrying rate; relieving the whole balance takes its whole carrying amount."""
        part = self.lc if fc == self.fc else round_div(self.lc * fc, self.fc, RoundingMode.HALF_UP)
        self.fc -= fc
        self.lc -= part
        return part


@dataclass(frozen=True, kw_only=True, slots=True)
class FxLedger:
    """The functional-currency books of one contract.

    Attributes:
        currency: Functional currency of every amount below.
        entries: Balanced journal entries in event order.
        revenue: Revenue recognised, functional minor units.
        fx_gain: Net exchange gain (negative: loss).
        cash: Cash received, functional minor units.
        receivable: Closing receivable ``(transaction, functional)``.
        contract_asset: Closing contract asset ``(transaction, functional)``.
        deferred: Closing contract liability ``(transaction, functional)``, at historical rates.
    """

    currency: str
    entries: tuple[JournalEntry, ...]
    revenue: int
    fx_gain: int
    cash: int
    receivable: tuple[int, int]
    contract_asset: tuple[int, int]
    deferred: tuple[int, int]


def _take(layers: list[list[int]], fc: int, *, newest_first: bool) -> tuple[int, int]:
    """Consume ``fc`` from advance layers at their own rates; return ``(functional taken, fc left)``."""
    taken, left = 0, fc
    while left and layers:
        layer = layers[-1 if newest_first else 0]
        take = min(left, layer[0])
        lc = layer[1] if take == layer[0] else round_div(layer[1] * take, layer[0], RoundingMode.HALF_UP)
        layer[0] -= take
        layer[1] -= lc
        taken += lc
        left -= take
        if not layer[0]:
            layers.pop(-1 if newest_first else 0)
    return taken, left


@dataclass(slots=True)
class _Books:
    rates: RateTable
    ar: _Monetary = field(default_factory=_Monetary)
    asset: _Monetary = field(default_factory=_Monetary)
    layers: list[list[int]] = field(default_factory=list)  # [fc, lc] per advance, oldest first
    revenue: int = 0
    fx: int = 0
    cash: int = 0

    def consideration(self, fc: int, day: date) -> tuple[int, list[JournalLine | None]]:
        """Credits for consideration that became due or was received: contract asset first, then a layer."""
        spot = self.rates.convert(fc, day)
        from_asset = min(fc, self.asset.fc)
        asset_lc = self.asset.relieve(from_asset)
        advance = fc - from_asset
        if advance:
            layer_lc = spot - self.rates.convert(from_asset, day)
            self.layers.append([advance, layer_lc])
        else:
            layer_lc = 0
        fx = self._fx(spot - asset_lc - layer_lc)
        return spot, [_line(ASSET, asset_lc, False), _line(DEFERRED, layer_lc, False), fx]

    def recognise(self, fc: int, day: date) -> list[JournalLine | None]:
        """Revenue: from advance layers at their historical rates, the rest at spot to the contract asset."""
        from_layers, left = _take(self.layers, fc, newest_first=False)
        unbilled = self.rates.convert(left, day) if left else 0
        self.asset.add(left, unbilled)
        self.revenue += from_layers + unbilled
        revenue = _line(REVENUE, from_layers + unbilled, False)
        return [_line(DEFERRED, from_layers, True), _line(ASSET, unbilled, True), revenue]

    def unwind(self, fc: int, day: date) -> tuple[list[JournalLine | None], int]:
        """A credit note: newest advance layers first at their own rates, any excess to the contract asset."""
        from_layers, left = _take(self.layers, fc, newest_first=True)
        excess = self.rates.convert(left, day) if left else 0
        self.asset.add(left, excess)
        return [_line(DEFERRED, from_layers, True), _line(ASSET, excess, True)], from_layers + excess

    def _fx(self, gain: int) -> JournalLine | None:
        self.fx += gain
        return _line(FX, gain, False)

    def remeasure(self, day: date) -> list[JournalLine | None]:
        """Bring the receivable and contract asset to the spot rate of ``day``; the difference is FX."""
        ar_diff = self.rates.convert(self.ar.fc, day) - self.ar.lc
        asset_diff = self.rates.convert(self.asset.fc, day) - self.asset.lc
        self.ar.lc += ar_diff
        self.asset.lc += asset_diff
        return [_line(AR, ar_diff, True), _line(ASSET, asset_diff, True), self._fx(ar_diff + asset_diff)]


def _require(books: _Books, event: FxEvent, i: int) -> None:
    if event.amount < 0:
        raise InvalidInputError(f"events[{i}].amount", "amounts are given as positive transaction minor units")
    if event.kind is FxEventKind.CREDIT_NOTE and event.amount > books.ar.fc:
        raise InvalidInputError(f"events[{i}].amount", "a credit note larger than the open receivable")


def _book(books: _Books, event: FxEvent, i: int) -> list[JournalLine | None]:
    _require(books, event, i)
    fc, day, kind = event.amount, event.on, event.kind
    if kind is FxEventKind.REMEASURE:
        return books.remeasure(day)
    if kind is FxEventKind.RECOGNITION:
        return books.recognise(fc, day)
    if kind is FxEventKind.INVOICE:
        spot, credits = books.consideration(fc, day)
        books.ar.add(fc, spot)
        return [_line(AR, spot, True), *credits]
    if kind is FxEventKind.CREDIT_NOTE:
        relieved = books.ar.relieve(fc)
        debits, debited = books.unwind(fc, day)
        return [*debits, _line(AR, relieved, False), books._fx(debited - relieved)]
    settled = min(fc, books.ar.fc)
    spot_settled = books.rates.convert(settled, day)
    relieved = books.ar.relieve(settled)
    lines = [_line(CASH, spot_settled, True), _line(AR, relieved, False), books._fx(spot_settled - relieved)]
    if fc > settled:  # advance consideration received before any invoice (IFRIC 22.8)
        spot, credits = books.consideration(fc - settled, day)
        books.cash += spot
        lines += [_line(CASH, spot, True), *credits]
    books.cash += spot_settled
    return lines


def functional_ledger(
    *, rates: RateTable, events: Sequence[FxEvent], calendar: PeriodCalendar | None = None
) -> FxLedger:
    """Book a foreign-currency contract's events in the functional currency.

    Args:
        rates: Rate table from the contract's transaction currency to the functional currency.
        events: Invoices, credit notes, payments, recognitions and reporting dates; processed by date,
            events on the same date in the order given (e.g. recognise, then invoice, then pay).
        calendar: Period calendar for the entries' period keys (calendar months by default).

    Raises:
        InvalidInputError: A negative amount, a credit note above the receivable, or a date without a rate.
    """
    calendar = calendar or CalendarMonths()
    books = _Books(rates=rates)
    entries: list[JournalEntry] = []
    for i, event in sorted(enumerate(events), key=lambda pair: pair[1].on):
        entry = _entry(calendar.period_of(event.on).key, rates.functional, str(event.kind), _book(books, event, i))
        if entry is not None:
            entries.append(entry)
    return FxLedger(
        currency=rates.functional,
        entries=tuple(entries),
        revenue=books.revenue,
        fx_gain=books.fx,
        cash=books.cash,
        receivable=(books.ar.fc, books.ar.lc),
        contract_asset=(books.asset.fc, books.asset.lc),
        deferred=(sum(x[0] for x in books.layers), sum(x[1] for x in books.layers)),
    )


def recognition_events(schedules: Sequence[Schedule], currency: str) -> list[FxEvent]:
    """One ``RECOGNITION`` event per schedule line, dated the last day of its period.

    Raises:
        CurrencyMismatchError: A schedule is not in the contract's transaction ``currency``.
    """
    out = []
    for i, schedule in enumerate(schedules):
        if schedule.currency != currency:
            raise CurrencyMismatchError(f"schedules[{i}].currency", f"{schedule.currency} on a {currency} contract")
        for period, amount in zip(schedule.periods, schedule.amounts, strict=True):
            if amount:
                out.append(FxEvent(kind=FxEventKind.RECOGNITION, on=period.end - timedelta(days=1), amount=amount))
    return sorted(out, key=lambda e: e.on)
