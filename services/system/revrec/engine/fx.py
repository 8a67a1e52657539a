"""Exchange rates: a dated rate table between a transaction currency and a functional currency.

Rates are exact ``Fraction`` values of *functional major units per one transaction major unit*
(``Fraction(17, 10)`` for FC1 = LC1.70), effective from their date until the next one. A conversion
works in minor units and accounts for different exponents (EUR cents to JPY yen), and is rounded
exactly once, under an explicit rounding mode.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from .errors import InvalidInputError
from .money import exponent
from .rounding import RoundingMode, round_fraction

__all__ = ["Rate", "RateTable"]


@dataclass(frozen=True, slots=True)
class Rate:
    """One spot rate.

    Attributes:
        on: First day the rate applies.
        rate: Functional major units per transaction major unit (exact, positive).
    """

    on: date
    rate: Fraction


@dataclass(frozen=True, kw_only=True, slots=True)
class RateTable:
    """Spot rates of one currency pair, by date.

    Attributes:
        transaction: ISO 4217 code of the contract (transaction) currency.
        functional: ISO 4217 code of the entity's functional currency.
        rates: Rates in strictly increasing date order.
        mode: Rounding of every converted amount to functional minor units.
    """

    transaction: str
    functional: str
    rates: tuple[Rate, ...]
    mode: RoundingMode = RoundingMode.HALF_UP

    def __post_init__(self) -> None:
        exponent(self.transaction)
        exponent(self.functional)
        _check_rates(self.rates)

    def rate_on(self, day: date) -> Fraction:
        """The spot rate in force on ``day`` (the latest rate dated on or before it).

        Raises:
            InvalidInputError: No rate is dated on or before ``day``.
        """
        i = bisect_right([r.on for r in self.rates], day)
        if i == 0:
            raise InvalidInputError("rates", f"no {self.transaction}/{self.functional} rate on or before {day}")
        return Fraction(self.rates[i - 1].rate)

    def exact(self, amount: int, day: date) -> Fraction:
        """``amount`` transaction minor units in functional minor units at the rate of ``day``, unrounded."""
        scale = Fraction(10 ** exponent(self.functional), 10 ** exponent(self.transaction))
        return amount * self.rate_on(day) * scale

    def convert(self, amount: int, day: date) -> int:
        """``amount`` transaction minor units in functional minor units at the rate of ``day``, rounded."""
        return round_fraction(self.exact(amount, day), 1, self.mode)


def _check_rates(rates: Sequence[Rate]) -> None:
    if not rates:
        raise InvalidInputError("rates", "at least one rate is required")
    for i, r in enumerate(rates):
        if Fraction(r.rate) <= 0:
            raise InvalidInputError(f"rates[{i}].rate", "an exchange rate must be positive")
        if i and r.on <= rates[i - 1].on:
            raise InvalidInputError(f"rates[{i}].on", "rates must be in strictly increasing date order")
