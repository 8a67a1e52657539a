"""Variable consideration (step 3): expected value, most likely amount and the constraint, on published figures.

Every expected figure is copied from the cited source, not from the engine. The sources state a portfolio
estimate ("97 of 100 products will not be returned"); it is modelled as one contract's outcomes with those
probabilities, and the published portfolio figure is that estimate times the number of contracts.
"""

from fractions import Fraction

import pytest

from services.system.revrec.engine import (
    InvalidInputError,
    Outcome,
    constrained_amount,
    expected_value,
    most_likely_amount,
    transaction_price,
)

HIGHLY_PROBABLE = Fraction(3, 4)
"""The confidence a policy reads "highly probable" (IFRS 15.56) or "probable" (ASC 606-10-32-11) as."""


class TestIfrs15Example22RightOfReturn:
    """IFRS 15 Illustrative Examples, Example 22 "Right of return" (IE110-IE115): 100 contracts, each selling one
    product for CU100 (cost CU60), returnable within 30 days for a full refund. By the expected value method
    (IFRS 15.53(a)) the entity estimates that 97 products will not be returned, and concludes that it is highly
    probable that including CU9,700 will not cause a significant reversal (IFRS 15.56). Published: revenue
    CU9,700 (CU100 x 97), a refund liability of CU300 (CU100 x 3) and an asset of CU180 (CU60 x 3) for the
    right to recover products."""

    kept = Fraction(97, 100)
    price = [Outcome(amount=100, probability=kept), Outcome(amount=0, probability=1 - kept)]

    def test_expected_value_gives_the_published_revenue_refund_liability_and_asset(self):
        revenue = 100 * expected_value(self.price)
        assert revenue == 9_700
        assert transaction_price(fixed=100 * 100, discounts=[100 * 100 - revenue]) == 9_700
        assert 100 * 100 - revenue == 300
        recovered = [Outcome(amount=60, probability=1 - self.kept), Outcome(amount=0, probability=self.kept)]
        assert 100 * expected_value(recovered) == 180

    def test_the_constraint_keeps_the_whole_estimate(self):
        estimate = expected_value(self.price)
        assert 100 * constrained_amount(estimate, self.price, confidence=HIGHLY_PROBABLE) == 9_700


class TestRestockingFee:
    """FASB-IASB Transition Resource Group, staff paper "Accounting for Restocking Fees and Related Costs"
    (13 July 2015, TRG Agenda Ref. 35), and the FASB staff Revenue Recognition Implementation Q&A that
    reproduces it (as published on PwC Viewpoint, Step 3): 10 widgets at $100; a returned widget is refunded
    less a 10% ($10) restocking fee; by the expected value method 10% of widgets will be returned, and it is
    probable that returns will not exceed 10%. Published: revenue of $910 = 9 widgets x $100 + 1 widget x $10."""

    per_widget = [Outcome(amount=100, probability=Fraction(9, 10)), Outcome(amount=10, probability=Fraction(1, 10))]

    def test_expected_value_includes_the_restocking_fee(self):
        assert 10 * expected_value(self.per_widget) == 910

    def test_the_constraint_keeps_the_whole_estimate(self):
        estimate = expected_value(self.per_widget)
        assert 10 * constrained_amount(estimate, self.per_widget, confidence=HIGHLY_PROBABLE) == 910


def test_outcomes_must_be_a_distribution():
    """Bad input is refused, naming the field: probabilities outside 0..1, or not summing to exactly 1."""
    with pytest.raises(InvalidInputError) as err:
        expected_value([Outcome(amount=100, probability=Fraction(9, 10))])
    assert err.value.field == "outcomes"
    with pytest.raises(InvalidInputError) as err:
        most_likely_amount([Outcome(amount=1, probability=Fraction(3, 2)), Outcome(amount=0, probability=-1)])
    assert err.value.field == "outcomes[0].probability"
    with pytest.raises(InvalidInputError):
        constrained_amount(0, [], confidence=HIGHLY_PROBABLE)
