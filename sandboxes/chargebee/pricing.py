"""Money and time arithmetic: pricing models, billing periods and second-exact proration.

Amounts are integers in minor units. Proration follows Chargebee's documented method ("Pro-ration logic in
subscriptions"): the unused part of the current term is credited at ``old price x remaining / term`` and the
new price is charged at ``new price x remaining / term``, measured here to the second; each figure is rounded
half up to the minor unit once, from the exact fraction.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

__all__ = ["add_period", "next_term_end", "price_amount", "prorate", "tier_lines"]

UNITS = ("day", "week", "month", "year")


def add_period(start: int, unit: str, count: int) -> int:
    """``start`` plus ``count`` periods; months clamp to the last day (Jan 31 + 1 month = Feb 28/29)."""
    moment = datetime.fromtimestamp(start, UTC)
    if unit in ("day", "week"):
        return int((moment + timedelta(days=count * (7 if unit == "week" else 1))).timestamp())
    months = count * (12 if unit == "year" else 1)
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return int(moment.replace(year=year, month=month + 1, day=day).timestamp())


def next_term_end(anchor: int, unit: str, period: int, after: int) -> int:
    """The first term boundary strictly after ``after`` for terms anchored at ``anchor``.

    Boundaries are computed from the anchor each time (not chained), so a subscription started on the 31st
    bills on the 31st whenever the month has one.
    """
    k = 1
    while (end := add_period(anchor, unit, period * k)) <= after:
        k += 1
    return end


def _half_up(value: Fraction) -> int:
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


def prorate(amount: int, remaining: int, term: int) -> int:
    """``amount x remaining / term`` in minor units, rounded half up once."""
    if term <= 0:
        return 0
    return _half_up(Fraction(amount) * remaining / term)


def _tiers(price: dict[str, Any]) -> list[dict[str, Any]]:
    return list(price.get("tiers") or [])


def tier_lines(price: dict[str, Any], quantity: int) -> list[dict[str, Any]]:
    """How each tier contributes for ``quantity`` units (``line_item_tiers`` without the line id).

    ``tiered`` charges every unit at its own tier's price; ``volume`` charges all units at the price of the
    tier the quantity falls in; ``stairstep`` charges that tier's price once, as a flat amount.
    """
    model = price["pricing_model"]
    out: list[dict[str, Any]] = []
    for tier in _tiers(price):
        start, end = tier["starting_unit"], tier.get("ending_unit")
        if model == "tiered":
            used = max(0, min(quantity, end if end is not None else quantity) - start + 1)
            if used:
                out.append({"starting_unit": start, "ending_unit": end, "quantity_used": used,
                            "unit_amount": tier["price"], "object": "line_item_tier"})
        elif start <= quantity and (end is None or quantity <= end):
            out.append({"starting_unit": start, "ending_unit": end, "quantity_used": quantity,
                        "unit_amount": tier["price"], "object": "line_item_tier"})
    return out


def price_amount(price: dict[str, Any], quantity: int) -> int:
    """The full-period amount of ``quantity`` units of an item price, in minor units."""
    model = price["pricing_model"]
    if model == "flat_fee":
        return int(price.get("price") or 0)
    if model == "per_unit":
        return int(price.get("price") or 0) * quantity
    lines = tier_lines(price, quantity)
    if model == "stairstep":
        return sum(line["unit_amount"] for line in lines)
    return sum(line["unit_amount"] * line["quantity_used"] for line in lines)
