"""Period runs, closing and journals over HTTP: idempotent runs, closed periods never restated, balanced books.

The running example is Stripe's "Annual subscription" (Stripe docs, Revenue Recognition > Examples >
Subscriptions): 365.00 USD from 2019-01-01 to 2019-12-31 recognised per day, i.e. exactly 1.00 a day, so
every expected figure below is days x rate, worked out by hand.
"""

from __future__ import annotations

from tests.system.revrec.api.helpers import audit_actions, money, obligation, published, register_body

ANNUAL = register_body(36500, [obligation("o", 36500, "2019-01-01", "2019-12-31")])


def _balanced(entry) -> bool:
    debits = sum(x["amount"]["amount_minor"] for x in entry["lines"] if x["side"] == "debit")
    credits = sum(x["amount"]["amount_minor"] for x in entry["lines"] if x["side"] == "credit")
    return debits == credits > 0


def _account_total(entries, number: str, side: str) -> int:
    return sum(x["amount"]["amount_minor"] for e in entries for x in e["lines"]
               if x["account"]["number"] == number and x["side"] == side)


class TestRecognitionRun:
    def test_a_second_run_returns_the_same_posting(self, api):
        api.register(ANNUAL)
        first = api.post("/periods/2019-01/recognition-runs")
        second = api.post("/periods/2019-01/recognition-runs")
        assert first.status_code == second.status_code == 200
        assert second.json() == first.json()
        assert first.json()["recognized"] == [money(3100)]

    def test_journal_entries_balance_and_match_stripe(self, api):
        """Stripe's table for January: Revenue +31.00, DeferredRevenue +334.00 (billed 365.00 up front)."""
        cid = api.register(ANNUAL)["contract"]["id"]
        billed = api.post(f"/contracts/{cid}/billings", {"id": "in_1", "kind": "invoice",
                                                         "document_date": "2019-01-01", "amount": money(36500)})
        assert billed.status_code == 201, billed.text
        entries = api.get("/periods/2019-01/journal-entries").json()["entries"]
        assert entries and all(_balanced(e) for e in entries)
        assert _account_total(entries, "4000", "credit") == 3100
        assert _account_total(entries, "2400", "credit") - _account_total(entries, "2400", "debit") == 33400


class TestClose:
    def test_closed_period_is_never_restated(self, api, redis):
        """Close Jan-Mar, then double the price by cumulative catch-up effective 2019-02-01 (inside a closed
        period). Restating would add 1.00 a day for the 90 closed days (31 + 28 + 31) = 90.00; instead the
        closed months keep 31.00 / 28.00 / 31.00 and April, the first open period, carries a 90.00
        adjustment beside its own 30 days x 2.00 = 60.00."""
        cid = api.register(ANNUAL)["contract"]["id"]
        posted_feb = api.post("/periods/2019-02/recognition-runs").json()
        closed = api.post("/periods/2019-03/close")
        assert closed.status_code == 200, closed.text
        assert closed.json()["first_open_period"] == "2019-04"
        modified = api.post(f"/contracts/{cid}/modifications", {
            "kind": "cumulative_catch_up", "obligation_id": "o", "effective_date": "2019-02-01",
            "added_consideration": money(36500)})
        assert modified.status_code == 201, modified.text
        view = modified.json()
        lines = view["schedules"][0]["lines"]
        closed_lines = [(x["accounting_period"], x["amount"]["amount_minor"]) for x in lines if x["closed"]]
        assert closed_lines == [("2019-01", 3100), ("2019-02", 2800), ("2019-03", 3100)]
        april = {x["kind"]: x["amount"]["amount_minor"] for x in lines if x["accounting_period"] == "2019-04"}
        assert april == {"recognition": 6000, "adjustment": 9000}
        assert view["modifications"][0]["closed_period_adjustment"] == money(9000)
        assert sum(x["amount"]["amount_minor"] for x in lines) == 73000
        assert api.post("/periods/2019-02/recognition-runs").json()["id"] == posted_feb["id"]
        april_entries = api.get("/periods/2019-04/journal-entries").json()["entries"]
        assert _account_total(april_entries, "4000", "credit") == 15000

    def test_a_billing_dated_in_a_closed_period_posts_in_the_first_open_one(self, api):
        cid = api.register(ANNUAL)["contract"]["id"]
        assert api.post("/periods/2019-01/close").status_code == 200
        linked = api.post(f"/contracts/{cid}/billings", {"id": "in_late", "kind": "invoice",
                                                         "document_date": "2019-01-15", "amount": money(36500)})
        assert linked.status_code == 201, linked.text
        assert linked.json()["billings"][0]["accounting_period"] == "2019-02"
        assert api.get("/periods/2019-01/journal-entries").json()["entries"] == \
            api.post("/periods/2019-01/recognition-runs").json()["journal_entries"]

    def test_closing_a_closed_period_again_is_a_conflict(self, api):
        api.register(ANNUAL)
        assert api.post("/periods/2019-02/close").status_code == 200
        again = api.post("/periods/2019-01/close")
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")

    async def test_close_is_published_and_audited(self, api, redis, key_prefix):
        """Deferred revenue at the end of January after billing 365.00 on Jan 1: 365.00 - 31.00 = 334.00."""
        cid = api.register(ANNUAL)["contract"]["id"]
        api.post(f"/contracts/{cid}/billings", {"id": "in_1", "kind": "invoice", "document_date": "2019-01-01",
                                                "amount": money(36500)})
        closed = api.post("/periods/2019-01/close").json()
        assert closed["recognized"] == [money(3100)] and closed["deferred_balance"] == [money(33400)]
        events = [e for e in await published(redis, key_prefix) if e["type"].endswith("period.closed.v1")]
        assert len(events) == 1 and events[0]["subject"] == "2019-01"
        assert events[0]["data"]["deferred_balance"] == [money(33400)]
        assert "revrec.period.closed" in await audit_actions(redis, key_prefix)


class TestRollForward:
    def test_credit_note_before_payment_matches_stripe(self, api):
        """Stripe docs, Examples > Credit notes, "Credit note before a payment": 120 USD three-month
        subscription from January 1, a 30 USD credit note before payment, 90 USD paid in February ->
        AccountsReceivable 90 / 0 / 0; Revenue 31 / 28 / 31; DeferredRevenue +59 / -28 / -31 (a 365-day
        year, as the engine's test of the same example explains)."""
        cid = api.register(register_body(9000, [obligation("o", 9000, "2023-01-01", "2023-03-31")]))["contract"]["id"]
        for doc in ({"id": "in", "kind": "invoice", "document_date": "2023-01-01", "amount": money(12000)},
                    {"id": "cn", "kind": "credit_note", "document_date": "2023-01-01", "amount": money(3000)},
                    {"id": "py", "kind": "payment", "document_date": "2023-02-10", "amount": money(9000)}):
            assert api.post(f"/contracts/{cid}/billings", doc).status_code == 201
        rows = api.get(f"/contracts/{cid}/roll-forward").json()["rows"]
        assert [r["receivable"]["amount_minor"] for r in rows] == [9000, 0, 0]
        assert [r["recognized"]["amount_minor"] for r in rows] == [3100, 2800, 3100]
        moves = [r["closing_deferred"]["amount_minor"] - r["opening_deferred"]["amount_minor"] for r in rows]
        assert moves == [5900, -2800, -3100]
        for r in rows:
            m = {k: v["amount_minor"] for k, v in r.items() if isinstance(v, dict)}
            assert m["opening_deferred"] + m["billed"] - m["credited"] - m["recognized"] + m["reclassified"] \
                == m["closing_deferred"]

    def test_balances_split_current_and_non_current(self, api):
        """Two years of 1.00 a day billed up front (730.00 for 2019-2020): at the end of January 2019,
        699.00 is deferred, of which the next twelve months (Feb 2019 - Jan 2020, 365 days) are current."""
        body = register_body(73000, [obligation("o", 73000, "2019-01-01", "2020-12-30")])
        cid = api.register(body)["contract"]["id"]
        api.post(f"/contracts/{cid}/billings", {"id": "in", "kind": "invoice", "document_date": "2019-01-01",
                                                "amount": money(73000)})
        got = api.get(f"/contracts/{cid}/balances", as_of="2019-01").json()
        assert got["contract_liability"] == money(69900)
        assert got["current_liability"] == money(36500)
        assert got["non_current_liability"] == money(33400)
