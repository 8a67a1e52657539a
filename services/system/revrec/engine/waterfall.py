"""The revenue waterfall: revenue still to be recognised, by obligation and future period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .schedules import Schedule

__all__ = ["Waterfall", "WaterfallRow", "waterfall"]


@dataclass(frozen=True, kw_only=True, slots=True)
class WaterfallRow:
    """Future amounts of one obligation, aligned with :attr:`Waterfall.periods`."""

    obligation_id: str
    currency: str
    amounts: tuple[int, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Waterfall:
    """Future periods after ``after_period`` and one row per obligation."""

    after_period: str
    periods: tuple[str, ...]
    rows: tuple[WaterfallRow, ...]

    def totals(self) -> dict[str, tuple[int, ...]]:
        """Column totals per currency."""
        out: dict[str, list[int]] = {}
        for row in self.rows:
            acc = out.setdefault(row.currency, [0] * len(self.periods))
            for i, amount in enumerate(row.amounts):
                acc[i] += amount
        return {k: tuple(v) for k, v in out.items()}


def waterfall(schedules: Sequence[Schedule], *, after_period: str) -> Waterfall:
    """Build the waterfall of everything scheduled in periods after ``after_period``."""
    maps = [s.by_period() for s in schedules]
    periods = tuple(sorted({k for m in maps for k in m if k > after_period}))
    rows = tuple(
        WaterfallRow(obligation_id=s.obligation_id, currency=s.currency, amounts=tuple(m.get(p, 0) for p in periods))
        for s, m in zip(schedules, maps, strict=True)
    )
    return Waterfall(after_period=after_period, periods=periods, rows=rows)
