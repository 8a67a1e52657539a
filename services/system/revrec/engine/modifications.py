"""Contract modifications (ASC 606-10-25-10 to 25-13) and closed-period adjustments.

Contract modifications (ASC 606-10-25-10 to 25-13): separate contract, prospective, cumulative
catch-up, with versions and effective dates; and posting a change dated in a closed period as an
adjustment in the first open period, never restating the closed one.

A change in the price of a point-in-time obligation (a concession on a setup fee) has no progress to
restate: once control has transferred, the change is revenue of the period it takes effect in
(606-10-32-43 and 32-44), on a ``catch_up`` line; before that, it changes what will be recognised
when control transfers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .calendars import Period, PeriodCalendar
from .daycount import day_weight, service_interval
from .errors import InvalidInputError, InvalidPeriodError, OverlappingModificationError
from .rounding import RoundingMode, round_div
from .schedules import Convention, Schedule, ratable_amounts

__all__ = [
    "Modification",
    "ModificationKind",
    "ModificationResult",
    "modify_point_in_time",
    "modify_ratable",
    "post_to_open_periods",
    "recognised_before",
    "validate_modifications",
]


class ModificationKind(StrEnum):
    """How a modification is accounted for."""

    SEPARATE_CONTRACT = "separate_contract"
    """Distinct goods at their SSP (25-12): a new contract; the original is untouched."""
    PROSPECTIVE = "prospective"
    """Remaining goods distinct (25-13(a)): unrecognised plus new consideration over the rest."""
    CUMULATIVE_CATCH_UP = "cumulative_catch_up"
    """Not distinct (25-13(b)): restate progress on the whole; the difference is a catch-up line."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Modification:
    """One approved change to a contract.

    Attributes:
        version: Contract version this modification creates (strictly increasing).
        effective: First day the change applies.
        kind: Accounting treatment.
        obligation_id: The ratable obligation changed.
        added_consideration: Change in consideration, minor units (negative for a price reduction).
        new_end: New last service day (an extension or shortening), or ``None`` to keep it.
        since: The latest earlier change of the obligation, as ``(effective date, what was recognised for
            service days before it)`` (``ModificationResult.recognised_before``): the period it falls in is not
            uniform over its days, so a later change in that period counts its days from there.
    """

    version: int
    effective: date
    kind: ModificationKind
    obligation_id: str
    added_consideration: int = 0
    new_end: date | None = None
    since: tuple[date, int] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ModificationResult:
    """Schedules after a modification and the catch-up amount (0 unless cumulative catch-up).

    ``recognised_before`` is what the revised schedule recognises for service days before the effective date
    (a later change's ``since``).
    """

    schedules: tuple[Schedule, ...]
    catch_up: int
    recognised_before: int = 0


def validate_modifications(mods: Sequence[Modification]) -> None:
    """Reject modifications that overlap.

    Reject modifications that overlap: a repeated version, or a later version effective before an
    earlier one on the same obligation (the same day is a further change from that day on).

    Raises:
        OverlappingModificationError: Naming the offending modification.
    """
    last: dict[str, date] = {}
    seen: set[int] = set()
    for i, mod in enumerate(sorted(mods, key=lambda m: m.version)):
        if mod.version in seen:
            raise OverlappingModificationError(f"modifications[{i}].version", f"version {mod.version} repeated")
        seen.add(mod.version)
        prior = last.get(mod.obligation_id)
        if prior is not None and mod.effective < prior:
            raise OverlappingModificationError(
                f"modifications[{i}].effective",
                f"version {mod.version} is effective {mod.effective}, before the previous change ({prior})",
            )
        last[mod.obligation_id] = mod.effective


def recognised_before(schedule: Schedule, start: date, end: date, when: date, conv: Convention,
                      since: tuple[date, int] | None = None) -> int:
    """Minor units the schedule recognises for service days before ``when``.

    Whole periods before ``when`` count in full; the period containing ``when`` counts pro rata to
    its service days before ``when`` (rounded once, half up). When an earlier change ``since`` =
    ``(effective, recognised before it)`` fell in that period, the period is uniform only from that
    day: what it recognised before the change counts as it was, and the rest pro rata to the days
    from the change to ``when``.
    """
    lo, hi = service_interval(start, end, conv.day_count)
    if since is not None and since[0] <= when:
        at = next((p for p in schedule.periods if p.start <= when < p.end), None)
        if at is not None and at.start <= since[0]:
            whole = sum(a for p, a in zip(schedule.periods, schedule.amounts, strict=True) if p.end <= at.start)
            in_period = sum(a for p, a in zip(schedule.periods, schedule.amounts, strict=True) if p.key == at.key)
            head = since[1] - whole
            a, b = max(since[0], lo), min(at.end, hi)
            days, before = day_weight(a, b, conv.day_count), day_weight(a, max(a, when), conv.day_count)
            rest = round_div((in_period - head) * before, days, RoundingMode.HALF_UP) if days else 0
            return since[1] + rest
    out = 0
    for period, amount in zip(schedule.periods, schedule.amounts, strict=True):
        if period.end <= when:
            out += amount
        elif period.start < when:
            a, b = max(period.start, lo), min(period.end, hi)
            days, before = day_weight(a, b, conv.day_count), day_weight(a, max(a, when), conv.day_count)
            out += round_div(amount * before, days, RoundingMode.HALF_UP) if days else 0
    return out


def _merge(parts: Sequence[tuple[Period, int, str]], obligation_id: str, currency: str) -> Schedule:
    keyed: dict[tuple[str, str], list] = {}
    for period, amount, kind in parts:
        slot = keyed.setdefault((period.key, kind), [period, 0, kind])
        slot[1] += amount
    rows = sorted(keyed.values(), key=lambda r: (r[0].key, r[2] != "recognition"))
    return Schedule(
        obligation_id=obligation_id,
        currency=currency,
        total=sum(r[1] for r in rows),
        periods=tuple(r[0] for r in rows),
        amounts=tuple(r[1] for r in rows),
        kinds=tuple(r[2] for r in rows),
    )


def _before(schedule: Schedule, when: date, through: int) -> list[tuple[Period, int, str]]:
    parts = [(p, a, "recognition") for p, a in zip(schedule.periods, schedule.amounts, strict=True) if p.end <= when]
    partial = through - sum(a for _, a, _ in parts)
    if partial:
        parts.append((next(p for p in schedule.periods if p.end > when), partial, "recognition"))
    return parts


def modify_ratable(
    *, original: Schedule, start: date, end: date, convention: Convention, modification: Modification
) -> ModificationResult:
    """Apply one modification to a ratable obligation's schedule.

    Raises:
        InvalidInputError: The modification is for another obligation.
        InvalidPeriodError: The effective date is outside the service period, or the new end is before it.
    """
    mod = modification
    if mod.obligation_id != original.obligation_id:
        raise InvalidInputError("modification.obligation_id", "does not match the schedule's obligation")
    new_end = mod.new_end or end
    if not start <= mod.effective <= max(end, new_end) or new_end < mod.effective:
        raise InvalidPeriodError("modification.effective", "must fall inside the (new) service period")
    if mod.kind is ModificationKind.SEPARATE_CONTRACT:
        periods, amounts = ratable_amounts(mod.added_consideration, mod.effective, new_end, convention)
        extra = Schedule(
            obligation_id=f"{original.obligation_id}@v{mod.version}",
            currency=original.currency,
            total=mod.added_consideration,
            periods=periods,
            amounts=tuple(amounts),
        )
        return ModificationResult(schedules=(original, extra), catch_up=0)
    done = recognised_before(original, start, end, mod.effective, convention, mod.since)
    head = _before(original, mod.effective, done)
    if mod.kind is ModificationKind.PROSPECTIVE:
        remaining = original.total - done + mod.added_consideration
        periods, amounts = ratable_amounts(remaining, mod.effective, new_end, convention)
        tail = [(p, a, "recognition") for p, a in zip(periods, amounts, strict=True)]
        return ModificationResult(
            schedules=(_merge(head + tail, original.obligation_id, original.currency),), catch_up=0,
            recognised_before=done,
        )
    total = original.total + mod.added_consideration
    periods, amounts = ratable_amounts(total, start, new_end, convention)
    restated = Schedule(
        obligation_id=original.obligation_id,
        currency=original.currency,
        total=total,
        periods=periods,
        amounts=tuple(amounts),
    )
    should = recognised_before(restated, start, new_end, mod.effective, convention)
    catch_up = should - done
    rest = [(p, a, "recognition") for p, a in zip(periods, amounts, strict=True) if p.end > mod.effective]
    if rest:
        rest[0] = (
            rest[0][0],
            rest[0][1] - (should - sum(a for p, a in zip(periods, amounts, strict=True) if p.end <= mod.effective)),
            "recognition",
        )
    parts = [*head, (rest[0][0] if rest else periods[-1], catch_up, "catch_up"), *rest]
    return ModificationResult(schedules=(_merge(parts, original.obligation_id, original.currency),), catch_up=catch_up,
                              recognised_before=should)


def modify_point_in_time(
    *, original: Schedule, satisfied_on: date, calendar: PeriodCalendar, modification: Modification
) -> ModificationResult:
    """Apply a price change to a point-in-time obligation's schedule (see the module docstring).

    Prospective and cumulative catch-up treatments agree here: progress is all or nothing.

    Raises:
        InvalidInputError: The modification is for another obligation, is a separate contract, or moves an end
            date (a point-in-time obligation has no service period).
    """
    mod = modification
    if mod.obligation_id != original.obligation_id:
        raise InvalidInputError("modification.obligation_id", "does not match the schedule's obligation")
    if mod.kind is ModificationKind.SEPARATE_CONTRACT:
        raise InvalidInputError("modification.kind", "a point-in-time obligation changes in price only: use "
                                                     "prospective or cumulative_catch_up")
    if mod.new_end is not None:
        raise InvalidInputError("modification.new_end", "a point-in-time obligation has no service period to end")
    parts = [(p, a, k) for p, a, k in zip(original.periods, original.amounts,
                                          original.kinds or ("recognition",) * len(original.amounts), strict=True)]
    if satisfied_on <= mod.effective:
        parts.append((calendar.period_of(mod.effective), mod.added_consideration, "catch_up"))
        catch_up = mod.added_consideration
    else:
        parts.append((calendar.period_of(satisfied_on), mod.added_consideration, "recognition"))
        catch_up = 0
    return ModificationResult(schedules=(_merge(parts, original.obligation_id, original.currency),), catch_up=catch_up)


def post_to_open_periods(*, posted: Schedule, revised: Schedule, first_open: str) -> Schedule:
    """Post a change as an adjustment in the first open period; never restate a closed one.

    Never restate a closed period: keep what was posted there, and post in ``first_open`` one
    ``catch_up`` line equal to what a restatement of the closed periods would have changed.

    Args:
        posted: The schedule as posted (closed periods are those with keys before ``first_open``).
        revised: The schedule after the change (what a restatement would show).
        first_open: Key of the first open period.
    """
    closed_posted = [
        (p, a, k)
        for p, a, k in zip(
            posted.periods, posted.amounts, posted.kinds or ("recognition",) * len(posted.amounts), strict=True
        )
        if p.key < first_open
    ]
    revised_kinds = revised.kinds or ("recognition",) * len(revised.amounts)
    rows = list(zip(revised.periods, revised.amounts, revised_kinds, strict=True))
    restated_closed = sum(a for p, a, _ in rows if p.key < first_open)
    adjustment = restated_closed - sum(a for _, a, _ in closed_posted)
    open_rows = [r for r in rows if r[0].key >= first_open]
    if not open_rows:
        raise InvalidPeriodError("first_open", "the revised schedule has no open period to post the adjustment in")
    parts = [*closed_posted, (open_rows[0][0], adjustment, "catch_up"), *open_rows]
    return _merge(parts, revised.obligation_id, revised.currency)
