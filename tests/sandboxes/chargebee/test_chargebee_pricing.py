"""Pricing models, billing periods and proration, checked against hand-computed figures.

Pricing models per Chargebee's item price docs: ``tiered`` prices each unit in its own tier, ``volume``
prices all units at the tier the quantity falls in, ``stairstep`` charges the flat price of that tier.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandboxes.chargebee.pricing import add_period, next_term_end, price_amount, prorate

TIERS = [{"starting_unit": 1, "ending_unit": 10, "price": 100}, {"starting_unit": 11, "ending_unit": 20, "price": 80},
         {"starting_unit": 21, "price": 50}]


def _ts(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[arg-type]


class TestPriceAmount:
    @pytest.mark.parametrize(("model", "quantity", "expected"), [
        ("tiered", 25, 10 * 100 + 10 * 80 + 5 * 50),
        ("tiered", 10, 10 * 100),
        ("volume", 25, 25 * 50),
        ("volume", 15, 15 * 80),
        ("stairstep", 25, 50),
        ("stairstep", 3, 100),
    ])
    def test_tier_models(self, model: str, quantity: int, expected: int) -> None:
        assert price_amount({"pricing_model": model, "tiers": TIERS}, quantity) == expected

    def test_flat_and_per_unit(self) -> None:
        assert price_amount({"pricing_model": "flat_fee", "price": 3000}, 7) == 3000
        assert price_amount({"pricing_model": "per_unit", "price": 1250}, 4) == 5000


class TestPeriods:
    def test_month_end_clamps_and_recovers(self) -> None:
        jan_31 = _ts(2025, 1, 31)
        assert add_period(jan_31, "month", 1) == _ts(2025, 2, 28)
        assert next_term_end(jan_31, "month", 1, _ts(2025, 2, 28)) == _ts(2025, 3, 31)

    def test_year_and_week(self) -> None:
        assert add_period(_ts(2024, 2, 29), "year", 1) == _ts(2025, 2, 28)
        assert add_period(_ts(2025, 1, 1), "week", 2) == _ts(2025, 1, 15)


class TestProrate:
    def test_documented_example(self) -> None:
        # $30 and $100 monthly plans, 15 of 30 days left: $15 credit, $50 charge (Chargebee's example).
        assert (prorate(3000, 15 * 86400, 30 * 86400), prorate(10000, 15 * 86400, 30 * 86400)) == (1500, 5000)

    def test_to_the_second_rounded_half_up(self) -> None:
        # 1000 * 1 / 3 = 333.33 -> 333; 1000 * 2 / 3 = 666.67 -> 667; 1 * 1 / 2 = 0.5 -> 1
        assert (prorate(1000, 1, 3), prorate(1000, 2, 3), prorate(1, 1, 2)) == (333, 667, 1)
