"""Variable consideration through the API: the estimate, the constraint and the price they give, over HTTP."""

from __future__ import annotations

PROBLEM = "application/problem+json"
CONTRACTS = 100
"""IFRS 15 Example 22 is a portfolio of 100 contracts of one product each; the API registers one of them."""


def money(amount_minor: int, currency: str = "USD") -> dict:
    return {"amount_minor": amount_minor, "currency": currency}


def register_body(price: int, obligations: list[dict], **extra) -> dict:
    return {"customer_id": "cus_1", "currency": "USD", "transaction_price": money(price), "obligations": obligations,
            **extra}


def _sale(price: int, on: str = "2024-03-01") -> dict:
    return {"id": "product", "name": "Product", "pattern": "point_in_time", "standalone_selling_price": money(price),
            "satisfied_on": on}


def _variable(method: str, outcomes: list[tuple[int, str]], confidence: str = "0.75", currency: str = "USD") -> dict:
    return {"method": method, "confidence": confidence,
            "outcomes": [{"amount": money(a, currency), "probability": p} for a, p in outcomes]}


def _fields(response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return [e["field"] for e in response.json().get("errors") or []]


def test_register_right_of_return_reproduces_ifrs15_example_22(api):
    """IFRS 15 Illustrative Examples, Example 22 (IE110-IE115): 100 contracts each selling one product for CU100,
    a full refund on return; by the expected value method 97 products will not be returned, and the constraint
    keeps the whole estimate: revenue CU9,700 and a refund liability of CU300 for the 100 contracts. One
    contract: CU100 fixed, a refund of CU100 with probability 3/100."""
    refund = _variable("expected_value", [(0, "0.97"), (-10_000, "0.03")])
    view = api.register(register_body(10_000, [_sale(10_000)], variable_consideration=refund))
    allocation = view["allocation"]
    assert allocation["transaction_price"]["amount_minor"] * CONTRACTS == 9_700 * 100
    assert -allocation["variable_consideration"]["amount_minor"] * CONTRACTS == 300 * 100
    assert api.by_period(view, "product") == {"2024-03": 9_700 * 100 // CONTRACTS}
    assert view["contract"]["transaction_price"]["amount_minor"] * CONTRACTS == 9_700 * 100
    assert view["variable_consideration"] == refund
    again = api.get(f"/contracts/{view['contract']['id']}/allocation").json()
    assert again["variable_consideration"] == allocation["variable_consideration"]


def test_preview_restocking_fee_and_most_likely_amount(api):
    """TRG staff paper "Accounting for Restocking Fees and Related Costs" (13 July 2015, Agenda Ref. 35): 10
    widgets at $100, a returned widget refunded less a $10 restocking fee, 10% expected to be returned by the
    expected value method: revenue $910 for the 10 widgets. One widget: $100 fixed, a $90 refund with
    probability 1/10. Under the most likely amount instead (hand computation) the single most likely outcome of
    one widget is no return, so its price stays $100."""
    widgets = 10
    outcomes = [(0, "0.9"), (-9_000, "0.1")]
    body = {"currency": "USD", "transaction_price": money(10_000), "obligations": [_sale(10_000)]}
    expected = api.post("/previews/allocation", {**body, "variable_consideration": _variable("expected_value",
                                                                                             outcomes)})
    assert expected.status_code == 200, expected.text
    assert expected.json()["transaction_price"]["amount_minor"] * widgets == 910 * 100
    likely = api.post("/previews/schedule", {**body, "variable_consideration": _variable("most_likely_amount",
                                                                                         outcomes)})
    assert likely.status_code == 200, likely.text
    assert likely.json()["allocation"]["variable_consideration"]["amount_minor"] == 0
    assert likely.json()["schedules"][0]["allocation"]["amount_minor"] == 10_000


def test_without_variable_consideration_the_price_is_as_given(api):
    """Backward compatible: a request without the field allocates its transaction price and shows no estimate."""
    view = api.register(register_body(10_000, [_sale(10_000)]))
    assert view["allocation"]["transaction_price"]["amount_minor"] == 10_000
    assert view["allocation"].get("variable_consideration") is None
    assert view.get("variable_consideration") is None


class TestRefusals:
    def test_probabilities_must_sum_to_one(self, api):
        """Outcomes that are not a distribution are refused, naming the outcomes."""
        request = register_body(10_000, [_sale(10_000)],
                                variable_consideration=_variable("expected_value", [(0, "0.9"), (-9_000, "0.05")]))
        assert _fields(api.post("/contracts", request), 400) == ["variable_consideration.outcomes"]

    def test_outcome_in_another_currency(self, api):
        """An outcome in another currency than the contract's is refused, naming its currency."""
        request = register_body(10_000, [_sale(10_000)], variable_consideration=_variable(
            "expected_value", [(0, "1")], currency="EUR"))
        assert _fields(api.post("/contracts", request), 400) == ["variable_consideration.outcomes.0.amount.currency"]

    def test_probability_above_one(self, api):
        """A probability above 1 does not pass validation."""
        request = register_body(10_000, [_sale(10_000)],
                                variable_consideration=_variable("most_likely_amount", [(0, "1.5")]))
        response = api.post("/contracts", request)
        assert response.status_code == 400, response.text
        assert "variable_consideration" in response.text

    def test_penalty_larger_than_the_price(self, api):
        """A penalty that would make the price negative is refused, naming the transaction price."""
        request = register_body(10_000, [_sale(10_000)],
                                variable_consideration=_variable("expected_value", [(-20_000, "1")]))
        assert _fields(api.post("/contracts", request), 400) == ["transaction_price"]
