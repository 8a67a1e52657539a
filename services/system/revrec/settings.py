"""Settings of the revrec system API (prefix ``REVFLOW_REVREC_``).

The book's period calendar is deployment configuration, read once at start-up, because every contract of a
book shares it and periods close together:

* ``REVFLOW_REVREC_CALENDAR``: ``calendar_months`` (the default), ``fiscal_445``, ``fiscal_454`` or ``fiscal_544``;
* for a fiscal calendar, where its 52/53-week year ends: ``REVFLOW_REVREC_FISCAL_YEAR_END_MONTH`` (1-12),
  ``REVFLOW_REVREC_FISCAL_WEEK_ENDING_DAY`` (``monday`` ... ``sunday``), ``REVFLOW_REVREC_FISCAL_YEAR_END_RULE``
  (``last`` or ``nearest``) and optionally ``REVFLOW_REVREC_FISCAL_YEAR_LABEL`` (``end_year``, the default, or
  ``start_year``).

No fiscal parameter has a silent default: a fiscal calendar without them refuses to start.

Journal entries post to the company's own GL accounts: ``REVFLOW_REVREC_GL_ACCOUNTS`` maps a role the book posts
to (``cash``, ``accounts_receivable``, ``contract_asset``, ``deferred_revenue``, ``revenue``, ``fx_gain_loss``) to
the account number in the ERP, e.g. ``{"accounts_receivable": "1100"}``; roles left out keep the default chart's
number. A period already closed keeps the numbers it was posted with.
"""

from __future__ import annotations

import msgspec

from services.runtime.settings import RuntimeSettings, from_env
from services.system.revrec.schemas import (
    BookCalendarV1,
    CalendarV1,
    FiscalYearEndV1,
    FiscalYearLabelV1,
    FiscalYearV1,
    WeekdayV1,
)

__all__ = ["RevrecSettings", "book_calendar", "load_settings"]


class RevrecSettings(RuntimeSettings, frozen=True, kw_only=True):
    """The runtime's settings plus the rev-rec platform this deployment uses and its book's calendar."""

    service_name: str = "revrec"
    connector: str = "builtin"
    """Which connector serves the API (a key of ``connectors.CONNECTORS``)."""
    calendar: CalendarV1 = CalendarV1.CALENDAR_MONTHS
    """The book's period calendar; every contract registered must state it."""
    fiscal_year_end_month: int | None = None
    """Fiscal calendars: the month (1-12) the fiscal year ends in or near."""
    fiscal_week_ending_day: WeekdayV1 | None = None
    """Fiscal calendars: the weekday every fiscal week ends on."""
    fiscal_year_end_rule: FiscalYearEndV1 | None = None
    """Fiscal calendars: the ``last`` such weekday of the month, or the one ``nearest`` its last day."""
    fiscal_year_label: FiscalYearLabelV1 = FiscalYearLabelV1.END_YEAR
    """Fiscal calendars: name a fiscal year by the calendar year it ends in, or (retail) starts in."""
    gl_accounts: dict[str, str] = msgspec.field(default_factory=dict)
    """Role -> the ERP's GL account number for it; roles not given keep the default chart's number."""


def book_calendar(settings: RevrecSettings) -> BookCalendarV1:
    """The book's calendar the settings state.

    Raises:
        ValueError: A fiscal calendar without its fiscal-year settings, or fiscal settings on calendar months.
    """
    fiscal = (settings.fiscal_year_end_month, settings.fiscal_week_ending_day, settings.fiscal_year_end_rule)
    if settings.calendar is CalendarV1.CALENDAR_MONTHS:
        if any(x is not None for x in fiscal):
            raise ValueError("REVFLOW_REVREC_FISCAL_*: fiscal-year settings need a fiscal REVFLOW_REVREC_CALENDAR")
        return BookCalendarV1()
    month, weekday, rule = fiscal
    if month is None or weekday is None or rule is None:
        raise ValueError(f"REVFLOW_REVREC_CALENDAR={settings.calendar.value} needs "
                         "REVFLOW_REVREC_FISCAL_YEAR_END_MONTH, REVFLOW_REVREC_FISCAL_WEEK_ENDING_DAY and "
                         "REVFLOW_REVREC_FISCAL_YEAR_END_RULE")
    if not 1 <= month <= 12:
        raise ValueError("REVFLOW_REVREC_FISCAL_YEAR_END_MONTH: must be 1-12")
    if settings.fiscal_year_label is FiscalYearLabelV1.START_YEAR and month == 12:
        raise ValueError("REVFLOW_REVREC_FISCAL_YEAR_LABEL: start_year needs a year end before December")
    return BookCalendarV1(calendar=settings.calendar, fiscal_year=FiscalYearV1(
        year_end_month=month, week_ending_day=weekday, year_end_rule=rule, year_label=settings.fiscal_year_label))


def load_settings() -> RevrecSettings:
    """Read the settings from the environment (at start-up only)."""
    return from_env(RevrecSettings, "REVFLOW_REVREC_")
