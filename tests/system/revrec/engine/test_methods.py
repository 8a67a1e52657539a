"""Recognition by millisecond between instants, and the trailing-per-day remainder policy."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.system.revrec.engine import (
    Convention,
    InvalidConventionError,
    InvalidInputError,
    InvalidPeriodError,
    Method,
    RemainderPolicy,
    RoundingMode,
    instant_schedule,
    milliseconds,
    ratable_schedule,
)


def _instants(amount, start, end, **conv):
    s = instant_schedule(
        obligation_id="o", amount=amount, currency="USD", start=start, end=end, convention=Convention(**conv)
    )
    return s.by_period()


class TestStripeAmortizationGranularity:
    """Stripe docs, Revenue Recognition > Settings examples ("Revenue Recognition settings examples",
    docs.stripe.com/revenue-recognition/revenue-settings/examples), "Amortization granularity": a
    4-month 120 USD subscription from 2026-06-15 12:00:00 PM UTC to 2026-10-13 12:00:00 PM UTC, i.e.
    15.5 days in June, 31 in July, 31 in August, 30 in September and 12.5 in October."""

    start = datetime(2026, 6, 15, 12, tzinfo=UTC)
    end = datetime(2026, 10, 13, 12, tzinfo=UTC)

    def test_by_millisecond(self):
        """ "By millisecond" table: Revenue June +15.50, July 31, August 31, September 30, October
        +12.50 (DeferredRevenue +104.50 in June)."""
        got = _instants(12_000, self.start, self.end, method=Method.BY_MILLISECOND)
        assert got == {"2026-06": 1_550, "2026-07": 3_100, "2026-08": 3_100, "2026-09": 3_000, "2026-10": 1_250}

    def test_month_evenly_first_and_last_prorated(self):
        """ "By month evenly, first and last month prorated" ("prorate the amounts in the first and
        last months by millisecond", Revenue Recognition controls page): June 15.50, July 30.66,
        August 30.66, September 30.68, October 12.50. Reproduced as: first and last by millisecond
        (15.5/120 and 12.5/120 of 120), the remaining 92.00 evenly over three months (30.666...),
        truncated, the 0.02 difference on the next-to-last period."""
        got = _instants(
            12_000,
            self.start,
            self.end,
            method=Method.PRORATE_FIRST_LAST,
            rounding=RoundingMode.DOWN,
            remainder=RemainderPolicy.NEXT_TO_LAST,
        )
        assert got == {"2026-06": 1_550, "2026-07": 3_066, "2026-08": 3_066, "2026-09": 3_068, "2026-10": 1_250}


def test_millisecond_precision_and_time_zones():
    """Hand computation: one day (86,400,000 ms) from 2024-01-31 23:00 at UTC-5 is Feb 1 04:00 UTC to
    Feb 2 04:00 UTC, so all 1,000.00 fall in February (periods are UTC dates). From 2024-01-31 22:00
    UTC instead, 2 hours (7,200,000 ms) are in January: 1,000 x 2/24 = 83.33, February 916.67."""
    est = timezone(timedelta(hours=-5))
    start = datetime(2024, 1, 31, 23, tzinfo=est)
    assert milliseconds(start, start + timedelta(days=1)) == 86_400_000
    assert _instants(100_000, start, start + timedelta(days=1)) == {"2024-02": 100_000}
    utc = datetime(2024, 1, 31, 22, tzinfo=UTC)
    assert _instants(100_000, utc, utc + timedelta(days=1), method=Method.BY_MILLISECOND) == {
        "2024-01": 8_333,
        "2024-02": 91_667,
    }


def test_trailing_per_day_remainder():
    """Hand computation (revflow's own definition of "trailing per day", see RemainderPolicy): 20.00
    over 2023-01-01..2023-04-01 (31 + 28 + 31 + 1 = 91 days) in whole-dollar units, rounded down:
    exact 6.81, 6.15, 6.81, 0.22 -> 6, 6, 6, 0 (18.00); the 2 units left go one per day from the end
    of the term: Apr 1 (April) and Mar 31 (March) -> 6.00, 6.00, 7.00, 1.00. Under "last period" the
    same difference would all land in April (6, 6, 6, 2)."""
    conv = dict(unit=100, rounding=RoundingMode.DOWN)
    args = dict(obligation_id="o", amount=2_000, currency="USD", start=date(2023, 1, 1), end=date(2023, 4, 1))
    trailing = ratable_schedule(**args, convention=Convention(**conv, remainder=RemainderPolicy.TRAILING_PER_DAY))
    assert trailing.amounts == (600, 600, 700, 100)
    last = ratable_schedule(**args, convention=Convention(**conv, remainder=RemainderPolicy.LAST))
    assert last.amounts == (600, 600, 600, 200)


def test_trailing_per_day_between_instants():
    """Hand computation: 0.05 over 2024-01-31 12:00 UTC .. 2024-02-02 00:00 UTC (12 h in January,
    24 h in February; 1.5 days), whole-cent unit, rounded down: exact 1.67 and 3.33 cents -> 1 and 3;
    1 cent left goes to the last day (February) -> 1, 4."""
    got = _instants(
        5,
        datetime(2024, 1, 31, 12, tzinfo=UTC),
        datetime(2024, 2, 2, tzinfo=UTC),
        rounding=RoundingMode.DOWN,
        remainder=RemainderPolicy.TRAILING_PER_DAY,
    )
    assert got == {"2024-01": 1, "2024-02": 4}


def test_instant_errors():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInputError):
        _instants(100, datetime(2024, 1, 1), datetime(2024, 2, 1))
    with pytest.raises(InvalidConventionError):
        _instants(100, start, start + timedelta(days=3), method=Method.DAILY_RATE)
    with pytest.raises(InvalidPeriodError) as err:
        _instants(100, start, start)
    assert err.value.field == "end"
