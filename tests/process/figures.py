"""Hand computations the process tier's tests check revflow's numbers against (never revflow's own code).

Relative-SSP allocation and ratable schedules by actual days, both rounded by largest remainder: what a
finance analyst would do in a spreadsheet from the deal's inputs.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

__all__ = ["largest_remainder", "monthly_exact_days"]


def largest_remainder(total: int, weights: list[Fraction]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``; leftover units go to the largest fractions."""
    exact = [total * w / sum(weights) for w in weights]
    floors = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


def monthly_exact_days(amount: int, start: date, end: date) -> dict[str, int]:
    """Ratable revenue per calendar month by actual days (inclusive), largest remainder to the unit."""
    months: dict[str, int] = {}
    day = start
    while day <= end:
        months[day.strftime("%Y-%m")] = months.get(day.strftime("%Y-%m"), 0) + 1
        day += timedelta(days=1)
    return dict(zip(months, largest_remainder(amount, [Fraction(d) for d in months.values()]), strict=True))
