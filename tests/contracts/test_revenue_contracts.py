"""Revenue: allocations cover every obligation and sum to the transaction price; schedules point at obligations."""

from __future__ import annotations

import re
from datetime import date

import msgspec
import pytest

from contracts.money import CurrencyMismatchError, Money
from contracts.revenue import Allocation, PerformanceObligation, RecognitionPattern, RevenueContract, ScheduleLine
from tests.contracts.contract_samples import revenue_contract, usd


def obligation(
    id_: str = "PO2", pattern: RecognitionPattern = RecognitionPattern.POINT_IN_TIME
) -> PerformanceObligation:
    return PerformanceObligation(id=id_, name="Onboarding", pattern=pattern, standalone_selling_price=usd("200.00"))


class TestRevenueContract:
    def test_round_trip(self) -> None:
        original = revenue_contract()
        assert msgspec.json.decode(msgspec.json.encode(original), type=RevenueContract) == original

    def test_allocations_must_sum_to_transaction_price(self) -> None:
        contract = revenue_contract()
        reason = re.escape("allocations: sum 799.99 USD differs from transaction_price 800.00")
        with pytest.raises(ValueError, match=reason):
            msgspec.structs.replace(contract, allocations=[Allocation(obligation_id="PO1", amount=usd("799.99"))])

    def test_allocations_must_cover_every_obligation(self) -> None:
        contract = revenue_contract()
        with pytest.raises(ValueError, match=r"missing \['PO2'\]"):
            msgspec.structs.replace(contract, obligations=[*contract.obligations, obligation()])

    def test_allocation_to_unknown_obligation_refused(self) -> None:
        contract = revenue_contract()
        allocs = [Allocation(obligation_id="PO1", amount=usd("700.00")),
                  Allocation(obligation_id="PO9", amount=usd("100.00"))]
        with pytest.raises(ValueError, match=r"unknown \['PO9'\]"):
            msgspec.structs.replace(contract, allocations=allocs)

    def test_schedule_line_for_unknown_obligation_refused(self) -> None:
        stray = ScheduleLine(obligation_id="PO9", period_start=date(2025, 2, 1), period_end=date(2025, 2, 28),
                             amount=usd("1.00"))
        with pytest.raises(ValueError, match=r"schedule\[1\].obligation_id: unknown obligation 'PO9'"):
            msgspec.structs.replace(revenue_contract(), schedule=[*revenue_contract().schedule, stray])

    def test_schedule_in_another_currency_refused(self) -> None:
        line = ScheduleLine(obligation_id="PO1", period_start=date(2025, 2, 1), period_end=date(2025, 2, 28),
                            amount=Money.parse("1.00", "EUR"))
        with pytest.raises(CurrencyMismatchError, match=r"schedule\[0\].amount: currency EUR"):
            msgspec.structs.replace(revenue_contract(), schedule=[line])

    def test_duplicate_obligation_ids_refused(self) -> None:
        contract = revenue_contract()
        with pytest.raises(ValueError, match=re.escape("obligations[].id: duplicate id 'PO1'")):
            msgspec.structs.replace(contract, obligations=[*contract.obligations, contract.obligations[0]])

    def test_scheduled_total_per_obligation_with_catch_up_reversal(self) -> None:
        reversal = ScheduleLine(obligation_id="PO1", period_start=date(2025, 2, 1), period_end=date(2025, 2, 28),
                                amount=usd("-16.67"))
        contract = msgspec.structs.replace(revenue_contract(), schedule=[*revenue_contract().schedule, reversal])
        assert contract.scheduled_total("PO1") == usd("50.00")
        assert contract.scheduled_total() == usd("50.00")

    def test_version_must_be_positive_on_decode(self) -> None:
        doc = msgspec.to_builtins(revenue_contract())
        doc["version"] = 0
        with pytest.raises(msgspec.ValidationError, match=r">= 1 - at `\$.version`"):
            msgspec.convert(doc, RevenueContract)


class TestObligationAndSchedule:
    def test_ratable_obligation_needs_its_period(self) -> None:
        with pytest.raises(ValueError, match="start_date: a ratable obligation needs start_date and end_date"):
            obligation(pattern=RecognitionPattern.RATABLE)

    def test_schedule_period_end_before_start_refused(self) -> None:
        with pytest.raises(ValueError, match="period_end: 2025-01-31 is before the period start 2025-02-01"):
            ScheduleLine(obligation_id="PO1", period_start=date(2025, 2, 1), period_end=date(2025, 1, 31),
                         amount=usd("1.00"))

    def test_bad_accounting_period_refused_on_decode(self) -> None:
        doc = msgspec.to_builtins(revenue_contract().schedule[0])
        doc["accounting_period"] = "2025-13"
        with pytest.raises(msgspec.ValidationError, match=r"`\$.accounting_period`"):
            msgspec.convert(doc, ScheduleLine)

    def test_negative_allocation_refused(self) -> None:
        with pytest.raises(ValueError, match="amount: must not be negative"):
            Allocation(obligation_id="PO1", amount=usd("-1.00"))
