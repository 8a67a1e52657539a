"""Exchange rates added after registration (month-end closing rates), over real HTTP.

Figures are worked by hand from IAS 21 (monetary items remeasured at the closing rate, 21.23(a), the
difference in profit or loss, 21.28; advances non-monetary at their historical rate, IFRIC 22.8) and from the
published IFRIC 22 Example 4; none is read from the engine.
"""

from __future__ import annotations

import pytest

from tests.system.revrec.api.helpers import audit_actions, money, obligation, register_body

CASH, AR, DEFERRED, REVENUE, FX = "1000", "1100", "2400", "4000", "7100"


def _net(entries: list[dict], number: str) -> int:
    """Debits minus credits on one account over ``entries``."""
    return sum(x["amount"]["amount_minor"] * (1 if x["side"] == "debit" else -1)
               for e in entries for x in e["lines"] if x["account"]["number"] == number)


def _functional(api, period: str) -> list[dict]:
    response = api.get(f"/periods/{period}/journal-entries", basis="functional")
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def _add(api, cid: str, *rates: tuple[str, str]):
    return api.post(f"/contracts/{cid}/exchange-rates", {"rates": [{"on": on, "rate": r} for on, r in rates]})


def _link(api, cid: str, doc_id: str, kind: str, on: str, amount: int, currency: str = "EUR") -> None:
    response = api.post(f"/contracts/{cid}/billings", {"id": doc_id, "kind": kind, "document_date": on,
                                                       "amount": money(amount, currency)})
    assert response.status_code == 201, response.text


def _annual(api) -> str:
    """EUR 1,200.00 for a year of service from 1 December 2024, USD functional, registered with one rate
    (1.10 on 1 December) and invoiced that day."""
    body = register_body(120_000, [obligation("o", 120_000, "2024-12-01", "2025-11-30", currency="EUR")],
                         currency="EUR", functional_currency="USD",
                         exchange_rates=[{"on": "2024-12-01", "rate": "1.10"}])
    cid = api.register(body)["contract"]["id"]
    _link(api, cid, "in", "invoice", "2024-12-01", 120_000)
    return cid


class TestLaterClosingRates:
    async def test_a_closing_rate_added_later_remeasures_the_receivable(self, api, redis, key_prefix):
        """Before any later rate the receivable stays at 1,200 x 1.10 = USD 1,320.00 and December has no
        exchange difference. Adding the 31 December closing rate 1.05 remeasures it to 1,260.00: a loss of
        60.00 in December. December's revenue, 31/365 x 1,200 = EUR 101.92 from the advance at its historical
        1.10 = USD 112.11, and the deferred revenue (1,320.00 - 112.11) do not move. Adding 1.08 on 15 January
        and the payment that day: cash 1,296.00 against 1,260.00, a gain of 36.00 in January."""
        cid = _annual(api)
        before = _functional(api, "2024-12")
        assert (_net(before, AR), _net(before, FX), _net(before, REVENUE)) == (132_000, 0, -11_211)
        added = _add(api, cid, ("2024-12-31", "1.05"))
        assert added.status_code == 201, added.text
        assert added.json()["exchange_rates"] == [{"on": "2024-12-01", "rate": "1.10"},
                                                  {"on": "2024-12-31", "rate": "1.05"}]
        december = _functional(api, "2024-12")
        assert (_net(december, AR), _net(december, FX), _net(december, REVENUE)) == (126_000, 6_000, -11_211)
        balances = api.get(f"/contracts/{cid}/balances", as_of="2024-12").json()["functional"]
        assert balances["receivable"] == money(126_000, "USD")
        assert balances["contract_liability"] == money(132_000 - 11_211, "USD")
        assert balances["fx_gain_loss_to_date"] == money(-6_000, "USD")
        assert _add(api, cid, ("2025-01-15", "1.08")).status_code == 201
        _link(api, cid, "py", "payment", "2025-01-15", 120_000)
        january = _functional(api, "2025-01")
        assert (_net(january, CASH), _net(january, FX)) == (129_600, -3_600)
        assert (await audit_actions(redis, key_prefix)).count("revrec.exchange_rates.added") == 2

    def test_ifric_22_example_4_with_the_rates_given_later(self, api):
        """IFRIC 22 Illustrative Examples, Example 4 (IE16-IE18), as in the registration-time test, but the
        contract is registered with only the 31 January rate (1.50) and the 1 March (1.70) and 1 June (1.90)
        rates arrive later. By the interpretation: 1 March revenue FC200 x 1.50 + FC250 x 1.70 = LC725; 1 June
        revenue FC550 x 1.90 = LC1,045; cash FC800 x 1.90 = LC1,520 against a receivable of LC1,470: gain LC50."""
        product = {"name": "Product", "pattern": "point_in_time"}
        body = register_body(100_000, [
            {**product, "id": "p1", "standalone_selling_price": money(45_000, "EUR"), "satisfied_on": "2024-03-01"},
            {**product, "id": "p2", "standalone_selling_price": money(55_000, "EUR"), "satisfied_on": "2024-06-01"},
        ], currency="EUR", functional_currency="USD", exchange_rates=[{"on": "2024-01-31", "rate": "1.5"}])
        cid = api.register(body)["contract"]["id"]
        assert _add(api, cid, ("2024-03-01", "1.7"), ("2024-06-01", "1.9")).status_code == 201
        for doc in (("in1", "invoice", "2024-01-31", 20_000), ("py1", "payment", "2024-01-31", 20_000),
                    ("in2", "invoice", "2024-03-01", 25_000), ("in3", "invoice", "2024-06-01", 55_000),
                    ("py2", "payment", "2024-06-01", 80_000)):
            _link(api, cid, *doc)
        assert (_net(_functional(api, "2024-01"), CASH), _net(_functional(api, "2024-01"), DEFERRED)) == \
            (30_000, -30_000)
        assert _net(_functional(api, "2024-03"), REVENUE) == -72_500
        june = _functional(api, "2024-06")
        assert (_net(june, REVENUE), _net(june, CASH), _net(june, FX)) == (-104_500, 152_000, -5_000)


class TestIdempotence:
    async def test_a_repeated_rate_changes_nothing(self, api, redis, key_prefix):
        """The same rate again (however written: 1.05 and 1.050 are one value) is accepted and adds no
        version; a retry under the same Idempotency-Key is replayed."""
        cid = _annual(api)
        first = _add(api, cid, ("2024-12-31", "1.05"))
        version = first.json()["contract"]["version"]
        again = _add(api, cid, ("2024-12-01", "1.1"), ("2024-12-31", "1.050"))
        assert again.status_code == 201, again.text
        assert again.json()["contract"]["version"] == version
        assert again.json()["exchange_rates"] == first.json()["exchange_rates"]
        body = {"rates": [{"on": "2025-01-31", "rate": "1.07"}]}
        replayed = [api.post(f"/contracts/{cid}/exchange-rates", body, key="rates-2025-01") for _ in range(2)]
        assert replayed[1].headers.get("idempotent-replayed") == "true"
        assert replayed[0].json() == replayed[1].json()
        assert (await audit_actions(redis, key_prefix)).count("revrec.exchange_rates.added") == 2


class TestRefusals:
    def _field(self, response, status: int) -> str:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.json()["errors"][0]["field"]

    def test_another_value_for_a_known_date(self, api):
        cid = _annual(api)
        _add(api, cid, ("2024-12-31", "1.05"))
        assert self._field(_add(api, cid, ("2024-12-31", "1.06")), 422) == "rates.0.rate"
        assert self._field(_add(api, cid, ("2025-01-31", "1.07"), ("2024-12-01", "1.2")), 422) == "rates.1.on"

    def test_out_of_date_order(self, api):
        cid = _annual(api)
        assert _add(api, cid, ("2025-01-31", "1.07")).status_code == 201
        assert self._field(_add(api, cid, ("2024-12-31", "1.05")), 422) == "rates.0.on"
        assert self._field(_add(api, cid, ("2025-03-31", "1.05"), ("2025-02-28", "1.06")), 422) == "rates.1.on"
        rates = api.get(f"/contracts/{cid}").json()["exchange_rates"]
        assert [r["on"] for r in rates] == ["2024-12-01", "2025-01-31"]

    def test_a_rate_inside_a_closed_period(self, api):
        """December is closed: its remeasurement is final, so a 31 December rate would restate it."""
        cid = _annual(api)
        assert api.post("/periods/2024-12/close").status_code == 200
        response = _add(api, cid, ("2024-12-31", "1.05"))
        assert self._field(response, 422) == "rates.0.on" and "closed" in response.json()["detail"]
        assert _add(api, cid, ("2025-01-31", "1.05")).status_code == 201

    def test_a_contract_without_a_functional_currency(self, api):
        cid = api.register(register_body(1_000, [obligation("o", 1_000, "2024-01-01", "2024-12-31")]))["contract"]["id"]
        assert self._field(_add(api, cid, ("2024-01-31", "1.1")), 422) == "rates"

    @pytest.mark.parametrize(("rate", "field"), [(("2025-01-31", "0"), "rates.0.rate"),
                                                 (("2300-01-01", "1.1"), "rates.0.on")])
    def test_bad_values(self, api, rate, field):
        assert self._field(_add(api, _annual(api), rate), 400) == field

    @pytest.mark.parametrize("body", [{"rates": []}, {"rates": [{"on": "2025-01-31", "rate": "-1"}]},
                                      {"rates": [{"on": "2025-01-31"}]}, {"rate": "1.1"}])
    def test_malformed_bodies(self, api, body):
        response = api.post(f"/contracts/{_annual(api)}/exchange-rates", body)
        assert response.status_code == 400, response.text

    def test_an_unknown_contract(self, api):
        response = api.post("/contracts/rc_00000000000000000000/exchange-rates",
                            {"rates": [{"on": "2025-01-31", "rate": "1.1"}]})
        assert response.status_code == 404, response.text
