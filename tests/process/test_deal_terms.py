"""Deal terms on billing's grid: whole billing periods of a line, with month ends clamped as billing systems do.

A period of ``n`` months from day ``d`` ends the day before the same day ``n`` months later, or before that
month's last day when it has no day ``d`` (Stripe's and Chargebee's billing cycle anchors behave so). The
expected counts and end dates below are read off a calendar, not computed by the code under test.
"""

from __future__ import annotations

from datetime import date

import pytest

from contracts.catalog import BillingFrequency
from contracts.deals import DealLine
from contracts.money import Money
from services.process.quote_to_cash.workflows.deal_terms import DealProblem, billing_periods


def _line(start: str, end: str, frequency: str) -> DealLine:
    price = Money(amount_minor=10_000, currency="USD")
    return DealLine(product_sku="PLAT", quantity=1, list_price=price, sale_price=price,
                    service_start=date.fromisoformat(start), service_end=date.fromisoformat(end),
                    billing_frequency=BillingFrequency(frequency))


@pytest.mark.parametrize(("start", "end", "frequency", "periods"), [
    ("2025-01-01", "2025-12-31", "monthly", 12),
    ("2025-01-01", "2025-12-31", "quarterly", 4),
    ("2025-03-15", "2026-03-14", "annual", 1),
    ("2025-01-31", "2025-02-27", "monthly", 1),  # February has no 31st: the next period starts on the 28th
    ("2025-01-31", "2025-04-29", "quarterly", 1),  # April has no 31st: the next quarter starts on the 30th
    ("2024-02-29", "2025-02-27", "annual", 1),  # 2025 has no 29 February: the next year starts on the 28th
    ("2024-02-29", "2028-02-28", "annual", 4),  # back on a 29 February
    ("2025-01-31", "2026-01-30", "monthly", 12),
])
def test_whole_periods_on_the_clamped_grid(start, end, frequency, periods):
    assert billing_periods(_line(start, end, frequency)) == periods


@pytest.mark.parametrize(("start", "end", "frequency", "ends"), [
    ("2024-02-29", "2025-02-28", "annual", "2025-02-27 or 2026-02-27"),
    ("2025-01-01", "2025-12-30", "monthly", "2025-11-30 or 2025-12-31"),
    ("2025-01-15", "2025-03-01", "quarterly", "2025-04-14"),
])
def test_a_part_period_is_refused_naming_the_ends_that_would_be_whole(start, end, frequency, ends):
    with pytest.raises(DealProblem) as refused:
        billing_periods(_line(start, end, frequency))
    assert f"whole periods end on {ends})" in str(refused.value)


def test_an_end_far_in_the_future_is_refused_in_words_not_by_a_crash():
    with pytest.raises(DealProblem) as refused:
        billing_periods(_line("2025-01-15", "9999-12-30", "annual"))
    assert "whole periods end on 9999-01-14)" in str(refused.value)
