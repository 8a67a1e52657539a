"""Day-count conventions: how many days of a service period fall inside an accounting period."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from .errors import InvalidPeriodError

__all__ = ["DayCount", "day_weight", "service_interval"]


class DayCount(StrEnum):
    """How a service period's dates are counted."""

    ACTUAL_INCLUSIVE = "actual_inclusive"
    """Actual days, the end date is a service day (Jan 1 - Dec 31 is 365 days)."""
    ACTUAL_HALF_OPEN = "actual_half_open"
    """Actual days, the end date is the first day *not* served (Jan 1 - Jan 1 next year is 365 days)."""
    THIRTY_360 = "30/360"
    """Every month counts 30 days (US 30/360 day-of-month capping); end date inclusive."""


def service_interval(start: date, end: date, day_count: DayCount) -> tuple[date, date]:
    """The half-open ``[start, stop)`` date range a service period covers under ``day_count``.

    Raises:
        InvalidPeriodError: The end is before the start (or equal to it under half-open counting).
    """
    if end < start:
        raise InvalidPeriodError("end", f"end {end} is before start {start}")
    if day_count is DayCount.ACTUAL_HALF_OPEN:
        if end == start:
            raise InvalidPeriodError("end", "a half-open service period needs end after start")
        return start, end
    return start, end + timedelta(days=1)


def _thirty_360_position(day: date) -> int:
    # A monotone "day number" where every month has 30 days; differences of it are 30/360 day counts,
    # which makes the count additive across any split of the service period.
    return day.year * 360 + day.month * 30 + min(day.day, 30)


def day_weight(start: date, stop: date, day_count: DayCount) -> int:
    """Days in the half-open range ``[start, stop)`` under ``day_count``."""
    if day_count is DayCount.THIRTY_360:
        return _thirty_360_position(stop) - _thirty_360_position(start)
    return (stop - start).days
