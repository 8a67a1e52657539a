"""Foreign-currency contracts and SSP specifications over HTTP, against published and hand-computed figures."""

from __future__ import annotations

from tests.system.revrec.api.helpers import money, obligation, register_body


def _net(entries: list[dict], number: str) -> int:
    """Debits minus credits on one account over ``entries``."""
    return sum(x["amount"]["amount_minor"] * (1 if x["side"] == "debit" else -1)
               for e in entries for x in e["lines"] if x["account"]["number"] == number)


def _balanced(entries: list[dict]) -> bool:
    return all(sum(x["amount"]["amount_minor"] * (1 if x["side"] == "debit" else -1) for x in e["lines"]) == 0
               for e in entries)


def _functional(api, period: str) -> list[dict]:
    response = api.get(f"/periods/{period}/journal-entries", basis="functional")
    assert response.status_code == 200, response.text
    entries = response.json()["entries"]
    assert entries and _balanced(entries)
    return entries


CASH, AR, DEFERRED, REVENUE, FX = "1000", "1100", "2400", "4000", "7100"


class TestIfric22Example4:
    """IFRIC 22 Foreign Currency Transactions and Advance Consideration, Illustrative Examples, Example 4
    (IE16-IE18): price FC1,000 allocated FC450 to product 1 (transferred 1 March 20X4) and FC550 to product 2
    (1 June 20X4); FC200 received in advance on 31 January; an unconditional right to FC250 on transfer of
    product 1; FC800 received 1 June. Spot rates FC1 = LC1.50 (31 Jan), 1.70 (1 Mar), 1.90 (1 Jun).
    Published entry (a): Dr Cash / Cr Contract liability LC300. By the interpretation's rule (by hand):
    1 Mar revenue FC200 x 1.50 + FC250 x 1.70 = LC725, receivable LC425; 1 Jun revenue FC550 x 1.90 = LC1,045;
    cash FC800 x 1.90 = LC1,520 against a receivable of 425 + 1,045 = LC1,470: exchange gain LC50.
    FC is EUR and LC is USD here (amounts in minor units); 20X4 is 2024."""

    def _contract(self, api) -> str:
        product = {"name": "Product", "pattern": "point_in_time"}
        body = register_body(100_000, [
            {**product, "id": "p1", "standalone_selling_price": money(45_000, "EUR"), "satisfied_on": "2024-03-01"},
            {**product, "id": "p2", "standalone_selling_price": money(55_000, "EUR"), "satisfied_on": "2024-06-01"},
        ], currency="EUR", functional_currency="USD",
            exchange_rates=[{"on": "2024-01-31", "rate": "1.5"}, {"on": "2024-03-01", "rate": "1.7"},
                            {"on": "2024-06-01", "rate": "1.9"}])
        cid = api.register(body)["contract"]["id"]
        for doc in (("in1", "invoice", "2024-01-31", 20_000), ("py1", "payment", "2024-01-31", 20_000),
                    ("in2", "invoice", "2024-03-01", 25_000), ("in3", "invoice", "2024-06-01", 55_000),
                    ("py2", "payment", "2024-06-01", 80_000)):
            r = api.post(f"/contracts/{cid}/billings", {"id": doc[0], "kind": doc[1], "document_date": doc[2],
                                                        "amount": money(doc[3], "EUR")})
            assert r.status_code == 201, r.text
        return cid

    def test_journal_entries_in_the_functional_currency(self, api):
        self._contract(api)
        january = _functional(api, "2024-01")
        assert (_net(january, CASH), _net(january, DEFERRED), _net(january, AR)) == (30_000, -30_000, 0)
        march = _functional(api, "2024-03")
        assert _net(march, REVENUE) == -72_500 and _net(march, AR) == 42_500
        june = _functional(api, "2024-06")
        assert _net(june, REVENUE) == -104_500
        assert (_net(june, CASH), _net(june, FX)) == (152_000, -5_000)
        assert {e["lines"][0]["amount"]["currency"] for e in june} == {"USD"}
        transaction = api.get("/periods/2024-06/journal-entries").json()["entries"]
        assert _net(transaction, REVENUE) == -55_000 and transaction[0]["lines"][0]["amount"]["currency"] == "EUR"

    def test_contract_balances_in_both_currencies(self, api):
        cid = self._contract(api)
        march = api.get(f"/contracts/{cid}/balances", as_of="2024-03").json()
        assert march["receivable"] == money(25_000, "EUR")
        assert march["functional"]["receivable"] == money(42_500, "USD")
        assert march["functional"]["revenue_to_date"] == money(72_500, "USD")
        june = api.get(f"/contracts/{cid}/balances", as_of="2024-06").json()
        assert june["receivable"] == money(0, "EUR") and june["functional"]["receivable"] == money(0, "USD")
        assert june["functional"]["fx_gain_loss_to_date"] == money(5_000, "USD")
        assert june["functional"]["revenue_to_date"] == money(72_500 + 104_500, "USD")


class TestRemeasurement:
    def test_year_end_remeasurement_and_settlement(self, api):
        """Hand computation (IAS 21.23(a), 21.28): EUR 1,200.00 billed 1 Dec 2024 for a year of service from
        1 Dec (USD functional), rate 1.10 -> Dr AR / Cr deferred USD 1,320.00. December revenue by exact days
        31/365 x 1,200 = EUR 101.92 (largest remainder) from the advance at its historical 1.10 = USD 112.11.
        At 31 Dec the rate is 1.05: AR 1,200 x 1.05 = 1,260.00, a remeasurement loss of 60.00; deferred stays
        at 1,320.00 - 112.11 = 1,207.89. Paid 15 Jan 2025 at 1.08: cash 1,296.00 against AR 1,260.00 -> a
        gain of 36.00."""
        body = register_body(120_000, [obligation("o", 120_000, "2024-12-01", "2025-11-30", currency="EUR")],
                             currency="EUR", functional_currency="USD",
                             exchange_rates=[{"on": "2024-12-01", "rate": "1.10"}, {"on": "2024-12-31", "rate": "1.05"},
                                             {"on": "2025-01-15", "rate": "1.08"}])
        cid = api.register(body)["contract"]["id"]
        for doc in (("in", "invoice", "2024-12-01"), ("py", "payment", "2025-01-15")):
            api.post(f"/contracts/{cid}/billings", {"id": doc[0], "kind": doc[1], "document_date": doc[2],
                                                    "amount": money(120_000, "EUR")})
        december = _functional(api, "2024-12")
        remeasure = [e for e in december if "remeasure" in e["memo"]]
        assert len(remeasure) == 1 and (_net(remeasure, FX), _net(remeasure, AR)) == (6_000, -6_000)
        assert _net(december, REVENUE) == -11_211
        balances = api.get(f"/contracts/{cid}/balances", as_of="2024-12").json()["functional"]
        assert balances["receivable"] == money(126_000, "USD")
        assert balances["contract_liability"] == money(132_000 - 11_211, "USD")
        january = _functional(api, "2025-01")
        assert (_net(january, CASH), _net(january, FX)) == (129_600, -3_600)

    def test_refusals(self, api):
        base = register_body(1_000, [obligation("o", 1_000, "2024-01-01", "2024-12-31", currency="EUR")],
                             currency="EUR")
        late = api.post("/contracts", {**base, "functional_currency": "USD",
                                       "exchange_rates": [{"on": "2024-02-01", "rate": "1.1"}]})
        assert late.status_code == 400 and late.json()["errors"][0]["field"] == "exchange_rates.0.on"
        zero = api.post("/contracts", {**base, "functional_currency": "USD",
                                       "exchange_rates": [{"on": "2024-01-01", "rate": "0"}]})
        assert zero.status_code == 400 and zero.json()["errors"][0]["field"] == "exchange_rates.0.rate"
        orphan = api.post("/contracts", {**base, "exchange_rates": [{"on": "2024-01-01", "rate": "1.1"}]})
        assert orphan.status_code == 400 and orphan.json()["errors"][0]["field"] == "exchange_rates"


class TestSSP:
    def test_ranges_and_percent_of_list(self, api):
        """Hand computation: A is priced 90.00 inside its SSP range 80-100 -> SSP 90.00; B is priced 50.00 below
        its range 60-70 -> nearest bound 60.00; C lists at 200.00 and sells at 85% of list -> 170.00. SSPs total
        320.00; a price of 256.00 is 80% of it -> A 72.00, B 48.00, C 136.00. The preview agrees."""
        year = ("2024-01-01", "2024-12-31")
        body = register_body(25_600, [obligation("A", 1, *year), obligation("B", 1, *year), obligation("C", 1, *year)],
                             obligation_terms=[
                                 {"obligation_id": "A", "stated_price": money(9_000),
                                  "ssp": {"kind": "range", "low": money(8_000), "high": money(10_000)}},
                                 {"obligation_id": "B", "stated_price": money(5_000),
                                  "ssp": {"kind": "range", "low": money(6_000), "high": money(7_000)}},
                                 {"obligation_id": "C", "ssp": {"kind": "percent_of_list", "list_price": money(20_000),
                                                                "percent": "85"}}])
        view = api.register(body)
        got = {x["obligation_id"]: (x["standalone_selling_price"]["amount_minor"], x["amount"]["amount_minor"])
               for x in view["allocation"]["lines"]}
        assert got == {"A": (9_000, 7_200), "B": (6_000, 4_800), "C": (17_000, 13_600)}
        preview = api.post("/previews/allocation", {k: v for k, v in body.items() if k != "customer_id"})
        assert preview.status_code == 200 and preview.json()["lines"] == view["allocation"]["lines"]

    def test_residual_approach_reproduces_asc_606_example_34_case_b(self, api):
        """ASC 606-10-55-259 to 55-269, Example 34 Case B (IFRS 15 IE167-IE177): Products A, B and C have SSPs
        40, 55 and 45 and B and C sell together for 60 (observable evidence that the discount belongs to them);
        Product D's SSP is highly variable (observed 15 to 45). The contract price is 130 -> A 40, B 33, C 27,
        and D takes the residual 130 - 100 = 30, inside its observable range."""
        year = ("2024-01-01", "2024-12-31")
        body = register_body(13_000, [obligation("A", 4_000, *year), obligation("B", 5_500, *year),
                                      obligation("C", 4_500, *year), obligation("D", 0, *year)],
                             residual_obligation_ids=["D"], discount_obligation_ids=["B", "C"],
                             discount_bundle_price=money(6_000),
                             obligation_terms=[{"obligation_id": "D", "residual_low": money(1_500),
                                                "residual_high": money(4_500)}])
        terms = {k: v for k, v in body.items() if k != "customer_id"}
        preview = api.post("/previews/allocation", terms)
        assert preview.status_code == 200, preview.text
        got = {x["obligation_id"]: x["amount"]["amount_minor"] for x in preview.json()["lines"]}
        assert got == {"A": 4_000, "B": 3_300, "C": 2_700, "D": 3_000}
        assert [x["method"] for x in preview.json()["lines"]] == ["relative_ssp", "discount_to_subset",
                                                                   "discount_to_subset", "residual"]
        outside = {**terms, "obligation_terms": [{"obligation_id": "D", "residual_low": money(3_500),
                                                  "residual_high": money(4_500)}]}
        refused = api.post("/previews/allocation", outside)
        assert refused.status_code == 422
        assert api.register(body)["allocation"]["lines"] == preview.json()["lines"]
