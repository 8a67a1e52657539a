"""Property tests: the invariants every allocation, schedule, balance and journal must keep."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.system.revrec.engine import (
    AllocationLine,
    AllocationRounding,
    BillingEvent,
    BillingKind,
    CalendarMonths,
    Cause,
    Convention,
    DayCount,
    Fiscal445,
    Method,
    RemainderPolicy,
    RoundingMode,
    allocate,
    contract_balances,
    journal_entries,
    ratable_schedule,
    verify_schedule,
)

SETTINGS = settings(max_examples=150, deadline=None)
FISCAL = Fiscal445(year_start=date(2019, 12, 29), first_year=2020)
conventions = st.builds(
    Convention,
    calendar=st.sampled_from([CalendarMonths(), FISCAL]),
    day_count=st.sampled_from(list(DayCount)),
    method=st.sampled_from([m for m in Method if m is not Method.EVEN_TERM_MONTHS]),
    unit=st.sampled_from([1, 100]),
    rounding=st.sampled_from(list(RoundingMode)),
    remainder=st.sampled_from(list(RemainderPolicy)),
)
starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))
spans = st.integers(min_value=1, max_value=1200)
amounts = st.integers(min_value=0, max_value=10**10)


@SETTINGS
@given(
    price=amounts,
    ssps=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8),
    unit=st.sampled_from([1, 100]),
    policy=st.sampled_from(list(RemainderPolicy)),
)
def test_allocation_sums_exactly(price, ssps, unit, policy):
    ssps[0] += 1  # at least one positive SSP
    lines = [AllocationLine(obligation_id=str(i), ssp=s) for i, s in enumerate(ssps)]
    alloc = allocate(
        transaction_price=price, currency="USD", lines=lines, rounding=AllocationRounding(unit=unit, policy=policy)
    )
    assert sum(x.amount for x in alloc.lines) == price
    assert all(x.amount >= 0 for x in alloc.lines)


@SETTINGS
@given(amount=amounts, start=starts, span=spans, conv=conventions)
def test_schedule_sums_to_allocation_and_never_negative(amount, start, span, conv):
    end = start + timedelta(days=span)
    s = ratable_schedule(obligation_id="o", amount=amount, currency="USD", start=start, end=end, convention=conv)
    assert sum(s.amounts) == amount
    assert all(a >= 0 for a in s.amounts)


@SETTINGS
@given(
    amount=st.integers(min_value=10_000, max_value=10**9),
    day=st.integers(min_value=25, max_value=31),
    months=st.integers(min_value=2, max_value=36),
    method=st.sampled_from([Method.EXACT_DAYS, Method.DAILY_RATE, Method.PRORATE_FIRST_LAST]),
)
def test_sub_unit_first_period_never_blocks_later_periods(amount, day, months, method):
    start = date(2024, 1, day)
    end = date(2024 + (months // 12), months % 12 + 1, 1) - timedelta(days=1)
    conv = Convention(method=method, unit=100_00)
    s = ratable_schedule(obligation_id="o", amount=amount, currency="USD", start=start, end=end, convention=conv)
    assert sum(s.amounts) == amount
    full_month_share = amount * 28 // ((end - start).days + 1)
    if full_month_share >= 2 * conv.unit:
        assert all(a > 0 for a in s.amounts[1:-1])


@SETTINGS
@given(
    amount=st.integers(min_value=0, max_value=10**8),
    start=starts,
    span=spans,
    bills=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 10**8), st.sampled_from(list(BillingKind))), max_size=6
    ),
)
def test_journals_balance_and_rollforward_closes(amount, start, span, bills):
    s = ratable_schedule(
        obligation_id="o",
        amount=amount,
        currency="EUR",
        start=start,
        end=start + timedelta(days=span),
        convention=Convention(),
    )
    events = [
        BillingEvent(id=str(i), kind=k, on=start + timedelta(days=d), amount=a, currency="EUR")
        for i, (d, a, k) in enumerate(bills)
    ]
    rows = contract_balances(currency="EUR", schedules=[s], events=events, calendar=CalendarMonths())
    assert all(r.closes for r in rows)
    assert all(e.balanced for e in journal_entries(rows, "EUR"))


@SETTINGS
@given(amount=amounts, start=starts, span=spans, conv=conventions)
def test_recompute_then_verify_matches(amount, start, span, conv):
    end = start + timedelta(days=span)
    s = ratable_schedule(obligation_id="o", amount=amount, currency="USD", start=start, end=end, convention=conv)
    result = verify_schedule(
        obligation_id="o", vendor=s.by_period(), amount=amount, currency="USD", start=start, end=end, convention=conv
    )
    assert result.cause is Cause.MATCH and not result.differences
