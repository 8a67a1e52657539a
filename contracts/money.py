"""Money: an integer count of minor units plus an ISO 4217 currency code. Never a float.

``Money(amount_minor=1234, currency="USD")`` is USD 12.34 and serialises as
``{"amount_minor": 1234, "currency": "USD"}``. The exponent of each currency (JPY 0, USD 2, KWD 3, CLF 4)
comes from one table (``CURRENCY_EXPONENTS``). Arithmetic refuses to mix currencies, decimal strings are
parsed exactly, and ``allocate`` splits an amount by ratios without losing or inventing a minor unit.
Contract version: 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Annotated, Any, Literal

import msgspec

from contracts._currencies import ISO_4217_EXPONENTS

__all__ = [
    "CURRENCY_EXPONENTS",
    "CURRENCY_PATTERN",
    "CurrencyCode",
    "CurrencyMismatchError",
    "Money",
    "UnknownCurrencyError",
    "exponent",
]

CURRENCY_PATTERN = f"^(?:{'|'.join(ISO_4217_EXPONENTS)})$"
"""Exactly the codes of ``CURRENCY_EXPONENTS``, for a string schema that cannot use ``CurrencyCode``."""
# A Literal of the table's codes: decoding refuses any other code, and the documents list them (an enum).
CurrencyCode = Annotated[
    Literal[tuple(ISO_4217_EXPONENTS)],
    msgspec.Meta(description="ISO 4217 alphabetic code with a minor unit", examples=["USD"]),
]
CURRENCY_EXPONENTS: MappingProxyType[str, int] = MappingProxyType(ISO_4217_EXPONENTS)
"""ISO 4217 code -> number of minor-unit digits, read-only."""

# Sign, whole part, optional fraction; ASCII digits only (``\d`` would accept Arabic-Indic digits, and
# ``int()`` would accept ``1_000`` and surrounding blanks), so nothing ambiguous reaches the books.
_DECIMAL = re.compile(r"([+-]?)([0-9]+)(?:\.([0-9]+))?")


class UnknownCurrencyError(ValueError):
    """The code is not an ISO 4217 currency with a minor unit."""


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined or compared."""


def exponent(code: str) -> int:
    """Return the number of minor-unit digits of an ISO 4217 currency.

    Args:
        code: The alphabetic code, upper case (``"USD"``).

    Returns:
        The exponent: 0 for JPY, 2 for USD, 3 for KWD, 4 for CLF.

    Raises:
        UnknownCurrencyError: When the code is not in the table.
    """
    try:
        return ISO_4217_EXPONENTS[code]
    except (KeyError, TypeError):
        raise UnknownCurrencyError(f"currency: unknown ISO 4217 currency code {code!r}") from None


def _weight(value: Any, index: int) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise TypeError(f"weights[{index}]: must be an int or Fraction, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"weights[{index}]: must not be negative, got {value}")
    return Fraction(value)


class Money(msgspec.Struct, frozen=True, kw_only=True):
    """An exact amount of one currency, counted in its minor unit (cents for USD, yen for JPY)."""

    amount_minor: int
    """The amount in minor units; negative for credits and reversals."""
    currency: CurrencyCode
    """ISO 4217 code; its exponent comes from ``CURRENCY_EXPONENTS``."""

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise TypeError(f"amount_minor: must be an int, got {type(self.amount_minor).__name__}")
        exponent(self.currency)

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero of ``currency``."""
        return cls(amount_minor=0, currency=currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a plain decimal string (``"12.34"``, ``"-0.05"``, ``"1000"``) exactly.

        Args:
            text: Digits with an optional sign and an optional fraction. No exponent, no blanks, no
                grouping separators, no NaN or infinity.
            currency: The ISO 4217 code the amount is in.

        Returns:
            The amount in minor units of ``currency``.

        Raises:
            TypeError: When ``text`` is not a ``str`` (floats are refused: they are not exact).
            ValueError: When ``text`` is not a plain decimal or has more decimal places than the currency.
        """
        if not isinstance(text, str):
            raise TypeError(f"amount: pass a decimal string, not {type(text).__name__}")
        digits = exponent(currency)
        match = _DECIMAL.fullmatch(text)
        if match is None:
            raise ValueError(f"amount: {text!r} is not a plain decimal number like '12.34'")
        sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
        if len(fraction) > digits:
            raise ValueError(
                f"amount: {text!r} has {len(fraction)} decimal places; {currency} allows at most {digits}"
            )
        minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
        return cls(amount_minor=-minor if sign == "-" else minor, currency=currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """Sum ``amounts``, all in ``currency``; an empty iterable sums to zero."""
        result = cls.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    # -- presentation -------------------------------------------------------------------------------------

    def format(self) -> str:
        """Return the plain decimal form with exactly the currency's decimals (``"12.34"``, ``"1000"``)."""
        digits = exponent(self.currency)
        sign = "-" if self.amount_minor < 0 else ""
        whole, fraction = divmod(abs(self.amount_minor), 10**digits)
        return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"

    # -- predicates ---------------------------------------------------------------------------------------

    @property
    def is_zero(self) -> bool:
        return self.amount_minor == 0

    @property
    def is_negative(self) -> bool:
        return self.amount_minor < 0

    @property
    def is_positive(self) -> bool:
        return self.amount_minor > 0

    # -- arithmetic ---------------------------------------------------------------------------------------

    def _same(self, other: Money, op: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(f"cannot {op} {self.currency} and {other.currency}")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(amount_minor=self.amount_minor + other.amount_minor, currency=self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(amount_minor=self.amount_minor - other.amount_minor, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount_minor=-self.amount_minor, currency=self.currency)

    def __abs__(self) -> Money:
        return Money(amount_minor=abs(self.amount_minor), currency=self.currency)

    def __mul__(self, factor: object) -> Money:
        # Only whole multiples are exact; a price times a fractional rate belongs in ``allocate`` or in the
        # rev-rec engine, where the rounding rule is an explicit parameter.
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError(f"Money can only be multiplied by an int, not {type(factor).__name__}")
        return Money(amount_minor=self.amount_minor * factor, currency=self.currency)

    __rmul__ = __mul__

    def _key(self, other: object, op: str) -> tuple[int, int] | None:
        if not isinstance(other, Money):
            return None
        self._same(other, op)
        return self.amount_minor, other.amount_minor

    def __lt__(self, other: object) -> bool:
        pair = self._key(other, "compare")
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._key(other, "compare")
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._key(other, "compare")
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._key(other, "compare")
        return NotImplemented if pair is None else pair[0] >= pair[1]

    # -- allocation ---------------------------------------------------------------------------------------

    def allocate(self, weights: Sequence[int | Fraction]) -> list[Money]:
        """Split this amount by ratios, exactly, with the largest-remainder method.

        Each part first gets the floor of its exact share; the minor units left over go one each to the
        parts with the largest fractional remainders (ties to the earlier part). The parts always sum to
        this amount, a zero weight always gets zero, and a negative amount is split as the mirror image of
        the positive one.

        Args:
            weights: Non-negative ints or Fractions, not all zero. Floats are refused.

        Returns:
            One amount per weight, in order.

        Raises:
            TypeError: When a weight is not an int or Fraction.
            ValueError: When there are no weights, a weight is negative, or all are zero.
        """
        ratios = [_weight(w, i) for i, w in enumerate(weights)]
        if not ratios:
            raise ValueError("weights: must not be empty")
        denominator = sum(ratios, Fraction(0))
        if denominator == 0:
            raise ValueError("weights: must not all be zero")
        units = abs(self.amount_minor)
        exact = [units * ratio / denominator for ratio in ratios]
        parts = [math.floor(share) for share in exact]
        leftover = units - sum(parts)
        by_remainder = sorted(range(len(exact)), key=lambda i: (parts[i] - exact[i], i))
        for i in by_remainder[:leftover]:
            parts[i] += 1
        sign = -1 if self.amount_minor < 0 else 1
        return [Money(amount_minor=sign * part, currency=self.currency) for part in parts]
