"""Recompute a vendor's schedule under the convention the vendor claims and explain every difference.

The diagnosis tries, in order, the usual culprits: a different day count, a different remainder
placement or rounding mode, a stale price (the vendor spread another total), and a missing
modification. The first alternative that reproduces the vendor's lines to the cent is the cause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from .daycount import DayCount
from .errors import EngineError
from .modifications import Modification, modify_ratable
from .rounding import RemainderPolicy, RoundingMode
from .schedules import Convention, Schedule, ratable_schedule

__all__ = ["Cause", "PeriodDifference", "VerifyResult", "verify_schedule"]


class Cause(StrEnum):
    """Why a vendor schedule differs from the recomputation."""

    MATCH = "match"
    DAY_COUNT = "different_day_count"
    REMAINDER_PLACEMENT = "remainder_placement"
    ROUNDING_MODE = "rounding_mode"
    STALE_PRICE = "stale_price"
    MISSING_MODIFICATION = "missing_modification"
    UNEXPLAINED = "unexplained"


@dataclass(frozen=True, kw_only=True, slots=True)
class PeriodDifference:
    """Vendor versus engine for one period."""

    period: str
    vendor: int
    engine: int

    @property
    def difference(self) -> int:
        """Vendor minus engine, minor units."""
        return self.vendor - self.engine


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifyResult:
    """Outcome of verifying one obligation's vendor schedule.

    Attributes:
        obligation_id: The obligation.
        cause: ``MATCH`` or the most likely cause of the differences.
        differences: Periods where vendor and engine disagree (empty on a match).
        explained_by: The convention (or description) that reproduces the vendor, when found.
    """

    obligation_id: str
    cause: Cause
    differences: tuple[PeriodDifference, ...]
    explained_by: str = ""


def _diff(vendor: Mapping[str, int], engine: Mapping[str, int]) -> tuple[PeriodDifference, ...]:
    keys = sorted(set(vendor) | set(engine))
    return tuple(
        PeriodDifference(period=k, vendor=vendor.get(k, 0), engine=engine.get(k, 0))
        for k in keys
        if vendor.get(k, 0) != engine.get(k, 0)
    )


def _alternatives(conv: Convention) -> list[tuple[Cause, Convention]]:
    out = [(Cause.DAY_COUNT, replace(conv, day_count=d)) for d in DayCount if d is not conv.day_count]
    out += [(Cause.REMAINDER_PLACEMENT, replace(conv, remainder=p)) for p in RemainderPolicy if p is not conv.remainder]
    out += [(Cause.ROUNDING_MODE, replace(conv, rounding=m)) for m in RoundingMode if m is not conv.rounding]
    return out


def _schedule(oid: str, amount: int, currency: str, start: date, end: date, conv: Convention) -> dict[str, int]:
    try:
        return ratable_schedule(
            obligation_id=oid, amount=amount, currency=currency, start=start, end=end, convention=conv
        ).by_period()
    except EngineError:
        return {}


def _modified(engine: Schedule, start: date, end: date, conv: Convention, mods: Sequence[Modification]) -> Schedule:
    for mod in sorted(mods, key=lambda m: m.version):
        engine = modify_ratable(original=engine, start=start, end=end, convention=conv, modification=mod).schedules[0]
        end = mod.new_end or end
    return engine


def verify_schedule(
    *,
    obligation_id: str,
    vendor: Mapping[str, int],
    amount: int,
    currency: str,
    start: date,
    end: date,
    convention: Convention,
    modifications: Sequence[Modification] = (),
) -> VerifyResult:
    """Compare a vendor's per-period amounts with the engine's recomputation.

    Args:
        obligation_id: The obligation.
        vendor: Vendor amounts per period key (minor units).
        amount: The obligation's original allocation in minor units.
        currency: ISO 4217 code.
        start: First service day.
        end: Last service day (before any modification).
        convention: The convention the vendor claims to use.
        modifications: Modifications the engine knows about (applied in version order).
    """
    base = ratable_schedule(
        obligation_id=obligation_id, amount=amount, currency=currency, start=start, end=end, convention=convention
    )
    engine = _modified(base, start, end, convention, modifications).by_period()
    differences = _diff(vendor, engine)
    if not differences:
        return VerifyResult(obligation_id=obligation_id, cause=Cause.MATCH, differences=())
    if not modifications:
        for cause, alt in _alternatives(convention):
            if _schedule(obligation_id, amount, currency, start, end, alt) == dict(vendor):
                return VerifyResult(
                    obligation_id=obligation_id,
                    cause=cause,
                    differences=differences,
                    explained_by=f"{alt.day_count}/{alt.method}/{alt.remainder}/{alt.rounding}",
                )
    vendor_total = sum(vendor.values())
    if vendor_total != sum(engine.values()):
        if modifications and base.by_period() == dict(vendor):
            return VerifyResult(
                obligation_id=obligation_id,
                cause=Cause.MISSING_MODIFICATION,
                differences=differences,
                explained_by="vendor schedule ignores the modifications",
            )
        if _schedule(obligation_id, vendor_total, currency, start, end, convention) == dict(vendor):
            return VerifyResult(
                obligation_id=obligation_id,
                cause=Cause.STALE_PRICE,
                differences=differences,
                explained_by=f"vendor spread a total of {vendor_total}",
            )
    return VerifyResult(obligation_id=obligation_id, cause=Cause.UNEXPLAINED, differences=differences)
