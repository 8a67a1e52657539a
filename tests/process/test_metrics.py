"""Finance metrics read from the systems of record after three deals went through the whole chain.

An annual-term deal billed monthly with a setup fee and usage (closed January 2025), a quarterly support deal
(March 2025) and a seat deal starting next month (closed today). Bookings, billings, recognised and deferred
revenue and ARR are computed here from the deal lines: bookings on the close date; each subscription bills its
first period in advance (plus any one-time line) the day it is created, or the day its service starts when that
is later; revenue by relative SSP and actual days; deferred revenue = what was billed and not yet recognised;
ARR = recurring lines in service on the period's last day, annualised.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from tests.process.test_activation import largest_remainder, monthly_exact_days
from tests.process.test_reconciliation import activated
from tests.process.topology import Topology


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


TODAY = datetime.now(UTC).date()
THIS_MONTH, NEXT_MONTH = TODAY.strftime("%Y-%m"), _next_month(TODAY).strftime("%Y-%m")
START = _next_month(TODAY)
END = START.replace(year=START.year + 1) - timedelta(days=1)

ANNUAL = {"sku": "MET-SEAT", "quantity": 10, "list": 10_000, "sale": 9_000, "start": "2025-01-01",
          "end": "2025-12-31", "frequency": "monthly"}
SETUP = {"sku": "MET-SETUP", "quantity": 1, "list": 200_000, "sale": 150_000, "start": "2025-01-01",
         "end": "2025-01-01", "frequency": "one_time"}
CALLS = {"sku": "MET-CALLS", "quantity": 1, "list": 5, "sale": 4, "start": "2025-01-01", "end": "2025-12-31",
         "frequency": "usage"}
SUPPORT = {"sku": "MET-SUPPORT", "quantity": 4, "list": 30_000, "sale": 30_000, "start": "2025-03-01",
           "end": "2026-02-28", "frequency": "quarterly"}
FUTURE = {"sku": "MET-FUTURE", "quantity": 2, "list": 5_000, "sale": 5_000, "start": START.isoformat(),
          "end": END.isoformat(), "frequency": "monthly"}


def _periods(first: str, last: str) -> list[str]:
    found, day = [], date.fromisoformat(f"{first}-01")
    while day.strftime("%Y-%m") <= last:
        found.append(day.strftime("%Y-%m"))
        day = _next_month(day)
    return found


def _last_day(period: str) -> date:
    return _next_month(date.fromisoformat(f"{period}-01")) - timedelta(days=1)


def _expected(periods: list[str]) -> dict[str, dict[str, int]]:
    """Every figure per period, from the deal lines alone."""
    figures = {name: dict.fromkeys(periods, 0) for name in ("bookings", "billings", "recognized_revenue",
                                                             "deferred_revenue", "arr")}
    figures["bookings"]["2025-01"] = 10 * 9_000 * 12 + 150_000
    figures["bookings"]["2025-03"] = 4 * 30_000 * 4
    figures["bookings"][THIS_MONTH] += 2 * 5_000 * 12
    # Each subscription bills now: a month of seats and the setup; a quarter of support. The future seats bill
    # nothing before their service starts next month (their first month is billed that day, after this test).
    billed = {"annual": 10 * 9_000 + 150_000, "support": 4 * 30_000, "future": 0}
    figures["billings"][THIS_MONTH] = sum(billed.values())
    seats, setup = largest_remainder(10 * 9_000 * 12 + 150_000, [Fraction(10 * 10_000 * 12), Fraction(200_000)])
    revenue = {"annual": monthly_exact_days(seats, date(2025, 1, 1), date(2025, 12, 31)),
               "support": monthly_exact_days(4 * 30_000 * 4, date(2025, 3, 1), date(2026, 2, 28)),
               "future": monthly_exact_days(2 * 5_000 * 12, START, END)}
    revenue["annual"]["2025-01"] += setup
    for contract, months in revenue.items():
        running = 0
        for period in periods:
            running += months.get(period, 0) - (billed[contract] if period == THIS_MONTH else 0)
            figures["recognized_revenue"][period] += months.get(period, 0)
            figures["deferred_revenue"][period] += max(-running, 0)  # billed ahead of revenue
    for period in periods:
        day = _last_day(period)
        for line, per_year in ((ANNUAL, 10 * 9_000 * 12), (SUPPORT, 4 * 30_000 * 4), (FUTURE, 2 * 5_000 * 12)):
            if date.fromisoformat(line["start"]) <= day <= date.fromisoformat(line["end"]):
                figures["arr"][period] += per_year
    return figures


def _metrics(topology: Topology, start: str, end: str) -> Any:
    return topology.process.get("/v1/metrics", params={"from": start, "to": end})


class TestMetrics:
    def test_figures_per_period_and_in_total_follow_from_the_deals(self, topology: Topology):
        activated(topology, [ANNUAL, SETUP, CALLS], close_date="2025-01-01")
        activated(topology, [SUPPORT], close_date="2025-03-01")
        activated(topology, [FUTURE], close_date=TODAY.isoformat())
        periods = _periods("2024-12", NEXT_MONTH)

        response = _metrics(topology, "2024-12", NEXT_MONTH)

        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["from_period"], body["to_period"], body["deals"]) == ("2024-12", NEXT_MONTH, 3)
        [usd] = body["currencies"]
        assert usd["currency"] == "USD"
        expected = _expected(periods)
        assert [row["period"] for row in usd["periods"]] == periods
        for name, by_period in expected.items():
            assert {row["period"]: row[name] for row in usd["periods"]} == by_period, name
        assert usd["total"] == {
            "bookings": sum(expected["bookings"].values()), "billings": sum(expected["billings"].values()),
            "recognized_revenue": sum(expected["recognized_revenue"].values()),
            "deferred_revenue": expected["deferred_revenue"][NEXT_MONTH], "arr": expected["arr"][NEXT_MONTH]}
        # The figures are non-trivial where it matters: ARR of the annual deal; the future deal in ARR from next
        # month, while nothing of it is billed (or deferred) before its service starts.
        assert expected["arr"]["2025-06"] == 10 * 9_000 * 12 + 4 * 30_000 * 4
        assert expected["arr"][NEXT_MONTH] - expected["arr"][THIS_MONTH] == 2 * 5_000 * 12
        assert expected["billings"][THIS_MONTH] == 10 * 9_000 + 150_000 + 4 * 30_000
        assert expected["deferred_revenue"][THIS_MONTH] == 0

        # Before any deal: every period listed, every figure zero.
        before = _metrics(topology, "2019-01", "2019-03").json()["currencies"]
        assert [[row["period"] for row in c["periods"]] for c in before] == [["2019-01", "2019-02", "2019-03"]]
        assert {k for c in before for row in c["periods"] for k, v in row.items() if k != "period" and v} == set()


class TestMetricsKeepUp:
    def test_a_deal_activated_after_a_read_is_counted_in_the_next_one(self, topology: Topology):
        line = {"sku": f"MET-LATE-{uuid.uuid4().hex[:5].upper()}", "quantity": 3, "list": 7_000, "sale": 7_000,
                "start": "2023-05-01", "end": "2024-04-30", "frequency": "monthly"}
        before = _metrics(topology, "2023-05", "2023-05").json()
        booked_before = sum(row["bookings"] for c in before["currencies"] for row in c["periods"])
        activated(topology, [line], close_date="2023-05-01")

        after = _metrics(topology, "2023-05", "2023-05").json()

        assert after["deals"] == before["deals"] + 1 and after["stale_deals"] == 0
        booked_after = sum(row["bookings"] for c in after["currencies"] for row in c["periods"])
        assert booked_after - booked_before == 3 * 7_000 * 12
        # Revenue of May 2023: 3 seats at 70.00 a month, the first of twelve exact-day months.
        [usd] = [c for c in after["currencies"] if c["currency"] == "USD"]
        revenue = monthly_exact_days(3 * 7_000 * 12, date(2023, 5, 1), date(2024, 4, 30))
        before_usd = [c for c in before["currencies"] if c["currency"] == "USD"]
        recognised_before = before_usd[0]["periods"][0]["recognized_revenue"] if before_usd else 0
        assert usd["periods"][0]["recognized_revenue"] - recognised_before == revenue["2023-05"]
        assert after["figures_as_of"] is not None


class TestMetricsRequests:
    @pytest.mark.parametrize(("start", "end", "field"), [("2025-06", "2025-05", "from"), ("2015-01", "2025-12", "to"),
                                                          ("2025-13", "2025-12", "from")])
    def test_an_empty_or_too_long_range_or_a_bad_period_is_refused(self, topology: Topology, start, end, field):
        response = _metrics(topology, start, end)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in response.json()["errors"]]

    def test_metrics_need_a_read_scope(self, topology: Topology):
        response = topology.process.get("/v1/metrics", params={"from": "2025-01", "to": "2025-02"},
                                        headers={"Authorization": f"Bearer {uuid.uuid4().hex}"})
        assert response.status_code == 401
