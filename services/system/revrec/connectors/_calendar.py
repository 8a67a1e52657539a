"""Period calendars of the built-in platform: the book's, a convention's, and period keys on and off the wire (pure).

Inside the platform a period is the engine's key: ``2026-01`` under calendar months, ``FY2026-P01`` under a
fiscal calendar. Schedules, billings, postings and the closed-through mark are kept under it, so keys of one
book sort in period order. On the wire ``accounting_period`` keeps the ``YYYY-MM`` form v1 promised: in a
fiscal book it is the fiscal year and period number (``2026-01`` for ``FY2026-P01``), and ``fiscal_period``
carries the label beside it. A client may name a period either way; a fiscal label in a calendar-month book
is refused, naming the field.

A fiscal calendar's ``fiscal_year`` is part of the convention a contract is stored with (resolved from the
book's when the request left it out), so every stored contract says exactly which calendar scheduled it.
"""

from __future__ import annotations

from calendar import month_name
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import msgspec

from services.system.revrec import engine as eng
from services.system.revrec.errors import field_error
from services.system.revrec.schemas import (
    BookCalendarV1,
    CalendarPeriodV1,
    CalendarV1,
    CalendarViewV1,
    ConventionV1,
    FiscalYearLabelV1,
    FiscalYearV1,
    WeekdayV1,
)

__all__ = ["MONTHS", "Calendar", "calendar_of", "convention_calendar", "describe", "require_book",
           "resolve_convention"]

MONTHS = eng.CalendarMonths()
_WEEKDAYS = {day: number for number, day in enumerate(WeekdayV1)}  # Monday 0 ... Sunday 6, as ``date.weekday``
_PATTERNS = {CalendarV1.FISCAL_445: (4, 4, 5), CalendarV1.FISCAL_454: (4, 5, 4), CalendarV1.FISCAL_544: (5, 4, 4)}


def _engine(spec: BookCalendarV1) -> eng.PeriodCalendar:
    if spec.calendar is CalendarV1.CALENDAR_MONTHS:
        return MONTHS
    fiscal = spec.fiscal_year
    assert fiscal is not None  # resolved before a calendar is built
    # ``label_offset``: fiscal year Y ends in calendar year Y + offset (1 for the retail "start year" naming).
    return eng.Fiscal5253(end_month=fiscal.year_end_month, weekday=_WEEKDAYS[fiscal.week_ending_day],
                          rule=eng.YearEnd(fiscal.year_end_rule.value), pattern=_PATTERNS[spec.calendar],
                          label_offset=1 if fiscal.year_label is FiscalYearLabelV1.START_YEAR else 0)


@dataclass(frozen=True, slots=True)
class Calendar:
    """A period calendar as the API states it (``spec``) and as the engine computes it (``engine``)."""

    spec: BookCalendarV1
    engine: eng.PeriodCalendar

    @property
    def fiscal(self) -> bool:
        return self.spec.calendar is not CalendarV1.CALENDAR_MONTHS

    def period(self, key: str) -> eng.Period:
        """The period of an internal key."""
        return self.engine.by_key(key)

    def period_of(self, day: date) -> eng.Period:
        return self.engine.period_of(day)

    def next_key(self, key: str) -> str:
        return self.engine.period_of(self.period(key).end).key

    def last_day(self, key: str) -> date:
        return self.period(key).end - timedelta(days=1)

    def wire(self, key: str) -> str:
        """``accounting_period`` of an internal key (``FY2026-P01`` -> ``2026-01``)."""
        return f"{key[2:6]}-{key[8:10]}" if self.fiscal else key

    def label(self, key: str) -> str | None:
        """``fiscal_period`` of an internal key (``None`` under calendar months)."""
        return key if self.fiscal else None

    def from_wire(self, period: str) -> str:
        """The internal key of a wire ``accounting_period``."""
        return f"FY{period[:4]}-P{period[5:7]}" if self.fiscal else period

    def key(self, text: str, field: str, source: str = "path") -> str:
        """The internal key of a period a client named as ``YYYY-MM`` or ``FY<year>-P<nn>``.

        Raises:
            RevrecRuleError: A fiscal label in a calendar-month book (422, naming ``field``).
            RevrecInputError: A key that names no period (400).
        """
        if text.startswith("FY") and not self.fiscal:
            raise field_error(field, f"{text} is a fiscal period, but the book closes calendar months: name the "
                              "period YYYY-MM", rule=True, source=source)
        key = text if text.startswith("FY") else self.from_wire(text)
        try:
            self.period(key)
        except eng.EngineError as exc:
            raise field_error(field, exc.reason, source=source) from None
        return key

    def year(self, year: int) -> CalendarViewV1:
        """The calendar and the twelve periods of (fiscal) ``year``."""
        keys = [f"FY{year:04d}-P{n:02d}" if self.fiscal else f"{year:04d}-{n:02d}" for n in range(1, 13)]
        periods = [self.period(k) for k in keys]
        return CalendarViewV1(calendar=self.spec.calendar, fiscal_year=self.spec.fiscal_year, year=year, periods=[
            CalendarPeriodV1(accounting_period=self.wire(k), fiscal_period=self.label(k), start_date=p.start,
                             end_date=p.end - timedelta(days=1), days=(p.end - p.start).days)
            for k, p in zip(keys, periods, strict=True)])


@lru_cache(maxsize=256)
def calendar_of(spec: BookCalendarV1) -> Calendar:
    """The calendar ``spec`` states (a fiscal one must carry its ``fiscal_year``)."""
    return Calendar(spec=spec, engine=_engine(spec))


def convention_calendar(convention: ConventionV1) -> Calendar:
    """The calendar of a resolved convention (see ``resolve_convention``)."""
    if convention.calendar is not CalendarV1.CALENDAR_MONTHS and convention.fiscal_year is None:
        raise field_error("convention.fiscal_year", f"a {convention.calendar.value} calendar needs its fiscal year")
    return calendar_of(BookCalendarV1(calendar=convention.calendar, fiscal_year=convention.fiscal_year))


def _check_fiscal_year(fiscal: FiscalYearV1, field: str) -> None:
    if fiscal.year_label is FiscalYearLabelV1.START_YEAR and fiscal.year_end_month == 12:
        raise field_error(f"{field}.year_label", "start_year naming needs a year ending before December")


def resolve_convention(convention: ConventionV1, book: Calendar, field: str = "convention") -> ConventionV1:
    """``convention`` with its fiscal year stated: the request's own, else the book's.

    Raises:
        RevrecInputError: A fiscal year on calendar months, or a fiscal calendar with no fiscal year to be had.
    """
    if convention.calendar is CalendarV1.CALENDAR_MONTHS:
        if convention.fiscal_year is not None:
            raise field_error(f"{field}.fiscal_year", "only a fiscal calendar has a fiscal year")
        return convention
    fiscal = convention.fiscal_year or book.spec.fiscal_year
    if fiscal is None:
        raise field_error(f"{field}.fiscal_year", f"a {convention.calendar.value} calendar needs its fiscal year "
                          "(the book closes calendar months, so it has none to lend)")
    _check_fiscal_year(fiscal, f"{field}.fiscal_year")
    return msgspec.structs.replace(convention, fiscal_year=fiscal)


def describe(spec: BookCalendarV1) -> str:
    """The calendar in words, for refusals (``fiscal_445, the year ending on the last saturday of January ...``)."""
    fiscal = spec.fiscal_year
    if fiscal is None:
        return spec.calendar.value
    return (f"{spec.calendar.value}, the year ending on the {fiscal.year_end_rule.value} "
            f"{fiscal.week_ending_day.value} of {month_name[fiscal.year_end_month]}, named by its "
            f"{fiscal.year_label.value.replace('_', ' ')}")


def require_book(convention: ConventionV1, book: Calendar) -> None:
    """Refuse a resolved convention whose calendar is not the book's (periods of a book close together).

    Raises:
        RevrecRuleError: 422 naming ``convention.calendar`` or ``convention.fiscal_year``.
    """
    if convention.calendar is not book.spec.calendar:
        raise field_error("convention.calendar", f"the book closes its periods on {describe(book.spec)}; every "
                          "contract of the book states that calendar (GET /v1/calendar)", rule=True)
    if convention.fiscal_year != book.spec.fiscal_year:
        raise field_error("convention.fiscal_year", f"differs from the book's fiscal year ({describe(book.spec)})",
                          rule=True)
