"""Combining contracts (ASC 606-10-25-9) and milestone obligations with catch-up re-estimates."""

from datetime import date

import pytest

from services.system.revrec.engine import (
    CalendarMonths,
    CombinationCriteria,
    Contract,
    CurrencyMismatchError,
    InvalidInputError,
    Milestone,
    Obligation,
    Pattern,
    PointSSP,
    Reestimate,
    allocate_contract,
    combine_contracts,
    milestone_schedule,
)

MONTHS = CalendarMonths()
PACKAGE = CombinationCriteria(same_customer=True, same_time=True, price_interdependent=True)


def _contract(cid, oid, price, ssp, currency="USD"):
    ob = Obligation(id=oid, pattern=Pattern.POINT_IN_TIME, ssp=PointSSP(amount=ssp), start=date(2024, 1, 15))
    return Contract(id=cid, currency=currency, transaction_price=price, obligations=(ob,))


def test_combined_contracts_are_allocated_as_one():
    """Hand computation: a licence sold for 140.00 (SSP 100.00) and, the same week to the same
    customer, support for 10.00 (SSP 50.00) priced low because of the licence deal (25-9(b)).
    Separately each contract keeps its own price (140 / 10); combined, 150.00 is allocated by
    relative SSP 100 : 50 -> licence 100.00, support 50.00."""
    a, b = _contract("A", "licence", 14_000, 10_000), _contract("B", "support", 1_000, 5_000)
    assert allocate_contract(a).amounts() == {"licence": 14_000}
    combined = combine_contracts([a, b], PACKAGE)
    assert combined.id == "A+B" and combined.transaction_price == 15_000
    assert allocate_contract(combined).amounts() == {"licence": 10_000, "support": 5_000}


def test_combination_criteria():
    """ASC 606-10-25-9: same customer and same time, plus at least one of (a), (b), (c)."""
    assert not CombinationCriteria(same_customer=True, same_time=True).met
    assert not CombinationCriteria(same_customer=False, same_time=True, single_commercial_objective=True).met
    assert CombinationCriteria(same_customer=True, same_time=True, single_performance_obligation=True).met
    a, b = _contract("A", "x", 100, 100), _contract("B", "y", 100, 100)
    with pytest.raises(InvalidInputError):
        combine_contracts([a, b], CombinationCriteria(same_customer=True, same_time=False, price_interdependent=True))
    with pytest.raises(CurrencyMismatchError):
        combine_contracts([a, _contract("C", "z", 100, 100, "EUR")], PACKAGE)
    with pytest.raises(InvalidInputError):
        combine_contracts([a, _contract("D", "x", 100, 100)], PACKAGE)
    with pytest.raises(InvalidInputError):
        combine_contracts([a], PACKAGE)


def test_milestones_with_catch_up_on_reestimate():
    """Hand computation: 1,000,000.00 over milestones weighted 30 / 30 / 40. M1 reached 15 Mar:
    300,000.00. On 20 May a performance bonus becomes highly probable and the allocation rises to
    1,100,000.00: catch-up 1,100,000 x 30% - 300,000 = 30,000.00 in May on its own line. M2 reached
    10 Jun: 1,100,000 x 60% - 330,000 = 330,000.00. M3 not yet reached: total 660,000.00."""
    s = milestone_schedule(
        obligation_id="build",
        allocated=100_000_000,
        currency="USD",
        calendar=MONTHS,
        milestones=[
            Milestone(id="M1", weight=30, reached=date(2024, 3, 15)),
            Milestone(id="M2", weight=30, reached=date(2024, 6, 10)),
            Milestone(id="M3", weight=40),
        ],
        reestimates=[Reestimate(on=date(2024, 5, 20), allocated=110_000_000)],
    )
    assert [(x.period.key, x.amount, x.kind) for x in s.lines] == [
        ("2024-03", 30_000_000, "recognition"),
        ("2024-05", 3_000_000, "catch_up"),
        ("2024-06", 33_000_000, "recognition"),
    ]
    assert s.total == 66_000_000


def test_milestone_cumulative_rounding():
    """Hand computation: 100.00 over three equal milestones, all reached: cumulative targets 33.33,
    66.67, 100.00 -> lines 33.33, 33.34, 33.33 (sum exactly 100.00)."""
    s = milestone_schedule(
        obligation_id="o",
        allocated=10_000,
        currency="USD",
        calendar=MONTHS,
        milestones=[Milestone(id=str(i), weight=1, reached=date(2024, i, 1)) for i in (1, 2, 3)],
    )
    assert s.amounts == (3_333, 3_334, 3_333) and s.total == 10_000


def test_bad_milestones():
    with pytest.raises(InvalidInputError):
        milestone_schedule(obligation_id="o", allocated=1, currency="USD", calendar=MONTHS, milestones=[])
    with pytest.raises(InvalidInputError):
        milestone_schedule(
            obligation_id="o",
            allocated=1,
            currency="USD",
            calendar=MONTHS,
            milestones=[Milestone(id="a", weight=0), Milestone(id="b", weight=0)],
        )
