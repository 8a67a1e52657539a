"""Step 5 for the other patterns: point in time, usage, and progress.

Step 5 for the other patterns: point in time, usage, and progress (input or output measures),
where re-estimates of progress are taken by cumulative catch-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from .calendars import PeriodCalendar
from .errors import InvalidInputError
from .money import require_currency
from .rounding import RoundingMode, round_div, round_fraction
from .schedules import Schedule

__all__ = ["ProgressMeasure", "UsageRecord", "point_in_time_schedule", "progress_schedule", "usage_schedule"]

Number = int | Fraction


def point_in_time_schedule(
    *, obligation_id: str, amount: int, currency: str, on: date, calendar: PeriodCalendar
) -> Schedule:
    """Everything recognised in the period in which control transfers (``on``)."""
    require_currency(currency)
    return Schedule(
        obligation_id=obligation_id,
        currency=currency,
        total=amount,
        periods=(calendar.period_of(on),),
        amounts=(amount,),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class UsageRecord:
    """Usage in one period: quantity consumed, at the unit price in force on ``on`` (``None``: the schedule's)."""

    on: date
    quantity: Number
    unit_price: Number | None = None


def usage_schedule(
    *,
    obligation_id: str,
    unit_price: Number,
    currency: str,
    usage: Sequence[UsageRecord],
    calendar: PeriodCalendar,
    unit: int = 1,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> Schedule:
    """Usage-based revenue: each record's quantity times its unit price (``unit_price`` unless it has its own).

    A record carries its own price when the contract's price changed (a usage price takes effect for usage from a
    date, ASC 606-10-32-40); rounding is cumulative, so the lines always sum to the rounded total usage value and
    no cent is lost across periods.
    """
    require_currency(currency)
    periods, amounts, cumulative, written = [], [], Fraction(0), 0
    for i, rec in enumerate(usage):
        if Fraction(rec.quantity) < 0:
            raise InvalidInputError(f"usage[{i}].quantity", "must not be negative")
        price = Fraction(unit_price if rec.unit_price is None else rec.unit_price)
        if price < 0:
            raise InvalidInputError(f"usage[{i}].unit_price", "must not be negative")
        cumulative += Fraction(rec.quantity) * price
        target = round_fraction(cumulative, unit, mode)
        periods.append(calendar.period_of(rec.on))
        amounts.append(target - written)
        written = target
    return Schedule(
        obligation_id=obligation_id, currency=currency, total=written, periods=tuple(periods), amounts=tuple(amounts)
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ProgressMeasure:
    """Progress at a period end: work done to date over the current estimate of total work.

    Attributes:
        on: A date in the period the measure belongs to.
        done: Cumulative input (costs, hours) or output (units, points redeemed) to date.
        expected_total: Current estimate of the total measure; may change between periods.
        allocated: Optional new allocated amount from this period on (a re-estimated transaction price).
    """

    on: date
    done: Number
    expected_total: Number
    allocated: int | None = None


def progress_schedule(
    *,
    obligation_id: str,
    allocated: int,
    currency: str,
    measures: Sequence[ProgressMeasure],
    calendar: PeriodCalendar,
    unit: int = 1,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> Schedule:
    """Revenue by measure of progress, with each re-estimate taken as a cumulative catch-up.

    Each period writes ``round(allocated x done / expected_total) - recognised to date``; a changed
    estimate (of total work or of the allocated price) therefore lands in the period it is made.

    Raises:
        InvalidInputError: Progress outside [0, 1] or a non-positive expected total.
    """
    require_currency(currency)
    periods, amounts, written = [], [], 0
    for i, m in enumerate(measures):
        if Fraction(m.expected_total) <= 0:
            raise InvalidInputError(f"measures[{i}].expected_total", "must be positive")
        progress = Fraction(m.done) / Fraction(m.expected_total)
        if not 0 <= progress <= 1:
            raise InvalidInputError(f"measures[{i}].done", "progress must be between 0 and 1")
        allocated = m.allocated if m.allocated is not None else allocated
        cumulative = allocated * progress
        target = round_div(cumulative.numerator, cumulative.denominator * unit, mode) * unit
        periods.append(calendar.period_of(m.on))
        amounts.append(target - written)
        written = target
    return Schedule(
        obligation_id=obligation_id, currency=currency, total=written, periods=tuple(periods), amounts=tuple(amounts)
    )
