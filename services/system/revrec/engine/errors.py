"""Typed engine errors: every bad input names the field at fault and says why.

The revrec API maps these onto RFC 9457 problem responses (400/422); the engine itself never
guesses a number when an input is wrong.
"""

from __future__ import annotations

__all__ = [
    "CurrencyMismatchError",
    "EngineError",
    "InvalidConventionError",
    "InvalidInputError",
    "InvalidPeriodError",
    "NegativeSSPError",
    "OverlappingModificationError",
    "ResidualApproachError",
    "UnknownCurrencyError",
    "ZeroSSPTotalError",
]


class EngineError(ValueError):
    """Base class of every error the engine raises for bad input.

    Attributes:
        field: Dotted path of the offending input field (e.g. ``lines[2].ssp``).
        reason: Human-readable explanation, safe to show to an API client.
        code: Stable machine-readable code, one per subclass.
    """

    code = "invalid_input"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidInputError(EngineError):
    """A generic structural problem with the input (empty list, duplicate id, bad probability)."""


class NegativeSSPError(EngineError):
    """A standalone selling price (or one of its inputs) is negative."""

    code = "negative_ssp"


class ZeroSSPTotalError(EngineError):
    """Relative-SSP allocation was asked for over obligations whose SSPs sum to zero."""

    code = "zero_ssp_total"


class UnknownCurrencyError(EngineError):
    """A currency code is not in the engine's ISO 4217 exponent table."""

    code = "unknown_currency"


class CurrencyMismatchError(EngineError):
    """Two amounts that must share a currency do not."""

    code = "currency_mismatch"


class InvalidPeriodError(EngineError):
    """A date range is empty or reversed (end before start)."""

    code = "invalid_period"


class InvalidConventionError(EngineError):
    """A recognition convention is internally inconsistent (e.g. a zero rounding unit)."""

    code = "invalid_convention"


class OverlappingModificationError(EngineError):
    """Two contract modifications overlap in effective dates or versions."""

    code = "overlapping_modification"


class ResidualApproachError(EngineError):
    """The residual approach cannot be applied (no or negative residual, or outside the observable range)."""

    code = "residual_not_applicable"
