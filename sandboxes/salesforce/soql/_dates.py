"""Date literals (``TODAY``, ``LAST_N_DAYS:n``…) as inclusive day ranges, in the org's time zone (UTC)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

__all__ = ["date_range"]


def _month(day: date, shift: int) -> tuple[date, date]:
    index = day.year * 12 + day.month - 1 + shift
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    return first, date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def date_range(name: str, n: int, today: date) -> tuple[date, date]:
    """First and last day (inclusive) a date literal covers.

    ``LAST_N_DAYS:n`` includes today, so ``LAST_N_DAYS:1`` is yesterday and today; ``NEXT_N_DAYS:n``
    starts tomorrow. ``LAST_90_DAYS`` is ``LAST_N_DAYS:90``.
    """
    day = timedelta(days=1)
    fixed = {"TODAY": (today, today), "YESTERDAY": (today - day, today - day), "TOMORROW": (today + day, today + day),
             "LAST_90_DAYS": (today - 90 * day, today), "NEXT_90_DAYS": (today + day, today + 90 * day),
             "LAST_N_DAYS": (today - n * day, today), "NEXT_N_DAYS": (today + day, today + n * day)}
    if name in fixed:
        return fixed[name]
    months = {"THIS_MONTH": 0, "LAST_MONTH": -1, "NEXT_MONTH": 1}
    if name in months:
        return _month(today, months[name])
    if name in ("LAST_N_MONTHS", "NEXT_N_MONTHS"):
        # Whole calendar months before (or after) the current one.
        first, last = (_month(today, -n)[0], _month(today, -1)[1]) if name == "LAST_N_MONTHS" \
            else (_month(today, 1)[0], _month(today, n)[1])
        return first, last
    years = {"THIS_YEAR": 0, "LAST_YEAR": -1, "NEXT_YEAR": 1}
    year = today.year + years[name]
    return date(year, 1, 1), date(year, 12, 31)
