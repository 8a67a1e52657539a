"""Step 3: the transaction price.

Step 3: the transaction price: fixed consideration, discounts, variable consideration (expected
value or most likely amount) with the constraint, and re-estimation by cumulative catch-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .errors import InvalidInputError

__all__ = [
    "Outcome",
    "catch_up_adjustment",
    "constrained_amount",
    "expected_value",
    "most_likely_amount",
    "transaction_price",
]

Number = int | Fraction


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """One possible amount of variable consideration and its probability (a fraction)."""

    amount: Number
    probability: Fraction


def _check(outcomes: Sequence[Outcome]) -> None:
    if not outcomes:
        raise InvalidInputError("outcomes", "at least one outcome is required")
    for i, o in enumerate(outcomes):
        if not 0 <= Fraction(o.probability) <= 1:
            raise InvalidInputError(f"outcomes[{i}].probability", "must be between 0 and 1")
    if sum((Fraction(o.probability) for o in outcomes), Fraction(0)) != 1:
        raise InvalidInputError("outcomes", "probabilities must sum to exactly 1")


def expected_value(outcomes: Sequence[Outcome]) -> Fraction:
    """Probability-weighted sum of the outcomes (ASC 606-10-32-8(a))."""
    _check(outcomes)
    return sum((Fraction(o.amount) * Fraction(o.probability) for o in outcomes), Fraction(0))


def most_likely_amount(outcomes: Sequence[Outcome]) -> Fraction:
    """The single most likely outcome (32-8(b)); ties take the smaller amount, the prudent choice."""
    _check(outcomes)
    best = max(outcomes, key=lambda o: (Fraction(o.probability), -Fraction(o.amount)))
    return Fraction(best.amount)


def constrained_amount(estimate: Number, outcomes: Sequence[Outcome], *, confidence: Fraction) -> Fraction:
    """Apply the constraint (32-11): include only what is highly probable not to reverse.

    The constrained amount is the largest outcome ``a`` with ``P(X >= a) >= confidence``, capped by the
    estimate. With ``confidence`` of e.g. 3/4 ("highly probable" as a policy), a bonus with a 70%
    chance is excluded entirely.
    """
    _check(outcomes)
    best = None
    for candidate in sorted({Fraction(o.amount) for o in outcomes}):
        tail = sum((Fraction(o.probability) for o in outcomes if Fraction(o.amount) >= candidate), Fraction(0))
        if tail >= confidence:
            best = candidate
    if best is None:
        raise InvalidInputError("confidence", "no outcome reaches the required confidence")
    return min(Fraction(estimate), best)


def transaction_price(*, fixed: Number, discounts: Sequence[Number] = (), variable: Number = 0) -> Fraction:
    """Fixed consideration less discounts plus (constrained) variable consideration.

    Raises:
        InvalidInputError: A discount is negative or the result is negative.
    """
    if any(Fraction(d) < 0 for d in discounts):
        raise InvalidInputError("discounts", "discounts are given as positive amounts")
    price = Fraction(fixed) - sum((Fraction(d) for d in discounts), Fraction(0)) + Fraction(variable)
    if price < 0:
        raise InvalidInputError("transaction_price", "the transaction price must not be negative")
    return price


def catch_up_adjustment(*, allocated: Number, progress: Fraction, recognised_to_date: Number) -> Fraction:
    """Cumulative catch-up after a re-estimate: what should be recognised to date, less what was."""
    if not 0 <= Fraction(progress) <= 1:
        raise InvalidInputError("progress", "must be between 0 and 1")
    return Fraction(allocated) * Fraction(progress) - Fraction(recognised_to_date)
