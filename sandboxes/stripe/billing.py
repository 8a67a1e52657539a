"""Money and time arithmetic of Stripe Billing: price amounts (per unit, tiered), periods, prorations.

Pure functions over Stripe-shaped dicts; no state, no I/O.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["add_interval", "line_amount", "prorate", "unit_decimal"]


def unit_decimal(price: dict[str, Any]) -> Decimal:
    """The per-unit amount in the currency's minor unit, with sub-cent precision when given."""
    if price.get("unit_amount_decimal") is not None:
        return Decimal(price["unit_amount_decimal"])
    return Decimal(price.get("unit_amount") or 0)


def _round(value: Decimal) -> int:
    # Stripe rounds each line to the nearest minor unit.
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _tier_cap(tier: dict[str, Any]) -> float:
    return float("inf") if tier.get("up_to") is None else tier["up_to"]


def _tier_unit(tier: dict[str, Any]) -> Decimal:
    raw = tier.get("unit_amount_decimal") or tier.get("unit_amount") or 0
    return Decimal(raw)


def _tiered(price: dict[str, Any], quantity: int) -> Decimal:
    tiers = price.get("tiers") or []
    if price.get("tiers_mode") == "volume":
        for tier in tiers:
            if quantity <= _tier_cap(tier):
                return _tier_unit(tier) * quantity + Decimal(tier.get("flat_amount") or 0)
        return Decimal(0)
    total, floor = Decimal(0), 0
    for tier in tiers:
        if quantity <= floor:
            break
        cap = _tier_cap(tier)
        in_tier = int(min(quantity, cap) - floor)
        total += _tier_unit(tier) * in_tier + Decimal(tier.get("flat_amount") or 0)
        floor = int(cap) if cap != float("inf") else quantity
    return total


def line_amount(price: dict[str, Any], quantity: int) -> int:
    """Amount for ``quantity`` units of ``price`` (per-unit or tiered graduated/volume)."""
    if price.get("billing_scheme") == "tiered":
        return _round(_tiered(price, quantity))
    return _round(unit_decimal(price) * quantity)


def add_interval(anchor: int, start: int, interval: str, count: int) -> int:
    """The end of the period beginning at ``start``.

    Months and years keep the anchor's day of month, clamped to the month's length (an anchor on the 31st
    bills on Feb 28/29), as Stripe does.
    """
    begin = datetime.fromtimestamp(start, UTC)
    if interval == "day":
        return int((begin + timedelta(days=count)).timestamp())
    if interval == "week":
        return int((begin + timedelta(weeks=count)).timestamp())
    months = count * (12 if interval == "year" else 1)
    index = begin.month - 1 + months
    year, month = begin.year + index // 12, index % 12 + 1
    day = min(datetime.fromtimestamp(anchor, UTC).day, calendar.monthrange(year, month)[1])
    return int(begin.replace(year=year, month=month, day=day).timestamp())


def prorate(amount: int, period_start: int, period_end: int, at: int) -> int:
    """The share of a full-period ``amount`` for the time left after ``at``, to the second.

    Stripe: proration = amount x (seconds remaining in the period / seconds in the period), per line.
    """
    span = period_end - period_start
    if span <= 0:
        return 0
    remaining = min(max(period_end - at, 0), span)
    return _round(Decimal(amount) * remaining / span)
