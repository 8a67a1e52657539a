"""Money as integer minor units plus an ISO 4217 code, with exponents from the contracts' one table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts.money import CURRENCY_EXPONENTS

from .errors import CurrencyMismatchError, UnknownCurrencyError

__all__ = ["EXPONENTS", "Money", "exponent", "major_unit", "require_currency"]

# The one ISO 4217 exponent table of revflow (DESIGN: "the currency's exponent comes from one table").
# An unknown code is an error, never a silent "assume 2".
EXPONENTS: Mapping[str, int] = CURRENCY_EXPONENTS


def require_currency(code: str, field: str = "currency") -> str:
    """Return ``code`` if the engine knows it, else raise.

    Args:
        code: ISO 4217 alphabetic code, upper case.
        field: Field name to report on failure.

    Raises:
        UnknownCurrencyError: The code is not in :data:`EXPONENTS`.
    """
    if code not in EXPONENTS:
        raise UnknownCurrencyError(field, f"unknown ISO 4217 currency code {code!r}")
    return code


def exponent(code: str) -> int:
    """Number of minor-unit digits of ``code`` (2 for USD, 0 for JPY, 3 for KWD)."""
    return EXPONENTS[require_currency(code)]


def major_unit(code: str) -> int:
    """Minor units in one major unit: the rounding unit for "whole unit" rounding."""
    return 10 ** exponent(code)


@dataclass(frozen=True, kw_only=True, slots=True)
class Money:
    """An amount in integer minor units of one currency.

    Attributes:
        amount: Minor units (cents for USD); may be negative for credits.
        currency: ISO 4217 code, validated on construction.
    """

    amount: int
    currency: str

    def __post_init__(self) -> None:
        require_currency(self.currency)
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")

    def __add__(self, other: Money) -> Money:
        if self.currency != other.currency:
            raise CurrencyMismatchError("currency", f"cannot add {self.currency} and {other.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        return self + Money(amount=-other.amount, currency=other.currency)
