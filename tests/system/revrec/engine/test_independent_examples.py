"""Hand-computed examples (not counted as published reproductions).

Their structure follows the FASB/IASB illustrative examples named in each docstring, but the figures
were not re-checked against the published text in this session, so each shows its own hand computation.
"""

from datetime import date

from services.system.revrec.engine import (
    AllocationLine,
    AllocationRounding,
    Convention,
    DayCount,
    DiscountEvidence,
    Fiscal445,
    Method,
    Modification,
    ModificationKind,
    OutsideRangePolicy,
    RangeSSP,
    allocate,
    modify_ratable,
    post_to_open_periods,
    ratable_schedule,
    resolve_ssp,
)

WHOLE = AllocationRounding(unit=100)
ABC = [AllocationLine(obligation_id=k, ssp=v * 100) for k, v in (("A", 40), ("B", 55), ("C", 45))]


def test_discount_to_subset():
    """Structure of ASC 606 Example 34 Case A. Hand computation: SSPs 40 + 55 + 45 = 140, price 100;
    B and C bear the whole 40 discount: A = 40; B = 60 x 55/100 = 33; C = 60 x 45/100 = 27."""
    got = allocate(
        transaction_price=10_000,
        currency="USD",
        lines=ABC,
        discount=DiscountEvidence(obligation_ids=("B", "C")),
        rounding=WHOLE,
    ).amounts()
    assert got == {"A": 4_000, "B": 3_300, "C": 2_700}


def test_residual_after_subset_discount():
    """Structure of Example 34 Case B. Hand computation: price 130; A, B, C valued at 40 + 60 = 100
    (B+C observable bundle price 60); residual D = 130 - 100 = 30."""
    lines = [*ABC, AllocationLine(obligation_id="D", residual=True)]
    got = allocate(
        transaction_price=13_000,
        currency="USD",
        lines=lines,
        rounding=WHOLE,
        discount=DiscountEvidence(obligation_ids=("B", "C"), bundle_price=6_000),
    ).amounts()
    assert got == {"A": 4_000, "B": 3_300, "C": 2_700, "D": 3_000}


def test_relative_ssp_whole_units_largest_remainder():
    """Structure of Example 33. Hand computation: price 100 over SSPs 50/25/75 (150): 33.33, 16.67,
    50 -> floors 33, 16, 50 (99); the spare unit goes to the largest remainder (B) -> 33, 17, 50."""
    lines = [AllocationLine(obligation_id=k, ssp=v * 100) for k, v in (("A", 50), ("B", 25), ("C", 75))]
    assert allocate(transaction_price=10_000, currency="USD", lines=lines, rounding=WHOLE).amounts() == {
        "A": 3_300,
        "B": 1_700,
        "C": 5_000,
    }


def test_ssp_range_policies():
    """Hand computation: range 80-120; stated 70 -> nearest bound 80, midpoint 100; stated 90 -> 90."""
    assert resolve_ssp(RangeSSP(low=80, high=120), stated_price=70) == 80
    assert resolve_ssp(RangeSSP(low=80, high=120, policy=OutsideRangePolicy.MIDPOINT), stated_price=70) == 100
    assert resolve_ssp(RangeSSP(low=80, high=120), stated_price=90) == 90


def test_thirty_360_and_445():
    """Hand computation: 360.00 over 2023 under 30/360 is 30.00 a month, February included; a 4-4-5
    year of 52 weeks splits 52.00 as 4, 4, 5 per quarter."""
    s = ratable_schedule(
        obligation_id="o",
        amount=36_000,
        currency="USD",
        start=date(2023, 1, 1),
        end=date(2023, 12, 31),
        convention=Convention(day_count=DayCount.THIRTY_360),
    )
    assert set(s.amounts) == {3_000}
    fiscal = Fiscal445(year_start=date(2023, 1, 1), first_year=2023)
    s = ratable_schedule(
        obligation_id="o",
        amount=5_200,
        currency="USD",
        start=date(2023, 1, 1),
        end=date(2023, 12, 30),
        convention=Convention(calendar=fiscal),
    )
    assert s.amounts == (400, 400, 500) * 4
    assert s.periods[0].key == "FY2023-P01"


def test_cumulative_catch_up_and_closed_period():
    """Hand computation: 1,200 over 2019 evenly (100/month); on 1 Jul the price rises by 240 with no
    new distinct service (cumulative catch-up): 1,440/12 = 120/month, so Jan-Jun should have been 720,
    catch-up 720 - 600 = 120 on its own line in July. If the change had been dated 1 Mar while Jan-Jun
    were already closed, the first open period (July) carries the restatement difference instead."""
    conv = Convention(method=Method.EVEN_PERIODS)
    start, end = date(2019, 1, 1), date(2019, 12, 31)
    original = ratable_schedule(
        obligation_id="A", amount=120_000, currency="USD", start=start, end=end, convention=conv
    )
    mod = Modification(
        version=2,
        effective=date(2019, 7, 1),
        kind=ModificationKind.CUMULATIVE_CATCH_UP,
        obligation_id="A",
        added_consideration=24_000,
    )
    result = modify_ratable(original=original, start=start, end=end, convention=conv, modification=mod)
    assert result.catch_up == 12_000
    lines = list(result.schedules[0].lines)
    assert [(x.period.key, x.amount) for x in lines if x.kind == "catch_up"] == [("2019-07", 12_000)]
    early = Modification(
        version=2,
        effective=date(2019, 3, 1),
        kind=ModificationKind.PROSPECTIVE,
        obligation_id="A",
        added_consideration=20_000,
    )
    revised = modify_ratable(original=original, start=start, end=end, convention=conv, modification=early).schedules[0]
    posted = post_to_open_periods(posted=original, revised=revised, first_open="2019-07")
    by = {(x.period.key, x.kind): x.amount for x in posted.lines}
    # Mar-Jun restated would be 4 x 120 = 480 instead of 400: an adjustment of 80 in July.
    assert by[("2019-07", "catch_up")] == 8_000
    assert by[("2019-03", "recognition")] == 10_000
    assert posted.total == 140_000
