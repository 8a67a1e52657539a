"""The book's period calendar and later exchange rates of the revrec API (v1), added after its first publication.

A book closes its periods on one calendar: calendar months, or a 4-4-5 style fiscal calendar of 52/53-week
years (``fiscal_445``, ``fiscal_454``, ``fiscal_544``). In a fiscal book every ``accounting_period`` on the
wire is the fiscal year and period number in the ``YYYY-MM`` form the first v1 promised (``2026-01`` is
``FY2026-P01``, never January 2026), and a ``fiscal_period`` field beside it carries the label; the period's
dates are always stated (``period_start`` / ``period_end``, or ``GET /v1/calendar``).
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import msgspec

from contracts.common import Period
from services.system.revrec.schemas._terms import ExchangeRateV1

__all__ = [
    "FISCAL_PERIOD_PATTERN",
    "BookCalendarV1",
    "CalendarPeriodV1",
    "CalendarV1",
    "CalendarViewV1",
    "ExchangeRatesV1",
    "FiscalPeriod",
    "FiscalYearEndV1",
    "FiscalYearLabelV1",
    "FiscalYearV1",
    "WeekdayV1",
]

FISCAL_PERIOD_PATTERN = r"^FY[0-9]{4}-P(0[1-9]|1[0-2])$"
"""A fiscal period label: ``FY<fiscal year>-P<01-12>``."""
FiscalPeriod = Annotated[str, msgspec.Meta(pattern=FISCAL_PERIOD_PATTERN, max_length=10,
                                           description="Fiscal period FY<year>-P<01-12>", examples=["FY2026-P01"])]


class CalendarV1(enum.StrEnum):
    """Period calendar of the book (every contract of a book shares it, so periods close together)."""

    CALENDAR_MONTHS = "calendar_months"
    FISCAL_445 = "fiscal_445"
    """52/53-week fiscal years, each quarter 4, 4 and 5 weeks; the 53rd week goes to period 12."""
    FISCAL_454 = "fiscal_454"
    """52/53-week fiscal years, each quarter 4, 5 and 4 weeks (the NRF retail calendar)."""
    FISCAL_544 = "fiscal_544"
    """52/53-week fiscal years, each quarter 5, 4 and 4 weeks."""


class WeekdayV1(enum.StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class FiscalYearEndV1(enum.StrEnum):
    """Which ``week_ending_day`` ends the fiscal year (ASC 210-10 / IAS 1.37 allow a 52/53-week year)."""

    LAST = "last"
    """The last one in ``year_end_month``."""
    NEAREST = "nearest"
    """The one nearest the last day of ``year_end_month`` (up to three days into the next month)."""


class FiscalYearLabelV1(enum.StrEnum):
    """Which calendar year names a fiscal year."""

    END_YEAR = "end_year"
    """``FY2026`` ends in 2026 (up to three days into 2027 under ``nearest`` with a December year end)."""
    START_YEAR = "start_year"
    """``FY2023`` ends in 2024, as the NRF retail calendar names a year ending around 31 January; needs a
    ``year_end_month`` before December."""


class FiscalYearV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where a 52/53-week fiscal year ends; its twelve periods follow from the calendar's weeks per quarter."""

    year_end_month: Annotated[int, msgspec.Meta(ge=1, le=12)]
    """The month (1-12) the fiscal year ends in or near."""
    week_ending_day: WeekdayV1
    """The weekday every fiscal week, period and year ends on."""
    year_end_rule: FiscalYearEndV1
    year_label: FiscalYearLabelV1 = FiscalYearLabelV1.END_YEAR


class BookCalendarV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A period calendar: calendar months, or a fiscal calendar and its fiscal year."""

    calendar: CalendarV1 = CalendarV1.CALENDAR_MONTHS
    fiscal_year: FiscalYearV1 | None = None


class CalendarPeriodV1(msgspec.Struct, frozen=True, kw_only=True):
    """One period of the book's calendar; ``end_date`` is inclusive."""

    accounting_period: Period
    fiscal_period: FiscalPeriod | None = None
    start_date: date
    end_date: date
    days: int


class CalendarViewV1(msgspec.Struct, frozen=True, kw_only=True):
    """The book's calendar and, when a year was asked for, that year's periods."""

    calendar: CalendarV1
    fiscal_year: FiscalYearV1 | None = None
    year: int | None = None
    """The (fiscal) year listed in ``periods``."""
    periods: list[CalendarPeriodV1] = []


class ExchangeRatesV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Later spot or closing rates of a foreign-currency contract, in increasing date order.

    Each is dated after the contract's latest rate and after the last closed period; a rate the contract
    already has (same date, same rate) is accepted again and changes nothing.
    """

    rates: Annotated[list[ExchangeRateV1], msgspec.Meta(min_length=1, max_length=1000)]
