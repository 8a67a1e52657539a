"""Finance metrics from the systems of record: bookings, billings, recognised and deferred revenue, ARR.

Per accounting period (``YYYY-MM``) of a range, per currency, and over the range:

- **bookings**: the fixed amount booked by the CRM opportunities whose close date falls in the period, as
  ``deal_terms.booked_amount`` counts it (sale price x quantity x billing periods; usage books nothing).
- **billings**: the totals of the billing invoices issued in the period that bill the customer (open, paid or
  uncollectible; drafts and voided invoices do not), before credit notes.
- **recognised revenue**: what revrec recognised in the period (each revenue contract's roll-forward).
- **deferred revenue**: the contract liability at the end of the period (revrec's roll-forward).
- **ARR** (annual recurring revenue) at the end of the period: for every deal whose billing subscription is
  active on that day (started on or before it, neither cancelled nor ended by it), the recurring lines booked
  in the CRM whose service period includes that day, annualised: sale price x quantity x 12 / months per
  billing period. One-time and usage lines are not recurring revenue.

In ``total``, bookings, billings and recognised revenue add up over the range; deferred revenue and ARR are
balances, so they are the values at the end of the range. The deals counted are those revflow activated
(``DealLinks`` says which ids each has in each system); every amount is read from the systems, none from
workflow state.
"""

from __future__ import annotations

import asyncio
import calendar
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import msgspec

from contracts.deals import Opportunity
from services.process.quote_to_cash.reconciliation import deal_billing, invoice_period, periods_between
from services.process.quote_to_cash.systems import call

__all__ = ["FIELDS", "MAX_PERIODS", "CurrencyMetricsV1", "MetricsTotalV1", "MetricsV1", "PeriodMetricsV1", "Series",
           "check_range", "currency_metrics", "deal_series", "metrics", "read_deal"]

MAX_PERIODS = 120
"""The longest range one request may ask for (ten years of months)."""
_BILLED = ("open", "paid", "uncollectible")
_PARALLEL = 8
FIELDS = ("bookings", "billings", "recognized_revenue", "deferred_revenue", "arr")


class PeriodMetricsV1(msgspec.Struct, frozen=True, kw_only=True):
    """One period's figures, in minor units of the row's currency."""

    period: str
    bookings: int
    billings: int
    recognized_revenue: int
    deferred_revenue: int
    """At the end of the period."""
    arr: int
    """At the end of the period."""


class MetricsTotalV1(msgspec.Struct, frozen=True, kw_only=True):
    bookings: int
    billings: int
    recognized_revenue: int
    deferred_revenue: int
    """At the end of the range."""
    arr: int
    """At the end of the range."""


class CurrencyMetricsV1(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    periods: list[PeriodMetricsV1]
    total: MetricsTotalV1


class MetricsV1(msgspec.Struct, frozen=True, kw_only=True):
    """Bookings, billings, recognised and deferred revenue and ARR per period and currency (minor units)."""

    from_period: str
    to_period: str
    deals: int
    """Deals counted (every activated deal)."""
    currencies: list[CurrencyMetricsV1]
    stale_deals: int = 0
    """Deals whose figures predate their latest activity and are still being read again (0: all current)."""
    figures_as_of: datetime | None = None
    """When the oldest figure counted was read from the systems of record."""


def _last_day(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


@dataclass
class Series:
    """One currency's figures by period."""

    values: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, period: str, amount: int) -> None:
        row = self.values.setdefault(name, {})
        row[period] = row.get(period, 0) + amount


def _active(subscription: dict[str, Any] | None, day: date) -> bool:
    """Whether the billing subscription was active at the end of ``day``."""
    if not subscription or subscription.get("status") in ("incomplete", "incomplete_expired"):
        return False
    start, cancelled, ended = (_day(subscription.get(k)) for k in ("start_date", "canceled_at", "end_date"))
    if start is None or start > day or (ended is not None and ended <= day):
        return False
    if cancelled is not None:
        return cancelled > day
    return subscription.get("status") != "canceled"


def deal_series(series: Series, periods: list[str], deal: Opportunity, facts: dict[str, Any]) -> None:
    """Add one deal's figures for ``periods`` to ``series`` (the rules are in the module docstring)."""
    # Imported here, not at the top: the workflows package imports the reconciliation this module builds on.
    from services.process.quote_to_cash.workflows.deal_terms import DealProblem, booked_amount

    closed = deal.close_date.strftime("%Y-%m")
    for line in deal.lines if closed in periods else ():
        with suppress(DealProblem):  # a line that no longer books (edited in the CRM): the reconciliation says so
            series.add("bookings", closed, booked_amount(line).amount_minor)
    for invoice in facts["invoices"]:
        if invoice.get("status") in _BILLED and invoice_period(invoice) in periods:
            series.add("billings", invoice_period(invoice), int(invoice["total"]["amount_minor"]))
    rows = sorted(facts["roll_forward"], key=lambda r: r["accounting_period"])
    for period in periods:
        series.add("recognized_revenue", period, sum(int(r["recognized"]["amount_minor"]) for r in rows
                                                     if r["accounting_period"] == period))
        before = [r for r in rows if r["accounting_period"] <= period]
        series.add("deferred_revenue", period, int(before[-1]["closing_deferred"]["amount_minor"]) if before else 0)
        day = _last_day(period)
        if _active(facts["subscription"], day):
            series.add("arr", period, sum(line.sale_price.amount_minor * line.quantity * (12 // months)
                                          for line in deal.lines if (months := line.billing_frequency.months)
                                          and line.service_start <= day <= line.service_end))


async def read_deal(systems: Any, links: Any, deal: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """One deal's CRM opportunity (``None`` when gone) and its billing and revrec facts, read from the systems."""
    ids = await links.of(deal)
    opportunity = await call(systems.crm, "GET", f"/v1/opportunities/{deal}", missing_ok=True)
    facts: dict[str, Any] = {"roll_forward": []}
    facts["subscription"], facts["invoices"] = await deal_billing(systems, ids)
    if ids.get("revenue_contract_id"):
        found = await call(systems.revrec, "GET", f"/v1/contracts/{ids['revenue_contract_id']}/roll-forward",
                           missing_ok=True)
        facts["roll_forward"] = (found or {}).get("rows", [])
    return opportunity, facts


def check_range(start: str, end: str) -> list[str]:
    """The periods ``start`` to ``end`` (both included).

    Raises:
        ValueError: the range is empty or longer than ``MAX_PERIODS``.
    """
    periods = list(periods_between(start, end))
    if not periods:
        raise ValueError(f"from: {start} is after to ({end})")
    if len(periods) > MAX_PERIODS:
        raise ValueError(f"to: at most {MAX_PERIODS} periods per request; {start}..{end} has {len(periods)}")
    return periods


async def metrics(systems: Any, links: Any, start: str, end: str) -> MetricsV1:
    """The metrics of every activated deal for the periods ``start`` to ``end``, read live from every system.

    O(deals) calls: the API answers from ``MetricsBook`` instead; this is the reference it is checked against.

    Raises:
        ValueError: the range is empty or longer than ``MAX_PERIODS``.
        StepFailed: a system could not be read.
    """
    periods = check_range(start, end)
    deals = await links.deals()
    gate = asyncio.Semaphore(_PARALLEL)

    async def one(deal: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        async with gate:
            return await read_deal(systems, links, deal)

    by_currency: dict[str, Series] = {}
    for opportunity, facts in await asyncio.gather(*(one(deal) for deal in deals)):
        if opportunity is None:
            continue  # gone from the CRM: the reconciliation reports it
        deal = msgspec.convert(opportunity, Opportunity)
        deal_series(by_currency.setdefault(deal.currency, Series()), periods, deal, facts)
    return MetricsV1(from_period=start, to_period=end, deals=len(deals),
                     currencies=[currency_metrics(code, series.values, periods)
                                 for code, series in sorted(by_currency.items())])


def currency_metrics(code: str, values: dict[str, dict[str, int]], periods: list[str]) -> CurrencyMetricsV1:
    """One currency's rows for ``periods`` from its figures by metric and period."""
    rows = [PeriodMetricsV1(period=p, **{name: values.get(name, {}).get(p, 0) for name in FIELDS})
            for p in periods]
    last = rows[-1]
    return CurrencyMetricsV1(currency=code, periods=rows, total=MetricsTotalV1(
        bookings=sum(r.bookings for r in rows), billings=sum(r.billings for r in rows),
        recognized_revenue=sum(r.recognized_revenue for r in rows), deferred_revenue=last.deferred_revenue,
        arr=last.arr))
