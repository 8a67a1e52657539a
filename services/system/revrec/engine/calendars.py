"""Period calendars: calendar months and 4-4-5 style fiscal calendars, with cached period lookups.

A period is a half-open date range ``[start, end)`` with a stable key (``2024-03`` or
``FY2024-P03``); ``period_of(day)`` finds the period of a date and ``by_key(key)`` the period a key names.
Lookups are memoised per calendar, because a book of contracts touches the same few hundred periods
millions of times.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from .errors import InvalidConventionError, InvalidPeriodError

__all__ = ["CalendarMonths", "Fiscal445", "Fiscal5253", "Period", "PeriodCalendar", "YearEnd", "periods_between"]


@dataclass(frozen=True, slots=True)
class Period:
    """One accounting period.

    Attributes:
        key: Stable, sortable identifier (``2024-03``, ``FY2024-P03``).
        start: First day of the period.
        end: First day *after* the period (half-open).
    """

    key: str
    start: date
    end: date


_MONTH_KEY = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_FISCAL_KEY = re.compile(r"^FY([0-9]{4})-P(0[1-9]|1[0-2])$")


def _fiscal_key(key: str) -> tuple[int, int]:
    """``(fiscal year label, period index 0-11)`` of a ``FY<year>-P<nn>`` key."""
    match = _FISCAL_KEY.match(key)
    if match is None:
        raise InvalidPeriodError("period", f"{key!r} is not a fiscal period FY<year>-P<01-12>")
    return int(match[1]), int(match[2]) - 1


@dataclass(frozen=True, kw_only=True, slots=True)
class CalendarMonths:
    """Periods are calendar months."""

    def period_of(self, day: date) -> Period:
        """The period containing ``day``."""
        return _month(day.year, day.month)

    def by_key(self, key: str) -> Period:
        """The period a ``YYYY-MM`` key names.

        Raises:
            InvalidPeriodError: ``key`` is not a calendar month.
        """
        match = _MONTH_KEY.match(key)
        if match is None or int(match[1]) == 0:
            raise InvalidPeriodError("period", f"{key!r} is not a calendar month YYYY-MM")
        return _month(int(match[1]), int(match[2]))


@dataclass(frozen=True, kw_only=True, slots=True)
class Fiscal445:
    """A retail-style fiscal calendar of 52-week years split into quarters of 4, 4 and 5 weeks.

    Attributes:
        year_start: First day of the first fiscal year covered (years follow every 364 days).
        first_year: Label of that first fiscal year (``FY<first_year>``).
        pattern: Weeks per period within a quarter, e.g. ``(4, 4, 5)``, ``(4, 5, 4)`` or ``(5, 4, 4)``.
    """

    year_start: date
    first_year: int
    pattern: tuple[int, int, int] = (4, 4, 5)

    def __post_init__(self) -> None:
        if sorted(self.pattern) != [4, 4, 5]:
            raise InvalidConventionError("calendar.pattern", "a 4-4-5 calendar needs weeks (4, 4, 5) in some order")

    def period_of(self, day: date) -> Period:
        """The period containing ``day``."""
        return _fiscal_period_of(self, day)

    def by_key(self, key: str) -> Period:
        """The period a ``FY<year>-P<nn>`` key names.

        Raises:
            InvalidPeriodError: ``key`` is malformed or names a year before ``first_year``.
        """
        year, index = _fiscal_key(key)
        if year < self.first_year:
            raise InvalidPeriodError("period", f"{key} is before the fiscal calendar starts (FY{self.first_year})")
        return _fiscal_period(self, year - self.first_year, index)


class YearEnd(StrEnum):
    """The 52/53-week rule for where a fiscal year ends."""

    LAST = "last"
    """On the last given weekday of the year-end month."""
    NEAREST = "nearest"
    """On the given weekday nearest to the last day of the year-end month (up to 3 days after it)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Fiscal5253:
    """A 52/53-week fiscal calendar of 4-4-5 style periods (the retail or "4-5-4" calendar).

    Every fiscal year ends on a fixed weekday at (or nearest to) the end of one month, so it has 52
    weeks, or 53 when the weekday drifts far enough; the 53rd week goes to the last period.

    Attributes:
        end_month: Month (1-12) the fiscal year ends in or near.
        weekday: Weekday the year ends on (Monday 0 ... Sunday 6; the NRF calendar ends on Saturday, 5).
        rule: ``LAST`` or ``NEAREST`` weekday to the end of ``end_month``.
        label_offset: Fiscal year ``Y`` ends in calendar year ``Y + label_offset``; the NRF labels a
            year by the calendar year it starts in, so its January year-end has ``label_offset=1``.
        pattern: Weeks per period within a quarter.
    """

    end_month: int
    weekday: int
    rule: YearEnd = YearEnd.NEAREST
    label_offset: int = 0
    pattern: tuple[int, int, int] = (4, 4, 5)

    def __post_init__(self) -> None:
        if sorted(self.pattern) != [4, 4, 5]:
            raise InvalidConventionError("calendar.pattern", "a 4-4-5 calendar needs weeks (4, 4, 5) in some order")
        if not 1 <= self.end_month <= 12 or not 0 <= self.weekday <= 6:
            raise InvalidConventionError("calendar", "end_month must be 1-12 and weekday 0-6")

    def year_end(self, label: int) -> date:
        """Last day of fiscal year ``label``."""
        return _year_end(self, label)

    def weeks(self, label: int) -> int:
        """52 or 53."""
        return (self.year_end(label) - self.year_end(label - 1)).days // 7

    def period_of(self, day: date) -> Period:
        """The period containing ``day``."""
        label = day.year - self.label_offset - 1
        while self.year_end(label) < day:
            label += 1
        start = self.year_end(label - 1) + timedelta(days=1)
        week, cumulative = (day - start).days // 7, 0
        for index in range(12):
            cumulative += self.pattern[index % 3]
            if week < cumulative:
                break
        return _period_5253(self, label, index)

    def by_key(self, key: str) -> Period:
        """The period a ``FY<year>-P<nn>`` key names.

        Raises:
            InvalidPeriodError: ``key`` is malformed or its year is outside the dates Python can represent.
        """
        label, index = _fiscal_key(key)
        if not 2 <= label + self.label_offset <= 9998:
            raise InvalidPeriodError("period", f"{key} is outside the calendar's range")
        return _period_5253(self, label, index)


@lru_cache(maxsize=4096)
def _year_end(calendar: Fiscal5253, label: int) -> date:
    year = label + calendar.label_offset
    month_end = date(year, calendar.end_month, monthrange(year, calendar.end_month)[1])
    back = (month_end.weekday() - calendar.weekday) % 7
    if calendar.rule is YearEnd.NEAREST and back > 3:
        return month_end + timedelta(days=7 - back)
    return month_end - timedelta(days=back)


@lru_cache(maxsize=4096)
def _period_5253(calendar: Fiscal5253, label: int, index: int) -> Period:
    year_start = calendar.year_end(label - 1) + timedelta(days=1)
    weeks_before = sum(calendar.pattern[i % 3] for i in range(index))
    start = year_start + timedelta(days=7 * weeks_before)
    end = start + timedelta(days=7 * calendar.pattern[index % 3])
    if index == 11:
        end = calendar.year_end(label) + timedelta(days=1)
    return Period(f"FY{label}-P{index + 1:02d}", start, end)


PeriodCalendar = CalendarMonths | Fiscal445 | Fiscal5253


@lru_cache(maxsize=4096)
def _month(year: int, month: int) -> Period:
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(f"{year:04d}-{month:02d}", date(year, month, 1), end)


@lru_cache(maxsize=65536)
def _fiscal_period_of(calendar: Fiscal445, day: date) -> Period:
    offset = (day - calendar.year_start).days
    if offset < 0:
        raise InvalidPeriodError("date", f"{day} is before the fiscal calendar starts ({calendar.year_start})")
    year, in_year = divmod(offset, 364)
    week = in_year // 7
    index, cumulative = 0, 0
    for index in range(12):
        cumulative += calendar.pattern[index % 3]
        if week < cumulative:
            break
    return _fiscal_period(calendar, year, index)


@lru_cache(maxsize=4096)
def _fiscal_period(calendar: Fiscal445, year: int, index: int) -> Period:
    weeks_before = sum(calendar.pattern[i % 3] for i in range(index))
    start = calendar.year_start + timedelta(days=364 * year + 7 * weeks_before)
    end = start + timedelta(days=7 * calendar.pattern[index % 3])
    return Period(f"FY{calendar.first_year + year}-P{index + 1:02d}", start, end)


@lru_cache(maxsize=65536)
def periods_between(calendar: PeriodCalendar, start: date, end: date) -> tuple[Period, ...]:
    """All periods overlapping the half-open range ``[start, end)``, in order.

    Raises:
        InvalidPeriodError: ``end`` is not after ``start``.
    """
    if end <= start:
        raise InvalidPeriodError("end", f"end {end} must be after start {start}")
    out = [calendar.period_of(start)]
    while out[-1].end < end:
        out.append(calendar.period_of(out[-1].end))
    return tuple(out)
