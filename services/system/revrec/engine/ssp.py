"""The standalone-selling-price library.

The standalone-selling-price library: point, range (with an outside-range policy), percent of list,
expected cost plus margin, and material rights (customer options such as loyalty points).

All values are exact (``Fraction``) in minor units; nothing is rounded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from .errors import InvalidInputError, NegativeSSPError

__all__ = [
    "OutsideRangePolicy",
    "PercentOfList",
    "PointSSP",
    "RangeSSP",
    "SSPSpec",
    "cost_plus_margin",
    "material_right_ssp",
    "resolve_ssp",
]

Number = int | Fraction


def _non_negative(value: Number, field: str) -> Fraction:
    value = Fraction(value)
    if value < 0:
        raise NegativeSSPError(field, f"must not be negative (got {value})")
    return value


class OutsideRangePolicy(StrEnum):
    """What SSP to use when the contract price falls outside an SSP range."""

    NEAREST_BOUND = "nearest_bound"
    """Clamp the stated price to the nearer end of the range."""
    MIDPOINT = "midpoint"
    """Use the midpoint of the range."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PointSSP:
    """A single observable or estimated SSP in minor units."""

    amount: Number


@dataclass(frozen=True, kw_only=True, slots=True)
class RangeSSP:
    """An SSP range: a stated price inside it is the SSP; outside it, ``policy`` decides."""

    low: Number
    high: Number
    policy: OutsideRangePolicy = OutsideRangePolicy.NEAREST_BOUND


@dataclass(frozen=True, kw_only=True, slots=True)
class PercentOfList:
    """SSP as a percentage of a list price (``percent`` is a fraction: 0.85 for 85%)."""

    list_price: Number
    percent: Fraction


SSPSpec = PointSSP | RangeSSP | PercentOfList


def resolve_ssp(spec: SSPSpec, *, stated_price: Number | None = None, field: str = "ssp") -> Fraction:
    """The exact SSP for ``spec``.

    Args:
        spec: The SSP specification.
        stated_price: The obligation's price in this contract (needed by ranges).
        field: Field name used in errors.

    Raises:
        NegativeSSPError: An input or the result is negative.
        InvalidInputError: A range is reversed or has no stated price to test.
    """
    if isinstance(spec, PointSSP):
        return _non_negative(spec.amount, f"{field}.amount")
    if isinstance(spec, PercentOfList):
        percent = _non_negative(spec.percent, f"{field}.percent")
        return _non_negative(spec.list_price, f"{field}.list_price") * percent
    low = _non_negative(spec.low, f"{field}.low")
    high = _non_negative(spec.high, f"{field}.high")
    if high < low:
        raise InvalidInputError(f"{field}.high", "range high is below range low")
    if stated_price is None:
        raise InvalidInputError(f"{field}", "a range SSP needs the stated contract price")
    price = Fraction(stated_price)
    if low <= price <= high:
        return price
    if spec.policy is OutsideRangePolicy.MIDPOINT:
        return (low + high) / 2
    return low if price < low else high


def cost_plus_margin(cost: Number, margin: Fraction) -> Fraction:
    """Expected cost plus a margin on cost (``margin`` = 0.4 for 40%)."""
    return _non_negative(cost, "cost") * (1 + _non_negative(margin, "margin"))


def material_right_ssp(
    *, discount: Number, discount_without_option: Number = 0, likelihood: Fraction, quantity: Number = 1
) -> Fraction:
    """SSP of a customer option (ASC 606-10-55-44 / IFRS 15.B42).

    The incremental discount the option gives, over what any customer gets anyway, times the
    likelihood that the option is exercised, times the quantity (points, units).

    Raises:
        NegativeSSPError: The option's discount is smaller than the discount available without it.
        InvalidInputError: ``likelihood`` is outside [0, 1].
    """
    likelihood = Fraction(likelihood)
    if not 0 <= likelihood <= 1:
        raise InvalidInputError("likelihood", "must be between 0 and 1")
    incremental = Fraction(discount) - Fraction(discount_without_option)
    return _non_negative(incremental * likelihood * Fraction(quantity), "discount")
