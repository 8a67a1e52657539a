"""Worked examples with published numbers, reproduced to the cent.

Every expected figure below is copied from the cited source, not from the engine. Amounts are in
minor units (cents); a source quoting whole units is reproduced with a whole-unit rounding unit.
"""

from datetime import date
from fractions import Fraction

from services.system.revrec.engine import (
    AllocationLine,
    AllocationRounding,
    BillingEvent,
    BillingKind,
    CalendarMonths,
    Cause,
    Convention,
    Method,
    Modification,
    ModificationKind,
    ProgressMeasure,
    RemainderPolicy,
    RoundingMode,
    VariableAllocation,
    allocate,
    contract_balances,
    material_right_ssp,
    modify_ratable,
    progress_schedule,
    ratable_schedule,
    transaction_price,
    verify_schedule,
)

MONTHS = CalendarMonths()
WHOLE = AllocationRounding(unit=100)


def _schedule(amount, start, end, **conv):
    s = ratable_schedule(
        obligation_id="o", amount=amount, currency="USD", start=start, end=end, convention=Convention(**conv)
    )
    return s.by_period()


class TestStripeRevenueRecognition:
    def test_monthly_subscription_per_day(self):
        """Stripe docs, Revenue Recognition > Examples > Subscriptions, "Monthly subscription":
        31 USD from 2019-01-15 to 2019-02-14, per-day basis -> Jan +17.00, Feb +14.00."""
        assert _schedule(3100, date(2019, 1, 15), date(2019, 2, 14)) == {"2019-01": 1700, "2019-02": 1400}

    def test_annual_subscription_per_day(self):
        """Stripe docs, Subscriptions examples, "Annual subscription": 365 USD 2019-01-01..2019-12-31;
        Revenue Jan +31.00, Feb +28.00, Mar +31.00; DeferredRevenue Jan +334.00, Feb -28.00, Mar -31.00."""
        sched = ratable_schedule(
            obligation_id="o",
            amount=36500,
            currency="USD",
            start=date(2019, 1, 1),
            end=date(2019, 12, 31),
            convention=Convention(),
        )
        by = sched.by_period()
        assert [by["2019-01"], by["2019-02"], by["2019-03"]] == [3100, 2800, 3100]
        rows = contract_balances(
            currency="USD",
            schedules=[sched],
            calendar=MONTHS,
            events=[
                BillingEvent(id="in_1", kind=BillingKind.INVOICE, on=date(2019, 1, 1), amount=36500, currency="USD")
            ],
        )
        moves = [r.closing_liability - r.opening_liability for r in rows[:3]]
        assert moves == [33400, -2800, -3100]

    def test_three_month_subscription_fees_example(self):
        """Stripe docs, Revenue Recognition > Examples > Other examples, "Fees": a three-month
        subscription of 90 USD from January 1 -> Revenue +31.00 / +28.00 / +31.00, Deferred +59.00.
        The page gives no year; a non-leap year (as in its 2019 examples) reproduces it."""
        assert _schedule(9000, date(2019, 1, 1), date(2019, 3, 31)) == {
            "2019-01": 3100,
            "2019-02": 2800,
            "2019-03": 3100,
        }

    def test_credit_note_before_payment(self):
        """Stripe docs, Examples > Credit notes, "Credit note before a payment": 120 USD three-month
        subscription from January 1, 30 USD credit note before payment, 90 USD paid in February ->
        AccountsReceivable +90.00 / -90.00; Revenue +31 / +28 / +31; DeferredRevenue +59 / -28 / -31.
        The table is labelled 2024, but 31/28/31 of 90 only holds for 90 service days, so the
        non-leap convention (Jan 1 - Mar 31 of a 365-day year) is what reproduces it."""
        sched = ratable_schedule(
            obligation_id="o",
            amount=9000,
            currency="USD",
            start=date(2023, 1, 1),
            end=date(2023, 3, 31),
            convention=Convention(),
        )
        events = [
            BillingEvent(id="in", kind=BillingKind.INVOICE, on=date(2023, 1, 1), amount=12000, currency="USD"),
            BillingEvent(id="cn", kind=BillingKind.CREDIT_NOTE, on=date(2023, 1, 1), amount=3000, currency="USD"),
            BillingEvent(id="py", kind=BillingKind.PAYMENT, on=date(2023, 2, 10), amount=9000, currency="USD"),
        ]
        rows = contract_balances(currency="USD", schedules=[sched], events=events, calendar=MONTHS)
        assert [r.receivable for r in rows] == [9000, 0, 0]
        assert [r.recognised for r in rows] == [3100, 2800, 3100]
        assert [r.closing_liability - r.opening_liability for r in rows] == [5900, -2800, -3100]

    def test_amortization_by_day(self):
        """Stripe docs, Revenue Recognition settings examples, "Amortization granularity", by day:
        120 USD, 4-month subscription from 2024-06-15 -> Jun 16.00, Jul 31.00, Aug 31.00, Sep 30.00,
        Oct 12.00 (the service ends 2024-10-13 at noon, i.e. last full day Oct 12)."""
        got = _schedule(12000, date(2024, 6, 15), date(2024, 10, 12))
        assert got == {"2024-06": 1600, "2024-07": 3100, "2024-08": 3100, "2024-09": 3000, "2024-10": 1200}

    def test_amortization_by_month_evenly(self):
        """Same Stripe page, "amortization by month evenly": Jun, Jul, Aug, Sep +30.00 each (no October)."""
        got = _schedule(12000, date(2024, 6, 15), date(2024, 10, 12), method=Method.EVEN_TERM_MONTHS)
        assert got == {"2024-06": 3000, "2024-07": 3000, "2024-08": 3000, "2024-09": 3000}


class TestNetSuiteStraightLine:
    """NetSuite Help, "Straight-Line Revenue Recognition Examples in Advanced Revenue Management
    (Essentials)": 400.00 over a term of 122 days with 12 days in August and 19 in December
    (Aug 20 - Dec 19)."""

    start, end = date(2023, 8, 20), date(2023, 12, 19)

    def test_even_periods(self):
        """ "Straight-line, by even periods": 80.00 in each of August..December."""
        got = _schedule(40000, self.start, self.end, method=Method.EVEN_PERIODS)
        assert list(got.values()) == [8000] * 5

    def test_prorate_first_last_rounding_to_next_to_last(self):
        """ "Straight-line, prorate first & last period (with rounding)": Aug 39.34 (12/122 x 400),
        Sep 99.45, Oct 99.45, Nov (rounded) 99.46, Dec 62.30 (19/122 x 400); the rounding difference
        is added to the next-to-last period. Reproduced with half-up rounding + NEXT_TO_LAST."""
        got = _schedule(
            40000, self.start, self.end, method=Method.PRORATE_FIRST_LAST, remainder=RemainderPolicy.NEXT_TO_LAST
        )
        assert list(got.values()) == [3934, 9945, 9945, 9946, 6230]

    def test_exact_days(self):
        """ "Straight-line, using exact days": August 39.34, September 98.36, October 101.64, total 400.00.
        The stored copy of the page this was checked against ends its table after "November", so the November
        and December rows are not asserted one by one; the total pins their sum (160.66)."""
        got = _schedule(40000, self.start, self.end)
        assert [got["2023-08"], got["2023-09"], got["2023-10"]] == [3934, 9836, 10164]
        assert sum(got.values()) == 40000

    def test_verify_explains_remainder_placement(self):
        """The NetSuite prorate figures above, verified against a claim of "remainder on the last
        period": the engine names remainder placement as the cause of the one-cent difference."""
        vendor = {"2023-08": 3934, "2023-09": 9945, "2023-10": 9945, "2023-11": 9946, "2023-12": 6230}
        result = verify_schedule(
            obligation_id="o",
            vendor=vendor,
            amount=40000,
            currency="USD",
            start=self.start,
            end=self.end,
            convention=Convention(method=Method.PRORATE_FIRST_LAST, remainder=RemainderPolicy.LAST),
        )
        assert result.cause is Cause.REMAINDER_PLACEMENT
        assert [(d.period, d.difference) for d in result.differences] == [("2023-11", 1), ("2023-12", -1)]


class TestCertiniaAllocation:
    """Certinia (FinancialForce) Revenue Management help, "Example Calculations"."""

    def test_example_1_simple_allocation(self):
        """Example 1: total revenue 120, SSPs A 50, B 25, C 75 (total 150) -> allocated 40, 20, 60."""
        lines = [AllocationLine(obligation_id=k, ssp=v * 100) for k, v in (("A", 50), ("B", 25), ("C", 75))]
        got = allocate(transaction_price=12000, currency="USD", lines=lines).amounts()
        assert got == {"A": 4000, "B": 2000, "C": 6000}

    def test_example_2_free_item(self):
        """Example 2: total revenue 30, C given free; SSPs 20, 10, 10 -> allocated 15, 7.5, 7.5."""
        lines = [AllocationLine(obligation_id=k, ssp=v * 100) for k, v in (("A", 20), ("B", 10), ("C", 10))]
        got = allocate(transaction_price=3000, currency="USD", lines=lines).amounts()
        assert got == {"A": 1500, "B": 750, "C": 750}


class TestKpmgLoyaltyPoints:
    """KPMG, Revenue - IFRS 15 handbook (2019), Example 10A / 10B "Customer loyalty points programme"
    (based on IFRS 15.IE267-IE270): 9,000 allocated to the points; whole-currency-unit rounding."""

    def test_points_ssp(self):
        """10A note 2: SSP of the points = 10,000 x 1 x 97% = 9,700."""
        assert material_right_ssp(discount=1, likelihood=Fraction(97, 100), quantity=10_000) == 9_700

    def _progress(self, year3_expected):
        return progress_schedule(
            obligation_id="points",
            allocated=900_000,
            currency="USD",
            calendar=MONTHS,
            unit=100,
            measures=[
                ProgressMeasure(on=date(2020, 12, 31), done=4_500, expected_total=9_700),
                ProgressMeasure(on=date(2021, 12, 31), done=8_500, expected_total=year3_expected),
            ],
        ).amounts

    def test_10a_year_2_and_year_3_catch_up(self):
        """10A: Year 2 revenue 4,175 = 9,000 x 4,500 / 9,700; Year 3 revenue 3,552 =
        9,000 x 8,500 / 9,900 - 4,175 (estimate raised to 9,900 points: cumulative catch-up)."""
        assert self._progress(9_900) == (417_500, 355_200)

    def test_10b_decrease_in_estimated_redemptions(self):
        """10B: estimate lowered to 9,200 -> Year 3 revenue 4,140 = 9,000 x 8,500 / 9,200 - 4,175."""
        assert self._progress(9_200)[1] == 414_000


class TestMaterialRightsAndVariableConsideration:
    def test_option_ssp(self):
        """ifrscommunity.com knowledge base, "Customer Loyalty Programmes and Other Options" (IFRS 15):
        option to buy Y (SSP 700) for 500, 50 discount available to any returning customer, 80%
        likelihood -> option SSP (200 - 50) x 80% = 120."""
        assert material_right_ssp(discount=200, discount_without_option=50, likelihood=Fraction(8, 10)) == 120

    def test_grocery_points_allocation(self):
        """ "Illustration IFRS 15" (Scribd, grocery retailer): sales P7,200,000; 8,000 points expected
        to be redeemed at P100 -> SSP 800,000; allocated products 6,480,000, points 720,000."""
        points_ssp = material_right_ssp(discount=100, likelihood=Fraction(8, 10), quantity=10_000)
        assert points_ssp == 800_000
        lines = [
            AllocationLine(obligation_id="products", ssp=720_000_000),
            AllocationLine(obligation_id="points", ssp=points_ssp * 100),
        ]
        got = allocate(transaction_price=720_000_000, currency="PHP", lines=lines, rounding=WHOLE).amounts()
        assert got == {"products": 648_000_000, "points": 72_000_000}

    def test_fixed_fee_allocated_by_relative_ssp(self):
        """jkjiwani IFRS 15 practicals, Question 20: licences A and B with SSPs 1,200 and 1,500; the
        fixed 450 is allocated A (1,200 / 2,700) x 450 = 200, B (1,500 / 2,700) x 450 = 250."""
        lines = [AllocationLine(obligation_id="A", ssp=120_000), AllocationLine(obligation_id="B", ssp=150_000)]
        assert allocate(transaction_price=45_000, currency="USD", lines=lines).amounts() == {"A": 20_000, "B": 25_000}

    def test_variable_consideration_to_one_obligation(self):
        """jkjiwani IFRS 15 practicals, Illustration 42 Case A (after IFRS 15 IE Example 35): licence A
        fixed 1,600,000; licence B royalties estimated 2,000,000, allocated entirely to B."""
        lines = [AllocationLine(obligation_id="A", ssp=160_000_000), AllocationLine(obligation_id="B", ssp=200_000_000)]
        got = allocate(
            transaction_price=360_000_000,
            currency="USD",
            lines=lines,
            variable=VariableAllocation(amount=200_000_000, obligation_ids=("B",)),
        ).amounts()
        assert got == {"A": 160_000_000, "B": 200_000_000}

    def test_sla_refund_expected_value(self):
        """PwC Viewpoint, Revenue recognition for SaaS (GX guide, 16 Dec 2022) 3.1: C1 million annual
        fee, on average 5% refunded under the SLA -> transaction price C950,000."""
        expected_refund = Fraction(5, 100) * 1_000_000
        assert transaction_price(fixed=1_000_000, discounts=[expected_refund]) == 950_000


class TestVendorModificationsAndTermMonths:
    def test_zuora_price_increase_is_prospective(self):
        """Zuora Revenue docs, "Use cases of mapping order actions" > Examples: Product A 100/month,
        1 Jan - 31 Dec 2019 booked at 1,200; fee raised to 150/month on 1 Jul -> segment 01/01-06/30
        booked 600 and segment 07/01-12/31 booked 900 (a prospective modification)."""
        conv = Convention(method=Method.EVEN_PERIODS)
        start, end = date(2019, 1, 1), date(2019, 12, 31)
        original = ratable_schedule(
            obligation_id="A", amount=120_000, currency="USD", start=start, end=end, convention=conv
        )
        mod = Modification(
            version=2,
            effective=date(2019, 7, 1),
            kind=ModificationKind.PROSPECTIVE,
            obligation_id="A",
            added_consideration=30_000,
        )
        by = (
            modify_ratable(original=original, start=start, end=end, convention=conv, modification=mod)
            .schedules[0]
            .by_period()
        )
        assert sum(v for k, v in by.items() if k <= "2019-06") == 60_000
        assert sum(v for k, v in by.items() if k >= "2019-07") == 90_000

    def test_chargeover_straight_line_no_proration(self):
        """ChargeOver docs, "Straight-line - No Proration; By Payment Cycle": quarterly invoice of
        1,200.00 for service from Jul 20, 2025 (quarterly term) -> Jul, Aug, Sep 2025 400.00 each."""
        got = _schedule(
            120_000,
            date(2025, 7, 20),
            date(2025, 10, 19),
            method=Method.EVEN_TERM_MONTHS,
            rounding=RoundingMode.HALF_UP,
        )
        assert got == {"2025-07": 40_000, "2025-08": 40_000, "2025-09": 40_000}


class TestRemainderPlacement:
    """Where vendors put the rounding difference, reproduced from their published schedules."""

    def test_chargeover_ratable_daily_remaining_revenue_in_the_last_period(self):
        """ChargeOver docs, Revenue Recognition, "Ratable - Daily Method": a yearly invoice of 1,200.00 for
        service July 20, 2025 - July 19, 2026 (365 days). Jul 2025 39.45 (12/365 x 1,200), Aug 101.92, Sep
        98.63, Oct 101.92, Nov 98.63, Dec 101.92, Jan 2026 101.92, Feb 92.05, Mar 101.92, Apr 98.63, May
        101.92, Jun 98.63, and Jul 2026 62.46, "remaining revenue" (19 days alone would round to 62.47):
        each period rounded half up, the difference on the last period."""
        got = _schedule(120_000, date(2025, 7, 20), date(2026, 7, 19), remainder=RemainderPolicy.LAST)
        assert list(got.items()) == [
            ("2025-07", 3_945),
            ("2025-08", 10_192),
            ("2025-09", 9_863),
            ("2025-10", 10_192),
            ("2025-11", 9_863),
            ("2025-12", 10_192),
            ("2026-01", 10_192),
            ("2026-02", 9_205),
            ("2026-03", 10_192),
            ("2026-04", 9_863),
            ("2026-05", 10_192),
            ("2026-06", 9_863),
            ("2026-07", 6_246),
        ]

    # Zuora Community (Finance), "How does Round Trailing work for Revenue distribution?", for the "Daily
    # recognition over time" rule: 135.33 recognised daily over 1/1/2013 - 3/31/2013 (90 days) at a daily
    # amount of 1.50 after rounding, leaving 0.33.
    zuora = dict(amount=13_533, start=date(2013, 1, 1), end=date(2013, 3, 31), daily=150, days=(31, 28, 31))

    def _zuora(self, remainder):
        z = self.zuora
        got = _schedule(z["amount"], z["start"], z["end"], method=Method.DAILY_RATE, remainder=remainder)
        return [amount - z["daily"] * days for amount, days in zip(got.values(), z["days"], strict=True)]

    def test_zuora_round_trailing(self):
        """ "Round trailing": starting on the last day of the recognition period and working back, add 0.01
        per day until the remaining amount is consumed: January 0.00, February 0.02 (its last two days),
        March 0.31 (all of its 31 days) on top of 1.50 a day."""
        assert self._zuora(RemainderPolicy.TRAILING_PER_DAY) == [0, 2, 31]

    def test_zuora_round_last(self):
        """ "Round last": the whole remaining 0.33 is added to the last day of the term, in March."""
        assert self._zuora(RemainderPolicy.LAST) == [0, 0, 33]
