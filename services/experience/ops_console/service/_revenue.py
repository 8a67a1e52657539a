"""Revenue figures for a period range, shaped from the process API's metrics (pure: no I/O).

The console asks for one period more than it shows (the one before the range), so the deferred-revenue
roll-forward opens with a balance the systems reported rather than one worked backwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from services.experience.ops_console.schemas import CurrencyRevenueV1, RevenuePeriodV1, RevenueV1, RollForwardV1

__all__ = ["PERIOD", "default_range", "periods_between", "previous_period", "revenue", "revenue_csv"]

PERIOD = re.compile(r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$")
MAX_PERIODS = 36
"""The longest range the revenue page shows at once (three years of months)."""


def previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def periods_between(first: str, last: str) -> Iterator[str]:
    year, month = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def default_range(today: date) -> tuple[str, str]:
    """The twelve months ending with this one."""
    last = f"{today:%Y-%m}"
    first = last
    for _ in range(11):
        first = previous_period(first)
    return first, last


def _period(row: Mapping[str, Any]) -> RevenuePeriodV1:
    return RevenuePeriodV1(period=row["period"], bookings=int(row.get("bookings", 0)),
                           billings=int(row.get("billings", 0)), recognized=int(row.get("recognized_revenue", 0)),
                           deferred=int(row.get("deferred_revenue", 0)), arr=int(row.get("arr", 0)))


def _currency(block: Mapping[str, Any], first: str) -> CurrencyRevenueV1:
    rows = [_period(r) for r in block.get("periods") or []]
    before = [r for r in rows if r.period < first]
    shown = [r for r in rows if r.period >= first]
    opening = before[-1].deferred if before else 0
    billings, recognized = sum(r.billings for r in shown), sum(r.recognized for r in shown)
    closing = shown[-1].deferred if shown else opening
    return CurrencyRevenueV1(
        currency=block["currency"], periods=shown, bookings=sum(r.bookings for r in shown), billings=billings,
        recognized=recognized, deferred=closing, arr=shown[-1].arr if shown else 0,
        roll_forward=RollForwardV1(opening=opening, billings=billings, recognized=recognized,
                                   other=closing - opening - billings + recognized, closing=closing))


def revenue(metrics: Mapping[str, Any], first: str, last: str, as_of: datetime) -> RevenueV1:
    """``metrics`` covers ``previous_period(first)`` to ``last``; the figures cover ``first`` to ``last``."""
    read = metrics.get("figures_as_of")
    return RevenueV1(from_period=first, to_period=last, deals=int(metrics.get("deals", 0)),
                     currencies=[_currency(block, first) for block in metrics.get("currencies") or []], as_of=as_of,
                     figures_as_of=datetime.fromisoformat(str(read).replace("Z", "+00:00")) if read else None,
                     stale_deals=int(metrics.get("stale_deals") or 0))


def revenue_csv(report: RevenueV1, exponent: Any) -> str:
    """One row per currency and period, amounts as plain decimals in the currency's unit."""

    def amount(minor: int, currency: str) -> str:
        places = exponent(currency)
        sign, digits = ("-" if minor < 0 else ""), str(abs(minor)).rjust(places + 1, "0")
        return f"{sign}{digits[:-places]}.{digits[-places:]}" if places else f"{sign}{digits}"

    lines = ["currency,period,bookings,billings,recognized_revenue,deferred_revenue_end,arr_end"]
    for block in report.currencies:
        for r in block.periods:
            values = (r.bookings, r.billings, r.recognized, r.deferred, r.arr)
            lines.append(",".join([block.currency, r.period, *(amount(v, block.currency) for v in values)]))
    return "\r\n".join(lines) + "\r\n"
