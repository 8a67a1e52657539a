"""Exact-to-integer rounding: rounding modes, remainder policies and the one distribution routine.

Every amount the engine writes is produced by :func:`distribute`: a list of exact shares (integer
numerators over one common denominator, so the hot path never touches ``Fraction``) becomes integer
minor units that sum *exactly* to the target total. Where the rounding difference lands is an explicit
policy, because that is precisely where vendors disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from fractions import Fraction
from math import lcm

from .errors import InvalidConventionError

__all__ = [
    "RemainderPolicy",
    "RoundingMode",
    "common_denominator",
    "distribute",
    "place_difference",
    "round_div",
    "round_fraction",
]


class RoundingMode(StrEnum):
    """How one exact share becomes a multiple of the rounding unit."""

    HALF_UP = "half_up"
    """Nearest; ties away from zero (what most ledgers and NetSuite do)."""
    HALF_EVEN = "half_even"
    """Nearest; ties to the even multiple (banker's rounding)."""
    DOWN = "down"
    """Truncate toward zero (what Stripe's month-even schedules show)."""


class RemainderPolicy(StrEnum):
    """Where the difference between the rounded lines and the exact total goes."""

    LARGEST_REMAINDER = "largest_remainder"
    """Hamilton's method: floor every share, hand the units left to the largest fractional parts."""
    LAST = "last"
    """Round every line, put the difference on the last line."""
    NEXT_TO_LAST = "next_to_last"
    """Round every line, put the difference on the next-to-last line (NetSuite straight-line)."""
    FIRST = "first"
    """Round every line, put the difference on the first line."""
    TRAILING_PER_DAY = "trailing_per_day"
    """Round every line, then hand the difference out one rounding unit per service day, starting from
    the last day of the term and walking backwards; each unit lands in the period holding that day.

    No vendor publishes a definition of this policy that we could find, so this is revflow's own
    precise one: a remainder of ``k`` units touches the last ``k`` service days (a period with ``d``
    days takes at most ``d`` units per pass; if days run out, the walk starts again from the end).
    A negative difference takes units back the same way, never pushing a line below zero. Any part of
    the difference smaller than one unit goes to the last line. Without day counts (e.g. an
    allocation) every line counts as one day.
    """


def round_div(num: int, den: int, mode: RoundingMode) -> int:
    """Round ``num / den`` (``den > 0``) to an integer under ``mode``."""
    q, r = divmod(num, den)
    if r == 0:
        return q
    if mode is RoundingMode.DOWN:
        return q if num >= 0 else q + 1
    twice = 2 * r
    if twice != den:
        return q + 1 if twice > den else q
    if mode is RoundingMode.HALF_UP:
        return q + 1 if num > 0 else q
    return q if q % 2 == 0 else q + 1


def round_fraction(value: Fraction, unit: int = 1, mode: RoundingMode = RoundingMode.HALF_UP) -> int:
    """Round an exact value to a multiple of ``unit`` (in the same minor units)."""
    return round_div(value.numerator, value.denominator * unit, mode) * unit


def common_denominator(values: Sequence[Fraction]) -> tuple[list[int], int]:
    """Express fractions as integer numerators over one common denominator."""
    den = lcm(*(v.denominator for v in values)) if values else 1
    return [v.numerator * (den // v.denominator) for v in values], den


def _order(n: int, policy: RemainderPolicy) -> list[int]:
    if policy is RemainderPolicy.FIRST:
        return list(range(n))
    if policy is RemainderPolicy.NEXT_TO_LAST and n >= 2:
        return [n - 2, n - 1, *range(n - 3, -1, -1)]
    return list(range(n - 1, -1, -1))


def _largest_remainder(nums: Sequence[int], den: int, total: int, unit: int) -> list[int]:
    step = den * unit
    base: list[int] = []
    rems: list[int] = []
    for num in nums:
        q, r = divmod(num, step)
        base.append(q * unit)
        rems.append(r)
    diff = total - sum(base)
    if diff:
        # sorted(reverse=True) is stable, so ties go to the earlier line.
        for i in sorted(range(len(rems)), key=rems.__getitem__, reverse=True):
            give = unit if diff >= unit else diff
            base[i] += give
            diff -= give
            if not diff:
                break
    return base


def place_difference(
    lines: list[int], diff: int, policy: RemainderPolicy, *, days: Sequence[int] | None = None, unit: int = 1
) -> list[int]:
    """Add ``diff`` to ``lines`` (in place) where ``policy`` says, never pushing a line below zero.

    ``days`` (service days per line) and ``unit`` are used by ``TRAILING_PER_DAY`` only.
    """
    if policy is RemainderPolicy.TRAILING_PER_DAY:
        return _trailing(lines, diff, days or [1] * len(lines), unit)
    return _place_difference(lines, diff, _order(len(lines), policy))


def _trailing(lines: list[int], diff: int, days: Sequence[int], unit: int) -> list[int]:
    sign = 1 if diff > 0 else -1
    units, odd = divmod(abs(diff), unit)
    while units:
        moved = 0
        for i in range(len(lines) - 1, -1, -1):
            cap = days[i] if sign > 0 else min(days[i], lines[i] // unit)
            take = min(cap, units)
            lines[i] += sign * take * unit
            units -= take
            moved += take
            if not units:
                break
        if not moved:
            break
    return _place_difference(lines, sign * (units * unit + odd), _order(len(lines), RemainderPolicy.LAST))


def _place_difference(lines: list[int], diff: int, order: Sequence[int]) -> list[int]:
    # Never let the rounding difference push a line below zero: a tiny last period must not turn
    # negative just because earlier lines rounded up; the excess spills to the next line in order.
    for i in order:
        if not diff:
            break
        new = lines[i] + diff
        if new < 0:
            diff, lines[i] = new, 0
        else:
            lines[i], diff = new, 0
    if diff:
        lines[order[0]] += diff
    return lines


def distribute(
    nums: Sequence[int],
    den: int,
    total: int,
    *,
    unit: int = 1,
    mode: RoundingMode = RoundingMode.HALF_UP,
    policy: RemainderPolicy = RemainderPolicy.LARGEST_REMAINDER,
    days: Sequence[int] | None = None,
) -> list[int]:
    """Turn exact shares ``nums[i] / den`` into integers that sum exactly to ``total``.

    Args:
        nums: Numerators of the exact shares; ``sum(nums) == total * den`` is required.
        den: The common positive denominator.
        total: The integer (minor-unit) total the lines must add up to.
        unit: Rounding unit in minor units (1 = cent for USD, 100 = whole dollar).
        mode: Rounding of each line (ignored by ``LARGEST_REMAINDER``, which floors).
        policy: Where the rounding difference goes.
        days: Service days per line, for ``TRAILING_PER_DAY`` (default: one per line).

    Returns:
        One integer per share; lines are multiples of ``unit`` except where ``total`` itself is not.

    Raises:
        InvalidConventionError: ``unit`` or ``den`` is not positive, or the shares do not sum to total.
    """
    if unit <= 0 or den <= 0:
        raise InvalidConventionError("unit", "rounding unit and denominator must be positive")
    if sum(nums) != total * den:
        raise InvalidConventionError("nums", "exact shares do not sum to the total")
    if not nums:
        return []
    if total < 0 and all(n <= 0 for n in nums):
        flipped = distribute([-n for n in nums], den, -total, unit=unit, mode=mode, policy=policy, days=days)
        return [-x for x in flipped]
    if policy is RemainderPolicy.LARGEST_REMAINDER:
        return _largest_remainder(nums, den, total, unit)
    step = den * unit
    lines = [round_div(num, step, mode) * unit for num in nums]
    return place_difference(lines, total - sum(lines), policy, days=days, unit=unit)
