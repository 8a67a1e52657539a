"""Contract balances per period and the deferred-revenue roll-forward.

Contract balances per period: receivable, contract asset, contract liability (deferred revenue)
with a current / non-current split, and the deferred-revenue roll-forward; and one period's balances
alone, which is what a period-end run needs from each contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .calendars import PeriodCalendar
from .errors import CurrencyMismatchError
from .schedules import Schedule

__all__ = [
    "BillingEvent",
    "BillingKind",
    "PeriodBalance",
    "contract_balances",
    "current_split",
    "period_balance",
]


class BillingKind(StrEnum):
    """A billing-side event linked to the contract."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"


@dataclass(frozen=True, kw_only=True, slots=True)
class BillingEvent:
    """An invoice, credit note or payment, in positive minor units."""

    id: str
    kind: BillingKind
    on: date
    amount: int
    currency: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PeriodBalance:
    """One period of a contract's balances.

    One period of a contract's balances; the roll-forward identity always holds:
    ``opening_liability + billed - credited - recognised + reclassified == closing_liability``.

    ``reclassified`` is the movement against the contract asset (revenue recognised before billing, or
    billing that first consumes an existing contract asset).
    """

    period: str
    billed: int
    credited: int
    collected: int
    recognised: int
    receivable: int
    contract_asset: int
    opening_liability: int
    closing_liability: int
    reclassified: int

    @property
    def closes(self) -> bool:
        """Whether opening + billings - credits - recognised +/- reclassification equals closing."""
        return (
            self.opening_liability + self.billed - self.credited - self.recognised + self.reclassified
            == self.closing_liability
        )


_SLOT = {BillingKind.INVOICE: 0, BillingKind.CREDIT_NOTE: 1, BillingKind.PAYMENT: 2}


def _sum_by_period(
    events: Sequence[BillingEvent], calendar: PeriodCalendar, currency: str
) -> dict[tuple[str, BillingKind], int]:
    out: dict[tuple[str, BillingKind], int] = {}
    for i, event in enumerate(events):
        if event.currency != currency:
            raise CurrencyMismatchError(f"events[{i}].currency", f"{event.currency} on a {currency} contract")
        key = (calendar.period_of(event.on).key, event.kind)
        out[key] = out.get(key, 0) + event.amount
    return out


def _check_schedules(schedules: Sequence[Schedule], currency: str) -> None:
    for i, schedule in enumerate(schedules):
        if schedule.currency != currency:
            raise CurrencyMismatchError(f"schedules[{i}].currency", f"{schedule.currency} on a {currency} contract")


def _row(key: str, net: int, receivable: int, moves: tuple[int, int, int], rec: int) -> PeriodBalance:
    """The row of period ``key`` from the net position and receivable carried into it.

    ``moves`` are the period's invoiced, credited and collected amounts.
    """
    billed, credited, collected = moves
    opening = max(net, 0)
    net += billed - credited - rec
    closing = max(net, 0)
    return PeriodBalance(
        period=key,
        billed=billed,
        credited=credited,
        collected=collected,
        recognised=rec,
        receivable=receivable + billed - credited - collected,
        contract_asset=max(-net, 0),
        opening_liability=opening,
        closing_liability=closing,
        reclassified=closing - opening - billed + credited + rec,
    )


def period_balance(
    *,
    currency: str,
    schedules: Sequence[Schedule],
    events: Sequence[BillingEvent],
    calendar: PeriodCalendar,
    period: str,
) -> PeriodBalance:
    """One period's balances of a contract, without building the rows of every other period.

    It is the row :func:`contract_balances` gives for ``period`` (and, for a period without activity,
    a row of no movements at the balances carried into it), from sums over the schedule lines and
    billing events before and in the period: what a period-end run needs from each contract.
    """
    _check_schedules(schedules, currency)
    before = rec = 0
    for schedule in schedules:
        for p, amount in zip(schedule.periods, schedule.amounts, strict=True):
            key = p.key
            if key > period:
                continue
            if key == period:
                rec += amount
            else:
                before += amount
    # Invoices, credit notes and payments before the period, then in it.
    past, now = [0, 0, 0], [0, 0, 0]
    for i, event in enumerate(events):
        if event.currency != currency:
            raise CurrencyMismatchError(f"events[{i}].currency", f"{event.currency} on a {currency} contract")
        key = calendar.period_of(event.on).key
        if key <= period:
            (now if key == period else past)[_SLOT[event.kind]] += event.amount
    net = past[0] - past[1] - before
    return _row(period, net, past[0] - past[1] - past[2], (now[0], now[1], now[2]), rec)


def contract_balances(
    *, currency: str, schedules: Sequence[Schedule], events: Sequence[BillingEvent], calendar: PeriodCalendar
) -> list[PeriodBalance]:
    """Per-period balances of one contract, from its schedules and billing events."""
    _check_schedules(schedules, currency)
    recognised: dict[str, int] = {}
    for schedule in schedules:
        for key, amount in schedule.by_period().items():
            recognised[key] = recognised.get(key, 0) + amount
    billing = _sum_by_period(events, calendar, currency)
    rows: list[PeriodBalance] = []
    net = receivable = 0
    for key in sorted(set(recognised) | {k for k, _ in billing}):
        moves = (
            billing.get((key, BillingKind.INVOICE), 0),
            billing.get((key, BillingKind.CREDIT_NOTE), 0),
            billing.get((key, BillingKind.PAYMENT), 0),
        )
        row = _row(key, net, receivable, moves, recognised.get(key, 0))
        rows.append(row)
        net, receivable = row.closing_liability - row.contract_asset, row.receivable
    return rows


def current_split(
    *, liability: int, schedules: Sequence[Schedule], after_period: str, horizon_keys: Sequence[str]
) -> tuple[int, int]:
    """Split a contract liability into current and non-current at a reporting date.

    Args:
        liability: The contract liability at the end of ``after_period``.
        schedules: The contract's schedules.
        after_period: Key of the reporting period.
        horizon_keys: Keys of the periods in the next twelve months (the operating cycle).

    Returns:
        ``(current, non_current)``: current is what the schedules recognise within the horizon,
        capped at the liability.
    """
    horizon = set(horizon_keys)
    upcoming = sum(
        a
        for s in schedules
        for p, a in zip(s.periods, s.amounts, strict=True)
        if p.key > after_period and p.key in horizon
    )
    current = min(max(upcoming, 0), liability)
    return current, liability - current
