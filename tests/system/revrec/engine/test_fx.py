"""Multi-currency: rate tables, historical-rate revenue from advances, receivable remeasurement."""

from datetime import date
from fractions import Fraction

import pytest

from services.system.revrec.engine import (
    FX,
    Convention,
    FxEvent,
    FxEventKind,
    InvalidInputError,
    Rate,
    RateTable,
    UnknownCurrencyError,
    functional_ledger,
    ratable_schedule,
    recognition_events,
)

INV, PAY, REC, RM, CN = (
    FxEventKind.INVOICE,
    FxEventKind.PAYMENT,
    FxEventKind.RECOGNITION,
    FxEventKind.REMEASURE,
    FxEventKind.CREDIT_NOTE,
)


def _ev(kind, on, amount=0):
    return FxEvent(kind=kind, on=on, amount=amount)


def _totals(entry):
    return {line.account: line.debit - line.credit for line in entry.lines}


class TestIfric22Example4:
    """IFRIC 22 Foreign Currency Transactions and Advance Consideration, Illustrative Examples,
    Example 4 "Multiple receipts for revenue recognised at multiple points in time" (IE16-IE18; also
    AASB Interpretation 22 IE). Published facts: price FC1,000 allocated FC450 to product 1
    (transferred 1 March 20X4) and FC550 to product 2 (1 June 20X4); FC200 received in advance on
    31 January 20X4 relates to product 1; on transfer of product 1 the entity has an unconditional
    right to FC250; the balance FC800 is received 1 June 20X4. Spot rates FC1 = LC1.50 (31 Jan),
    LC1.70 (1 Mar), LC1.90 (1 Jun). Published entry (a): Dr Cash / Cr Contract liability FC200 = LC300.

    The later entries follow from those facts by the interpretation's rule (shown by hand):
    (b) 1 Mar revenue = FC200 x 1.50 + FC250 x 1.70 = 300 + 425 = LC725, receivable LC425;
    (c) 1 Jun revenue = FC550 x 1.90 = LC1,045, receivable LC1,045;
    (d) 1 Jun cash FC800 x 1.90 = LC1,520 against a receivable of 425 + 1,045 = LC1,470:
    exchange gain LC50 (= FC250 x (1.90 - 1.70)). Local-currency units are reproduced as minor units.
    The year 20X4 is taken as 2024.
    """

    rates = RateTable(
        transaction="EUR",
        functional="USD",
        rates=(
            Rate(date(2024, 1, 31), Fraction(3, 2)),
            Rate(date(2024, 3, 1), Fraction(17, 10)),
            Rate(date(2024, 6, 1), Fraction(19, 10)),
        ),
    )
    events = (
        _ev(INV, date(2024, 1, 31), 20_000),
        _ev(PAY, date(2024, 1, 31), 20_000),
        _ev(REC, date(2024, 3, 1), 45_000),
        _ev(INV, date(2024, 3, 1), 25_000),
        _ev(REC, date(2024, 6, 1), 55_000),
        _ev(INV, date(2024, 6, 1), 55_000),
        _ev(PAY, date(2024, 6, 1), 80_000),
    )

    def test_advance_is_translated_at_the_payment_date(self):
        ledger = functional_ledger(rates=self.rates, events=self.events[:2])
        assert ledger.deferred == (20_000, 30_000)
        assert ledger.cash == 30_000

    def test_revenue_uses_the_historical_rate_for_the_advance(self):
        ledger = functional_ledger(rates=self.rates, events=self.events[:4])
        recognition = next(e for e in ledger.entries if e.memo == "recognition")
        assert _totals(recognition)["revenue"] == -72_500
        assert ledger.receivable == (25_000, 42_500)
        assert ledger.deferred == (0, 0)

    def test_settlement_gives_the_exchange_gain(self):
        ledger = functional_ledger(rates=self.rates, events=self.events)
        assert ledger.revenue == 72_500 + 104_500
        payment = [e for e in ledger.entries if e.memo == "payment"][-1]
        assert _totals(payment) == {"cash": 152_000, "accounts_receivable": -147_000, FX: -5_000}
        assert ledger.fx_gain == 5_000
        assert ledger.receivable == (0, 0) and ledger.contract_asset == (0, 0)
        assert all(e.balanced for e in ledger.entries)


def test_year_end_remeasurement_and_settlement_loss():
    """Hand computation (IAS 21.23(a), 21.28): EUR 1,200.00 billed 1 Dec 2024 for a one-year
    service (USD functional), rate 1.10 -> Dr AR / Cr deferred USD 1,320.00. December revenue
    31/365 x 1,200 = EUR 101.92 from the advance at its historical 1.10 = USD 112.11 (1.10 x 101.92
    = 112.112). At 31 Dec the rate is 1.05: AR 1,200 x 1.05 = 1,260.00, loss 60.00; the deferred
    revenue stays at 1,320.00 - 112.11 = 1,207.89. Paid 15 Jan 2025 at 1.08: cash 1,296.00 against
    AR 1,260.00 -> gain 36.00. Net exchange result -24.00 = 1,200 x (1.08 - 1.10)."""
    rates = RateTable(
        transaction="EUR",
        functional="USD",
        rates=(
            Rate(date(2024, 12, 1), Fraction(11, 10)),
            Rate(date(2024, 12, 31), Fraction(105, 100)),
            Rate(date(2025, 1, 15), Fraction(108, 100)),
        ),
    )
    sched = ratable_schedule(
        obligation_id="o",
        amount=120_000,
        currency="EUR",
        start=date(2024, 12, 1),
        end=date(2025, 11, 30),
        convention=Convention(),
    )
    assert sched.amounts[0] == 10_192
    december = recognition_events([sched], "EUR")[0]
    events = [_ev(INV, date(2024, 12, 1), 120_000), december, _ev(RM, date(2024, 12, 31))]
    ledger = functional_ledger(rates=rates, events=events)
    assert ledger.revenue == 11_211
    assert ledger.receivable == (120_000, 126_000)
    assert ledger.deferred == (120_000 - 10_192, 132_000 - 11_211)
    assert ledger.fx_gain == -6_000
    ledger = functional_ledger(rates=rates, events=[*events, _ev(PAY, date(2025, 1, 15), 120_000)])
    assert ledger.fx_gain == -6_000 + 3_600
    assert ledger.cash == 129_600


def test_advance_received_without_invoice_and_revenue_beyond_it():
    """Hand computation (IFRIC 22.9, Example 2 pattern): GBP 40.00 received 1 Aug at 1.20 (USD 48.00,
    a layer never remeasured); GBP 100.00 of goods delivered 1 Sep at 1.30: revenue 48.00 from the
    advance plus 60 x 1.30 = 78.00 to the contract asset = 126.00; invoiced the same day, the asset
    becomes a receivable of 78.00 with no exchange difference."""
    rates = RateTable(
        transaction="GBP",
        functional="USD",
        rates=(Rate(date(2024, 8, 1), Fraction(6, 5)), Rate(date(2024, 9, 1), Fraction(13, 10))),
    )
    events = [_ev(PAY, date(2024, 8, 1), 4_000), _ev(REC, date(2024, 9, 1), 10_000), _ev(INV, date(2024, 9, 1), 6_000)]
    ledger = functional_ledger(rates=rates, events=events)
    assert ledger.revenue == 12_600
    assert ledger.receivable == (6_000, 7_800)
    assert ledger.contract_asset == (0, 0) and ledger.deferred == (0, 0)
    assert ledger.fx_gain == 0


def test_exponents_differ():
    """Hand computation: EUR 10.00 (1,000 cents) at EUR 1 = JPY 161.5 is JPY 1,615 (JPY has no minor
    unit); KWD has three decimals: EUR 10.00 at 0.333 = KWD 3.330 = 3,330 fils."""
    jpy = RateTable(transaction="EUR", functional="JPY", rates=(Rate(date(2024, 1, 1), Fraction(3230, 20)),))
    assert jpy.convert(1_000, date(2024, 5, 1)) == 1_615
    kwd = RateTable(transaction="EUR", functional="KWD", rates=(Rate(date(2024, 1, 1), Fraction(333, 1000)),))
    assert kwd.convert(1_000, date(2024, 5, 1)) == 3_330


def test_bad_rate_input():
    with pytest.raises(UnknownCurrencyError):
        RateTable(transaction="EUR", functional="XYZ", rates=(Rate(date(2024, 1, 1), Fraction(1)),))
    with pytest.raises(InvalidInputError):
        RateTable(transaction="EUR", functional="USD", rates=(Rate(date(2024, 1, 1), Fraction(0)),))
    with pytest.raises(InvalidInputError):
        RateTable(
            transaction="EUR",
            functional="USD",
            rates=(Rate(date(2024, 2, 1), Fraction(1)), Rate(date(2024, 1, 1), Fraction(1))),
        )
    table = RateTable(transaction="EUR", functional="USD", rates=(Rate(date(2024, 2, 1), Fraction(1)),))
    with pytest.raises(InvalidInputError) as err:
        table.rate_on(date(2024, 1, 31))
    assert err.value.field == "rates"
    with pytest.raises(InvalidInputError):
        functional_ledger(rates=table, events=[_ev(CN, date(2024, 3, 1), 100)])
