"""Step 5 for obligations satisfied over time: ratable schedules under an explicit convention.

A :class:`Convention` names every choice a vendor bakes in: the period calendar, the day count, the
spreading method, the rounding unit, the rounding mode and where the remainder lands. The exact shares
are integer numerators over one common denominator, so every schedule is computed without ``Fraction``
and sums back to its allocation exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache

from .calendars import CalendarMonths, Period, PeriodCalendar, periods_between
from .daycount import DayCount, day_weight, service_interval
from .errors import InvalidConventionError
from .money import require_currency
from .rounding import RemainderPolicy, RoundingMode, distribute, place_difference, round_div

__all__ = ["Convention", "Method", "Schedule", "ScheduleLine", "ratable_amounts", "ratable_schedule"]


class Method(StrEnum):
    """How an allocation is spread over the periods of its service period."""

    EXACT_DAYS = "exact_days"
    """Each period gets its share of days (daily proration; Stripe per-day, NetSuite exact days)."""
    EVEN_PERIODS = "even_periods"
    """Every period touched gets an equal share, partial or not (NetSuite even periods)."""
    PRORATE_FIRST_LAST = "prorate_first_last"
    """First and last periods by days over total days, the middle periods equal (NetSuite, Stripe)."""
    DAILY_RATE = "daily_rate"
    """A daily rate rounded to the unit, times the days of each period; the remainder per policy."""
    EVEN_TERM_MONTHS = "even_term_months"
    """An equal share per whole month of the term, starting in the first period (Stripe month-even)."""
    BY_MILLISECOND = "by_millisecond"
    """Proportional to elapsed milliseconds between two instants (Stripe's default amortization
    granularity); see :func:`instants.instant_schedule`. On whole dates it equals ``EXACT_DAYS``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Convention:
    """Everything that decides a ratable schedule besides amount and dates.

    Attributes:
        calendar: Period calendar (calendar months or a 4-4-5 fiscal calendar).
        day_count: How the service period's days are counted.
        method: How the amount is spread.
        unit: Rounding unit in minor units (1 = cent for USD; 100 = whole dollar).
        rounding: Rounding mode of each line (``LARGEST_REMAINDER`` floors instead).
        remainder: Where the rounding difference goes.
    """

    calendar: PeriodCalendar = field(default_factory=CalendarMonths)
    day_count: DayCount = DayCount.ACTUAL_INCLUSIVE
    method: Method = Method.EXACT_DAYS
    unit: int = 1
    rounding: RoundingMode = RoundingMode.HALF_UP
    remainder: RemainderPolicy = RemainderPolicy.LARGEST_REMAINDER

    def __post_init__(self) -> None:
        if self.unit <= 0:
            raise InvalidConventionError(
                "convention.unit", "the rounding unit must be a positive number of minor units"
            )


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    """One written schedule line.

    Attributes:
        period: The period the amount is recognised in.
        amount: Minor units.
        kind: ``recognition`` or ``catch_up`` (a modification or re-estimate shown on its own line).
    """

    period: Period
    amount: int
    kind: str = "recognition"


@dataclass(frozen=True, kw_only=True, slots=True)
class Schedule:
    """A recognition schedule for one obligation, held as parallel tuples (cheap to build in bulk).

    Attributes:
        obligation_id: The obligation recognised.
        currency: ISO 4217 code of every amount.
        total: The allocation the lines sum to.
        periods: Periods in order.
        amounts: Minor units per period.
        kinds: Line kinds (``recognition`` / ``catch_up``); empty means all ``recognition``.
    """

    obligation_id: str
    currency: str
    total: int
    periods: tuple[Period, ...]
    amounts: tuple[int, ...]
    kinds: tuple[str, ...] = ()

    @property
    def lines(self) -> Iterator[ScheduleLine]:
        """The schedule as :class:`ScheduleLine` objects."""
        kinds = self.kinds or ("recognition",) * len(self.amounts)
        return map(ScheduleLine, self.periods, self.amounts, kinds)

    def by_period(self) -> dict[str, int]:
        """Amounts summed per period key."""
        out: dict[str, int] = {}
        for period, amount in zip(self.periods, self.amounts, strict=True):
            out[period.key] = out.get(period.key, 0) + amount
        return out


@lru_cache(maxsize=65536)
def _weights(
    calendar: PeriodCalendar, day_count: DayCount, start: date, end: date
) -> tuple[tuple[Period, ...], tuple[int, ...], int]:
    lo, hi = service_interval(start, end, day_count)
    periods = periods_between(calendar, lo, hi)
    weights = tuple(day_weight(max(p.start, lo), min(p.end, hi), day_count) for p in periods)
    total = sum(weights)
    if total <= 0:  # a one-day 30/360 period on the 31st: count actual days instead
        weights = tuple(day_weight(max(p.start, lo), min(p.end, hi), DayCount.ACTUAL_HALF_OPEN) for p in periods)
        total = sum(weights)
    return periods, weights, total


def _term_months(start: date, stop: date) -> int:
    months = (stop.year - start.year) * 12 + stop.month - start.month
    return max(1, months + (1 if stop.day > start.day else 0))


def _shares(total: int, weights: tuple[int, ...], wsum: int, method: Method) -> tuple[list[int], int]:
    n = len(weights)
    if method is Method.EVEN_PERIODS:
        return [total] * n, n
    if method is Method.PRORATE_FIRST_LAST and n > 2:
        k = n - 2
        middle = total * (wsum - weights[0] - weights[-1])
        return [total * weights[0] * k, *([middle] * k), total * weights[-1] * k], wsum * k
    return [total * w for w in weights], wsum


def _days(calendar: PeriodCalendar, day_count: DayCount, start: date, end: date) -> list[int]:
    lo, hi = service_interval(start, end, day_count)
    return [
        day_weight(max(p.start, lo), min(p.end, hi), DayCount.ACTUAL_HALF_OPEN)
        for p in periods_between(calendar, lo, hi)
    ]


def _daily_rate(total: int, weights: tuple[int, ...], wsum: int, conv: Convention, days: list[int] | None) -> list[int]:
    # The rate is kept to one minor unit (as vendors quote it), never to a coarse rounding unit:
    # a whole-unit daily rate would round to zero and push everything into the last period.
    rate = round_div(total, wsum, conv.rounding)
    # Lines are rounded cumulatively: rounding each period on its own to a coarse unit drifts, and the
    # drift would empty the last periods. With a one-cent unit both ways give the same lines.
    lines, booked, accrued = [], 0, 0
    for w in weights:
        accrued += rate * w
        rounded = round_div(accrued, conv.unit, conv.rounding) * conv.unit
        lines.append(rounded - booked)
        booked = rounded
    # A rounded daily rate leaves a remainder with no fractional parts to rank, so "largest
    # remainder" degrades to "last period" here.
    policy = RemainderPolicy.LAST if conv.remainder is RemainderPolicy.LARGEST_REMAINDER else conv.remainder
    return place_difference(lines, total - sum(lines), policy, days=days, unit=conv.unit)


def ratable_amounts(total: int, start: date, end: date, conv: Convention) -> tuple[tuple[Period, ...], list[int]]:
    """The hot path: periods and integer amounts of a ratable schedule.

    Args:
        total: Allocation in minor units.
        start: First service day.
        end: Last service day (or first day not served, under ``ACTUAL_HALF_OPEN``).
        conv: The convention.

    Returns:
        ``(periods, amounts)`` with ``sum(amounts) == total``.
    """
    periods, weights, wsum = _weights(conv.calendar, conv.day_count, start, end)
    trailing = conv.remainder is RemainderPolicy.TRAILING_PER_DAY
    days = _days(conv.calendar, conv.day_count, start, end) if trailing else None
    if conv.method is Method.EVEN_TERM_MONTHS:
        if not isinstance(conv.calendar, CalendarMonths):
            raise InvalidConventionError("convention.method", "even term months needs a calendar-month calendar")
        n = _term_months(*service_interval(start, end, conv.day_count))
        months = [periods[0]]
        while len(months) < n:
            months.append(conv.calendar.period_of(months[-1].end))
        amounts = distribute([total] * n, n, total, unit=conv.unit, mode=conv.rounding, policy=conv.remainder)
        return tuple(months), amounts
    if conv.method is Method.DAILY_RATE:
        return periods, _daily_rate(total, weights, wsum, conv, days)
    nums, den = _shares(total, weights, wsum, conv.method)
    return periods, distribute(nums, den, total, unit=conv.unit, mode=conv.rounding, policy=conv.remainder, days=days)


def ratable_schedule(
    *, obligation_id: str, amount: int, currency: str, start: date, end: date, convention: Convention
) -> Schedule:
    """A ratable schedule for one obligation.

    Args:
        obligation_id: Obligation the schedule belongs to.
        amount: Allocated amount in minor units.
        currency: ISO 4217 code.
        start: First service day.
        end: Last service day (see :class:`DayCount` for half-open counting).
        convention: Calendar, day count, method, rounding unit/mode and remainder policy.

    Raises:
        InvalidPeriodError: ``end`` is before ``start``.
        UnknownCurrencyError: ``currency`` is not known.
    """
    require_currency(currency)
    periods, amounts = ratable_amounts(amount, start, end, convention)
    return Schedule(
        obligation_id=obligation_id, currency=currency, total=amount, periods=periods, amounts=tuple(amounts)
    )
