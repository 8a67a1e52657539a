"""Milestone obligations: revenue recognised when each milestone is reached (an output method).

The obligation's allocation is split over its milestones by relative weight (their standalone
values, or any measure of output). A milestone recognises its share on the date it is reached.
A re-estimate of the allocation (variable consideration, ASC 606-10-32-14 and 32-43) is taken by
cumulative catch-up: on its date, the recognised total is brought to ``new allocation x share
of milestones reached``, on a line of its own. Rounding is cumulative, so no unit is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from .calendars import PeriodCalendar
from .errors import InvalidInputError
from .money import require_currency
from .rounding import RoundingMode, round_fraction
from .schedules import Schedule

__all__ = ["Milestone", "Reestimate", "milestone_schedule"]

Number = int | Fraction


@dataclass(frozen=True, kw_only=True, slots=True)
class Milestone:
    """One milestone: its relative weight and the date it was reached (``None``: not yet)."""

    id: str
    weight: Number
    reached: date | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Reestimate:
    """A new allocated amount for the whole obligation from ``on``."""

    on: date
    allocated: int


def _validate(milestones: Sequence[Milestone]) -> Fraction:
    if not milestones:
        raise InvalidInputError("milestones", "at least one milestone is required")
    ids = [m.id for m in milestones]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("milestones", "milestone ids must be unique")
    for i, m in enumerate(milestones):
        if Fraction(m.weight) < 0:
            raise InvalidInputError(f"milestones[{i}].weight", "must not be negative")
    total = sum((Fraction(m.weight) for m in milestones), Fraction(0))
    if total == 0:
        raise InvalidInputError("milestones", "milestone weights sum to zero")
    return total


def milestone_schedule(
    *,
    obligation_id: str,
    allocated: int,
    currency: str,
    milestones: Sequence[Milestone],
    calendar: PeriodCalendar,
    reestimates: Sequence[Reestimate] = (),
    unit: int = 1,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> Schedule:
    """Recognition at milestone dates, with re-estimates as catch-up lines.

    Events are taken by date; on the same date a re-estimate comes before a milestone. Milestones not
    yet reached recognise nothing, so ``total`` is what has been recognised so far.

    Raises:
        InvalidInputError: No milestones, duplicate ids, negative or all-zero weights, a negative allocation.
    """
    require_currency(currency)
    weight_total = _validate(milestones)
    events = [(r.on, 0, r.allocated, "catch_up") for r in reestimates]
    events += [(m.reached, 1, Fraction(m.weight), "recognition") for m in milestones if m.reached is not None]
    periods, amounts, kinds, done, written = [], [], [], Fraction(0), 0
    for on, _, value, kind in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == "catch_up":
            if value < 0:
                raise InvalidInputError("reestimates.allocated", "must not be negative")
            allocated = value
        else:
            done += value
        # Capped at the allocation, so a coarse unit never overshoots and forces a negative last line;
        # everything reached is exactly the allocation, even when it is not a multiple of the unit.
        target = min(allocated, round_fraction(allocated * done / weight_total, unit, mode))
        if done == weight_total:
            target = allocated
        if target != written or kind == "recognition":
            periods.append(calendar.period_of(on))
            amounts.append(target - written)
            kinds.append(kind)
            written = target
    return Schedule(
        obligation_id=obligation_id,
        currency=currency,
        total=written,
        periods=tuple(periods),
        amounts=tuple(amounts),
        kinds=tuple(kinds),
    )
