"""Property tests: the invariants every allocation, schedule, balance and journal must keep."""

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from services.system.revrec.engine import (
    FX,
    AllocationLine,
    AllocationRounding,
    BillingEvent,
    BillingKind,
    CalendarMonths,
    Cause,
    Convention,
    DayCount,
    EngineError,
    Fiscal445,
    Fiscal5253,
    FxEvent,
    FxEventKind,
    InvalidInputError,
    Method,
    Milestone,
    Modification,
    ModificationKind,
    Rate,
    RateTable,
    Reestimate,
    RemainderPolicy,
    RoundingMode,
    YearEnd,
    allocate,
    contract_balances,
    functional_ledger,
    instant_schedule,
    journal_entries,
    milestone_schedule,
    modify_ratable,
    period_balance,
    periods_between,
    post_to_open_periods,
    ratable_schedule,
    verify_schedule,
)

SETTINGS = settings(max_examples=150, deadline=None)
FISCAL = Fiscal445(year_start=date(2019, 12, 29), first_year=2020)
RETAIL = Fiscal5253(end_month=1, weekday=5, label_offset=1, pattern=(4, 5, 4))
conventions = st.builds(
    Convention,
    calendar=st.sampled_from([CalendarMonths(), FISCAL, RETAIL]),
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
@given(
    amounts_=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=3),
    start=starts,
    span=spans,
    conv=conventions,
    bills=st.lists(
        st.tuples(st.integers(0, 1300), st.integers(0, 10**8), st.sampled_from(list(BillingKind))), max_size=8
    ),
    at=st.integers(min_value=0, max_value=60),
)
def test_one_period_balance_and_its_entries_equal_the_full_run(amounts_, start, span, conv, bills, at):
    """The period-end path (one period's balance, its entries) is the full computation's row and entries."""
    schedules = [
        ratable_schedule(
            obligation_id=str(i),
            amount=a,
            currency="USD",
            start=start,
            end=start + timedelta(days=span),
            convention=conv,
        )
        for i, a in enumerate(amounts_)
    ]
    events = [
        BillingEvent(id=str(i), kind=k, on=start + timedelta(days=d), amount=a, currency="USD")
        for i, (d, a, k) in enumerate(bills)
    ]
    rows = contract_balances(currency="USD", schedules=schedules, events=events, calendar=conv.calendar)
    key = conv.calendar.period_of(start + timedelta(days=30 * at)).key
    row = period_balance(currency="USD", schedules=schedules, events=events, calendar=conv.calendar, period=key)
    same = [r for r in rows if r.period == key]
    if same:
        assert row == same[0]
    else:
        # No activity in the period: nothing moves, at the balances carried into it.
        assert (row.billed, row.credited, row.collected, row.recognised, row.reclassified) == (0, 0, 0, 0, 0)
        earlier = [r for r in rows if r.period < key]
        carried = (
            (earlier[-1].closing_liability, earlier[-1].contract_asset, earlier[-1].receivable)
            if earlier
            else (0, 0, 0)
        )
        assert (row.opening_liability, row.contract_asset, row.receivable) == carried
    assert journal_entries([row], "USD") == [e for e in journal_entries(rows, "USD") if e.period == key]


@SETTINGS
@given(amount=amounts, start=starts, span=spans, conv=conventions)
def test_recompute_then_verify_matches(amount, start, span, conv):
    end = start + timedelta(days=span)
    s = ratable_schedule(obligation_id="o", amount=amount, currency="USD", start=start, end=end, convention=conv)
    result = verify_schedule(
        obligation_id="o", vendor=s.by_period(), amount=amount, currency="USD", start=start, end=end, convention=conv
    )
    assert result.cause is Cause.MATCH and not result.differences


fx_kinds = st.sampled_from([k for k in FxEventKind if k is not FxEventKind.REMEASURE])


@SETTINGS
@given(
    rates=st.lists(
        st.fractions(min_value=Fraction(1, 100), max_value=200, max_denominator=10_000), min_size=1, max_size=6
    ),
    events=st.lists(st.tuples(fx_kinds, st.integers(0, 120), st.integers(0, 10**7)), max_size=10),
    functional=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_functional_ledger_balances_and_remeasurement_rolls_forward(rates, events, functional):
    start = date(2024, 1, 1)
    table = RateTable(
        transaction="EUR",
        functional=functional,
        rates=tuple(Rate(start + timedelta(days=20 * i), r) for i, r in enumerate(rates)),
    )
    evs = [FxEvent(kind=k, on=start + timedelta(days=d), amount=a) for k, d, a in events]
    close = start + timedelta(days=121)
    try:
        ledger = functional_ledger(rates=table, events=[*evs, FxEvent(kind=FxEventKind.REMEASURE, on=close)])
    except InvalidInputError:
        reject()  # a credit note above the open receivable
    assert all(e.balanced for e in ledger.entries)
    by_account = {}
    for entry in ledger.entries:
        for line in entry.lines:
            by_account[line.account] = by_account.get(line.account, 0) + line.debit - line.credit
    # Roll-forward: every account's movements close to the reported balance.
    assert by_account.get("accounts_receivable", 0) == ledger.receivable[1]
    assert by_account.get("contract_asset", 0) == ledger.contract_asset[1]
    assert -by_account.get("deferred_revenue", 0) == ledger.deferred[1]
    assert -by_account.get("revenue", 0) == ledger.revenue and -by_account.get(FX, 0) == ledger.fx_gain
    # After remeasurement the monetary balances sit exactly at the closing rate.
    assert ledger.receivable[1] == table.convert(ledger.receivable[0], close)
    assert ledger.contract_asset[1] == table.convert(ledger.contract_asset[0], close)
    if ledger.receivable[0] == ledger.contract_asset[0] == ledger.deferred[0] == 0:
        # Fully earned and settled: the cash collected is the revenue plus the net exchange result.
        assert ledger.cash == by_account.get("cash", 0) == ledger.revenue + ledger.fx_gain


@SETTINGS
@given(
    amount=amounts,
    start_ms=st.integers(min_value=0, max_value=10**11),
    span_ms=st.integers(min_value=1, max_value=10**11),
    method=st.sampled_from([Method.BY_MILLISECOND, Method.PRORATE_FIRST_LAST, Method.EVEN_PERIODS]),
    unit=st.sampled_from([1, 100]),
    rounding=st.sampled_from(list(RoundingMode)),
    remainder=st.sampled_from(list(RemainderPolicy)),
)
def test_instant_schedule_sums_and_never_negative(amount, start_ms, span_ms, method, unit, rounding, remainder):
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(milliseconds=start_ms)
    conv = Convention(method=method, unit=unit, rounding=rounding, remainder=remainder)
    s = instant_schedule(
        obligation_id="o",
        amount=amount,
        currency="USD",
        start=start,
        end=start + timedelta(milliseconds=span_ms),
        convention=conv,
    )
    assert sum(s.amounts) == amount
    assert all(a >= 0 for a in s.amounts)


@SETTINGS
@given(
    end_month=st.integers(1, 12),
    weekday=st.integers(0, 6),
    rule=st.sampled_from(list(YearEnd)),
    year=st.integers(1990, 2090),
)
def test_fiscal_5253_years_tile_the_timeline(end_month, weekday, rule, year):
    cal = Fiscal5253(end_month=end_month, weekday=weekday, rule=rule)
    assert cal.weeks(year) in (52, 53)
    assert cal.year_end(year).weekday() == weekday
    periods = periods_between(cal, cal.year_end(year - 1) + timedelta(days=1), cal.year_end(year) + timedelta(days=1))
    assert len(periods) == 12
    assert all(a.end == b.start for a, b in pairwise(periods))
    assert periods[-1].end - periods[0].start == timedelta(weeks=cal.weeks(year))


@SETTINGS
@given(
    allocated=st.integers(0, 10**9),
    weights=st.lists(st.integers(0, 1000), min_size=1, max_size=8),
    new_allocation=st.integers(0, 10**9),
    unit=st.sampled_from([1, 100]),
)
def test_milestones_sum_to_allocation_when_all_reached(allocated, weights, new_allocation, unit):
    weights[0] += 1
    ms = [Milestone(id=str(i), weight=w, reached=date(2024, 1 + i, 1)) for i, w in enumerate(weights)]
    s = milestone_schedule(
        obligation_id="o",
        allocated=allocated,
        currency="USD",
        calendar=CalendarMonths(),
        milestones=ms,
        reestimates=[Reestimate(on=date(2024, 3, 15), allocated=new_allocation)],
        unit=unit,
    )
    assert sum(s.amounts) == s.total == new_allocation
    # Without the re-estimate's catch-up, no line is negative.
    assert all(a >= 0 for a, k in zip(s.amounts, s.kinds, strict=True) if k == "recognition")


@SETTINGS
@given(
    amount=amounts,
    start=starts,
    span=spans,
    conv=conventions,
    kind=st.sampled_from(list(ModificationKind)),
    effective_at=st.fractions(min_value=0, max_value=1),
    added=st.integers(min_value=-(10**10), max_value=10**10),
    new_span=st.one_of(st.none(), spans),
    open_at=st.fractions(min_value=0, max_value=1),
    bills=st.lists(
        st.tuples(st.integers(0, 1300), st.integers(1, 10**9), st.sampled_from(list(BillingKind))), max_size=6
    ),
)
def test_a_period_is_negative_only_where_a_modification_or_a_credit_causes_it(
    amount, start, span, conv, kind, effective_at, added, new_span, open_at, bills
):
    """Negative lines are a modification's catch-up or lie where a price reduction applies; credits alone
    make a period's billing negative."""
    end = start + timedelta(days=span)
    original = ratable_schedule(obligation_id="o", amount=amount, currency="USD", start=start, end=end, convention=conv)
    assert all(a >= 0 for a in original.amounts)
    new_end = None if new_span is None else start + timedelta(days=new_span)
    effective = start + timedelta(days=int(effective_at * min(span, new_span or span)))
    mod = Modification(
        version=2, effective=effective, kind=kind, obligation_id="o", added_consideration=added, new_end=new_end
    )
    try:
        result = modify_ratable(original=original, start=start, end=end, convention=conv, modification=mod)
    except EngineError:
        reject()  # e.g. a half-open service period that the change leaves empty
    reached = conv.calendar.period_of(effective).key

    def caused(line) -> bool:
        # A negative line is the modification's own catch-up, or lies where a price reduction takes effect.
        return line.kind == "catch_up" or (added < 0 and line.period.key >= reached)

    revised = result.schedules[0]
    for schedule in result.schedules:
        assert all(caused(line) for line in schedule.lines if line.amount < 0)
    assert all(a >= 0 for p, a in zip(revised.periods, revised.amounts, strict=True) if p.key < reached)

    keys = sorted({p.key for p in revised.periods})
    first_open = keys[int(open_at * (len(keys) - 1))]
    posted = post_to_open_periods(posted=original, revised=revised, first_open=first_open)
    assert all(caused(line) for line in posted.lines if line.amount < 0)
    assert all(a >= 0 for p, a in zip(posted.periods, posted.amounts, strict=True) if p.key < first_open)

    events = [
        BillingEvent(id=str(i), kind=k, on=start + timedelta(days=d), amount=a, currency="USD")
        for i, (d, a, k) in enumerate(bills)
    ]
    credited = {conv.calendar.period_of(e.on).key for e in events if e.kind is BillingKind.CREDIT_NOTE}
    lines = {(line.period.key, line.kind): line for s in result.schedules for line in s.lines}
    for row in contract_balances(currency="USD", schedules=result.schedules, events=events, calendar=conv.calendar):
        if row.recognised < 0:
            assert any(caused(line) for (key, _), line in lines.items() if key == row.period and line.amount < 0)
        if row.billed - row.credited < 0:
            assert row.period in credited
