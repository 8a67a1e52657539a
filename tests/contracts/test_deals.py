"""Deals: line invariants, one currency per opportunity, amendments that say what they change."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

import msgspec
import pytest

from contracts.deals import Amendment, AmendmentAction, LineChange, Opportunity
from contracts.money import CurrencyMismatchError, Money
from tests.contracts.contract_samples import deal_line, opportunity, usd


def decode_opportunity_with(mutate) -> Opportunity:  # type: ignore[no-untyped-def]
    doc = msgspec.json.decode(msgspec.json.encode(opportunity()))
    mutate(doc)
    return msgspec.json.decode(msgspec.json.encode(doc), type=Opportunity)


class TestDealLine:
    def test_amount_and_discount_derive_from_prices(self) -> None:
        line = deal_line(quantity=3, list_price=usd("100.00"), sale_price=usd("75.00"))
        assert line.amount == Money(amount_minor=22500, currency="USD")
        assert line.discount == Money(amount_minor=7500, currency="USD")
        assert line.discount_rate == Fraction(1, 4)

    def test_discount_rate_of_a_free_list_price_is_zero(self) -> None:
        assert deal_line(list_price=usd("0"), sale_price=usd("0")).discount_rate == 0

    def test_one_day_period_is_valid_with_inclusive_end(self) -> None:
        line = deal_line(service_start=date(2025, 3, 1), service_end=date(2025, 3, 1))
        assert line.service_end == line.service_start

    def test_end_before_start_refused(self) -> None:
        with pytest.raises(ValueError, match="service_end: 2024-12-31 is before the period start 2025-01-01"):
            deal_line(service_start=date(2025, 1, 1), service_end=date(2024, 12, 31))

    def test_negative_quantity_refused(self) -> None:
        with pytest.raises(ValueError, match="quantity: must not be negative"):
            deal_line(quantity=-1)

    @pytest.mark.parametrize("quantity", [1.5, True])
    def test_quantity_must_be_int(self, quantity: object) -> None:
        with pytest.raises(TypeError, match="quantity: must be an int"):
            deal_line(quantity=quantity)

    def test_sale_price_in_another_currency_refused(self) -> None:
        with pytest.raises(CurrencyMismatchError, match="sale_price: currency EUR differs"):
            deal_line(sale_price=Money.parse("80.00", "EUR"))

    def test_negative_price_refused(self) -> None:
        with pytest.raises(ValueError, match="sale_price: must not be negative"):
            deal_line(sale_price=usd("-1.00"))


class TestOpportunityWire:
    def test_round_trip(self) -> None:
        original = opportunity()
        assert msgspec.json.decode(msgspec.json.encode(original), type=Opportunity) == original

    def test_mixed_currency_line_refused_naming_the_field(self) -> None:
        def mutate(doc: dict) -> None:
            doc["lines"][0]["list_price"]["currency"] = "EUR"
            doc["lines"][0]["sale_price"]["currency"] = "EUR"

        with pytest.raises(msgspec.ValidationError, match=r"lines\[0\].list_price: currency EUR differs from .* USD"):
            decode_opportunity_with(mutate)

    def test_negative_quantity_refused_by_schema(self) -> None:
        def mutate(doc: dict) -> None:
            doc["lines"][0]["quantity"] = -2

        with pytest.raises(msgspec.ValidationError, match=r">= 0 - at `\$.lines\[0\].quantity`"):
            decode_opportunity_with(mutate)

    def test_reversed_period_refused(self) -> None:
        def mutate(doc: dict) -> None:
            doc["lines"][0]["service_end"] = "2024-06-30"

        with pytest.raises(msgspec.ValidationError, match=r"service_end: 2024-06-30 is before .* `\$.lines\[0\]`"):
            decode_opportunity_with(mutate)

    def test_naive_close_instant_refused(self) -> None:
        def mutate(doc: dict) -> None:
            doc["closed_at"] = "2025-01-15T12:30:00"

        with pytest.raises(msgspec.ValidationError, match=r"timezone.* `\$.closed_at`"):
            decode_opportunity_with(mutate)

    def test_duplicate_line_ids_refused(self) -> None:
        with pytest.raises(ValueError, match=re.escape("lines[].id: duplicate id 'L1'")):
            msgspec.structs.replace(opportunity(), lines=[deal_line(), deal_line()])

    def test_amount_sums_lines(self) -> None:
        opp = msgspec.structs.replace(opportunity(), lines=[deal_line(), deal_line(id="L2", quantity=1)])
        assert opp.amount == Money(amount_minor=88000, currency="USD")


class TestAmendment:
    def _amend(self, *changes: LineChange, currency: str = "USD") -> Amendment:
        return Amendment(opportunity_id="006DEAL", effective_date=date(2025, 7, 1), currency=currency,
                         changed_lines=list(changes))

    def test_update_remove_and_add(self) -> None:
        a = self._amend(
            LineChange(action=AmendmentAction.UPDATE, line_id="L1", line=deal_line(quantity=20)),
            LineChange(action=AmendmentAction.REMOVE, line_id="L2"),
            LineChange(action=AmendmentAction.ADD, line=deal_line(id="L3")),
        )
        assert [c.action for c in a.changed_lines] == ["update", "remove", "add"]

    def test_needs_a_change(self) -> None:
        with pytest.raises(ValueError, match="changed_lines: an amendment changes at least one line"):
            self._amend()

    def test_update_needs_line_id(self) -> None:
        with pytest.raises(ValueError, match="line_id: required when action is 'update'"):
            LineChange(action=AmendmentAction.UPDATE, line=deal_line())

    def test_add_needs_the_line(self) -> None:
        with pytest.raises(ValueError, match="line: required when action is 'add'"):
            LineChange(action=AmendmentAction.ADD)

    def test_changed_line_in_another_currency_refused(self) -> None:
        with pytest.raises(CurrencyMismatchError, match=r"changed_lines\[0\].line.list_price"):
            self._amend(LineChange(action=AmendmentAction.ADD, line=deal_line()), currency="EUR")

    def test_line_ending_before_effective_date_refused(self) -> None:
        early = deal_line(service_start=date(2025, 1, 1), service_end=date(2025, 6, 30))
        with pytest.raises(ValueError, match=r"changed_lines\[0\].line.service_end: ends before the effective_date"):
            self._amend(LineChange(action=AmendmentAction.ADD, line=early))

    def test_same_line_changed_twice_refused(self) -> None:
        with pytest.raises(ValueError, match="duplicate id 'L1'"):
            self._amend(LineChange(action=AmendmentAction.REMOVE, line_id="L1"),
                        LineChange(action=AmendmentAction.REMOVE, line_id="L1"))
