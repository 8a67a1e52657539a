"""Ratable schedules between two instants, weighted by elapsed milliseconds.

Stripe Revenue Recognition amortizes "by millisecond" by default: a service period runs from one
instant to another (e.g. 12:00:00 UTC on the 15th) and each accounting period gets the share of
milliseconds that fall inside it. Accounting periods are whole dates, taken to start at 00:00 UTC.
The weights are integers (milliseconds), so shares stay exact until the one rounding step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from .calendars import Period, PeriodCalendar, periods_between
from .errors import InvalidConventionError, InvalidInputError, InvalidPeriodError
from .money import require_currency
from .rounding import RemainderPolicy, distribute
from .schedules import Convention, Method, Schedule, _shares

__all__ = ["instant_amounts", "instant_schedule", "milliseconds"]

_MS = timedelta(milliseconds=1)
_DAY_MS = 86_400_000
_METHODS = (Method.BY_MILLISECOND, Method.EXACT_DAYS, Method.PRORATE_FIRST_LAST, Method.EVEN_PERIODS)


def _utc(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInputError(field, "an instant needs a time zone (e.g. UTC)")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def milliseconds(start: datetime, end: datetime) -> int:
    """Whole milliseconds from ``start`` to ``end`` (both truncated to the millisecond, in UTC)."""
    return (_utc(end, "end") - _utc(start, "start")) // _MS


def _weights(calendar: PeriodCalendar, start: datetime, end: datetime) -> tuple[tuple[Period, ...], list[int]]:
    lo, hi = _utc(start, "start"), _utc(end, "end")
    if hi <= lo:
        raise InvalidPeriodError("end", f"end {end} must be after start {start}")
    last_day = (hi - _MS).date()
    periods = periods_between(calendar, lo.date(), last_day + timedelta(days=1))
    weights = [(min(_midnight(p.end), hi) - max(_midnight(p.start), lo)) // _MS for p in periods]
    return periods, weights


def instant_amounts(
    total: int, start: datetime, end: datetime, conv: Convention
) -> tuple[tuple[Period, ...], list[int]]:
    """Periods and integer amounts of a schedule from instant ``start`` to instant ``end`` (exclusive).

    ``BY_MILLISECOND`` (or ``EXACT_DAYS``) gives each period its share of milliseconds;
    ``PRORATE_FIRST_LAST`` prorates the first and last periods by millisecond and splits the rest
    evenly (Stripe's "by month evenly, first and last month prorated"); ``EVEN_PERIODS`` splits evenly.
    ``TRAILING_PER_DAY`` counts a partial day as a day.

    Raises:
        InvalidInputError: An instant without a time zone.
        InvalidPeriodError: ``end`` is not after ``start``.
        InvalidConventionError: Any other method (they are defined on dates).
    """
    if conv.method not in _METHODS:
        raise InvalidConventionError("convention.method", f"{conv.method} is not defined between instants")
    periods, weights = _weights(conv.calendar, start, end)
    method = Method.EXACT_DAYS if conv.method is Method.BY_MILLISECOND else conv.method
    nums, den = _shares(total, tuple(weights), sum(weights), method)
    days = None
    if conv.remainder is RemainderPolicy.TRAILING_PER_DAY:
        days = [-(-w // _DAY_MS) for w in weights]
    return periods, distribute(nums, den, total, unit=conv.unit, mode=conv.rounding, policy=conv.remainder, days=days)


def instant_schedule(
    *, obligation_id: str, amount: int, currency: str, start: datetime, end: datetime, convention: Convention
) -> Schedule:
    """A ratable schedule between two instants (see :func:`instant_amounts`).

    Raises:
        UnknownCurrencyError: ``currency`` is not known.
    """
    require_currency(currency)
    periods, amounts = instant_amounts(amount, start, end, convention)
    return Schedule(
        obligation_id=obligation_id, currency=currency, total=amount, periods=periods, amounts=tuple(amounts)
    )
