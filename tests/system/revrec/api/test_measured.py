"""Usage, progress and milestone obligations over HTTP: registered, measured, recognised in period runs.

Every expected figure is a hand computation shown in the test's docstring, never the service's output.
"""

from __future__ import annotations

from tests.system.revrec.api.helpers import audit_actions, money, obligation, published, register_body


def _measured(oid: str, pattern: str, ssp: int) -> dict:
    return {"id": oid, "name": f"Obligation {oid}", "pattern": pattern, "standalone_selling_price": money(ssp)}


def _lines(view: dict, oid: str) -> list[tuple[str, int, str]]:
    schedule = next(s for s in view["schedules"] if s["obligation_id"] == oid)
    return [(x["accounting_period"], x["amount"]["amount_minor"], x["kind"]) for x in schedule["lines"]]


def _allocations(view: dict) -> dict[str, int]:
    return {a["obligation_id"]: a["amount"]["amount_minor"] for a in view["contract"]["allocations"]}


def _measure(api, cid: str, oid: str, **body):
    return api.post(f"/contracts/{cid}/obligations/{oid}/measurements", body)


class TestProgress:
    async def test_progress_with_reestimates_by_cumulative_catch_up(self, api, redis, key_prefix):
        """Hand computation: a 1,000,000.00 build contract measured by cost incurred (input method).
        31 Jan: 200 of an expected 1,000 hours -> 20% -> 200,000.00 in January.
        28 Feb: 300 hours done, the estimate rises to 1,200 -> 25% -> cumulative 250,000.00, February 50,000.00.
        15 Mar: a bonus becomes highly probable, the allocation rises to 1,100,000.00 -> 25% x 1,100,000.00 =
        275,000.00 to date, a 25,000.00 catch-up in March. The March run recognises exactly that, and the
        transaction price becomes 1,100,000.00."""
        view = api.register(register_body(100_000_000, [_measured("build", "progress_input", 100_000_000)]))
        cid = view["contract"]["id"]
        assert _lines(view, "build") == []
        assert _allocations(view) == {"build": 100_000_000}
        r = _measure(api, cid, "build", kind="progress", on="2024-01-31", done="200", expected_total="1000")
        assert r.status_code == 201, r.text
        r = _measure(api, cid, "build", kind="progress", on="2024-02-28", done="300", expected_total="1200")
        assert r.status_code == 201, r.text
        r = _measure(api, cid, "build", kind="reestimate", on="2024-03-15", allocation=money(110_000_000))
        assert r.status_code == 201, r.text
        after = r.json()
        assert _lines(after, "build") == [("2024-01", 20_000_000, "recognition"),
                                          ("2024-02", 5_000_000, "recognition"),
                                          ("2024-03", 2_500_000, "recognition")]
        assert after["contract"]["transaction_price"] == money(110_000_000)
        assert _allocations(after) == {"build": 110_000_000}
        assert [m["kind"] for m in after["measurements"]] == ["progress", "progress", "reestimate"]
        assert (await audit_actions(redis, key_prefix))[-1] == "revrec.reestimate.measured"
        assert (await published(redis, key_prefix))[-1]["type"] == "revflow.revrec.schedule.updated.v1"
        assert api.post("/periods/2024-03/recognition-runs").json()["recognized"] == [money(2_500_000)]


class TestUsage:
    def test_usage_fees_are_recognised_as_consumed(self, api):
        """Hand computation: a 120.00 platform fee over 2024 by exact days (366 days) and API calls at half a
        cent each, allocated entirely to the usage obligation (ASC 606-10-32-40), so the platform keeps the
        whole 120.00. January 1,001 calls = 500.5 -> 5.01 (cumulative rounding, half up); February 999 more =
        2,000 calls = 10.00 to date -> 4.99. The transaction price grows to 130.00.
        January's platform revenue under the default largest-remainder policy: 31/366 x 120.00 = 10.1639 for the
        seven 31-day months, 9.8361 for the four 30-day months, 9.5082 for February; the floors sum to 119.94,
        and the six cents left go to the largest fractions: February (.82), the 30-day months (.61 each) and
        then the first 31-day month, January (ties to the earlier line) -> 10.17. January's run: 10.17 + 5.01."""
        body = register_body(12_000, [obligation("platform", 12_000, "2024-01-01", "2024-12-31"),
                                      _measured("calls", "usage", 0)],
                             obligation_terms=[{"obligation_id": "calls", "unit_price_minor": "0.5"}])
        view = api.register(body)
        cid = view["contract"]["id"]
        assert _allocations(view) == {"platform": 12_000, "calls": 0}
        assert _measure(api, cid, "calls", kind="usage", on="2024-01-20", quantity="1001").status_code == 201
        after = _measure(api, cid, "calls", kind="usage", on="2024-02-10", quantity="999").json()
        assert _lines(after, "calls") == [("2024-01", 501, "recognition"), ("2024-02", 499, "recognition")]
        assert after["contract"]["transaction_price"] == money(13_000)
        assert _allocations(after) == {"platform": 12_000, "calls": 1_000}
        allocation = api.get(f"/contracts/{cid}/allocation").json()
        assert allocation["transaction_price"] == money(13_000)
        assert {line["obligation_id"]: (line["amount"]["amount_minor"], line["exact_share"])
                for line in allocation["lines"]} == {"platform": (12_000, "12000"), "calls": (1_000, "1000")}
        assert after["allocation"] == allocation
        assert api.post("/periods/2024-01/recognition-runs").json()["recognized"] == [money(1_017 + 501)]

    def test_a_new_unit_price_reprices_usage_from_its_effective_date_only(self, api):
        """Hand computation: API calls at half a cent, 0.8 cents from 15 February 2024 (an amendment).
        20 Jan: 1,001 calls x 0.5 = 500.5; 10 Feb (reported after the change, dated before it): 999 x 0.5 = 499.5;
        20 Feb (reported before the change, dated after it): 500 x 0.8 = 400. Cumulative rounding, half up:
        January 500.5 -> 5.01; to February 1,400.0 -> 14.00, so February 8.99. The transaction price becomes
        120.00 + 14.00 = 134.00. At the old price alone February would have been 7.49."""
        body = register_body(12_000, [obligation("platform", 12_000, "2024-01-01", "2024-12-31"),
                                      _measured("calls", "usage", 0)],
                             obligation_terms=[{"obligation_id": "calls", "unit_price_minor": "0.5"}])
        cid = api.register(body)["contract"]["id"]
        assert _measure(api, cid, "calls", kind="usage", on="2024-01-20", quantity="1001").status_code == 201
        assert _measure(api, cid, "calls", kind="usage", on="2024-02-20", quantity="500").status_code == 201
        changed = api.post(f"/contracts/{cid}/modifications", {
            "obligation_id": "calls", "kind": "prospective", "effective_date": "2024-02-15",
            "added_consideration": money(0), "unit_price_minor": "0.8", "reason": "Amendment: new API price"})
        assert changed.status_code == 201, changed.text
        assert _lines(changed.json(), "calls") == [("2024-01", 501, "recognition"), ("2024-02", 899 - 499,
                                                                                       "recognition")]
        after = _measure(api, cid, "calls", kind="usage", on="2024-02-10", quantity="999").json()
        assert _lines(after, "calls") == [("2024-01", 501, "recognition"), ("2024-02", 899, "recognition")]
        assert after["contract"]["transaction_price"] == money(13_400)
        [modification] = after["modifications"]
        assert (modification["obligation_id"], modification["unit_price_minor"]) == ("calls", "0.8")

    def test_what_a_usage_price_change_cannot_carry_is_named(self, api):
        body = register_body(12_000, [obligation("platform", 12_000, "2024-01-01", "2024-12-31"),
                                      _measured("calls", "usage", 0)],
                             obligation_terms=[{"obligation_id": "calls", "unit_price_minor": "0.5"}])
        cid = api.register(body)["contract"]["id"]
        usage = {"obligation_id": "calls", "kind": "prospective", "effective_date": "2024-02-15",
                 "added_consideration": money(0), "unit_price_minor": "0.8"}
        cases = {"unit_price_minor": [{**usage, "unit_price_minor": None}, {**usage, "unit_price_minor": "-1"},
                                      {**usage, "unit_price_minor": "NaN"}, {**usage, "unit_price_minor": "1e50000000"},
                                      {**usage, "unit_price_minor": "0.1234567890123"},
                                      {**usage, "obligation_id": "platform", "added_consideration": money(100)}],
                 "kind": [{**usage, "kind": "cumulative_catch_up"}],
                 "added_consideration": [{**usage, "added_consideration": money(100)}],
                 "new_end_date": [{**usage, "new_end_date": "2024-12-31"}]}
        for field, bodies in cases.items():
            for bad in bodies:
                response = api.post(f"/contracts/{cid}/modifications", bad)
                assert 400 <= response.status_code < 500, (field, bad, response.text)
                assert field in [e["field"] for e in response.json()["errors"]], (field, bad, response.json())
        view = api.get(f"/contracts/{cid}").json()
        assert (view["contract"]["version"], view["modifications"]) == (1, [])

    def test_usage_reported_into_a_closed_period_posts_in_the_first_open_one(self, api):
        """January is closed with no usage; 400 calls at 2.5 cents dated 20 January (10.00) then land in
        February, the first open period, as an adjustment; January is never restated."""
        body = register_body(0, [_measured("calls", "usage", 0)],
                             obligation_terms=[{"obligation_id": "calls", "unit_price_minor": "2.5"}])
        cid = api.register(body)["contract"]["id"]
        assert api.post("/periods/2024-01/close").status_code == 200
        after = _measure(api, cid, "calls", kind="usage", on="2024-01-20", quantity="400").json()
        lines = _lines(after, "calls")
        assert [x for x in lines if x[0] == "2024-01"] == []
        assert [x for x in lines if x[2] == "adjustment"] == [("2024-02", 1_000, "adjustment")]
        assert sum(x[1] for x in lines) == 1_000
        assert api.post("/periods/2024-02/recognition-runs").json()["recognized"] == [money(1_000)]


class TestMilestones:
    def test_milestones_with_a_reestimate_on_its_own_line(self, api):
        """Hand computation (as the engine's milestone example): 1,000,000.00 over milestones weighted
        30 / 30 / 40. M1 reached 15 Mar: 300,000.00. On 20 May the allocation rises to 1,100,000.00:
        catch-up 1,100,000 x 30% - 300,000 = 30,000.00 in May on its own line. M2 reached 10 Jun:
        1,100,000 x 60% - 330,000 = 330,000.00. M3 not yet reached."""
        terms = {"obligation_id": "build", "milestones": [{"id": "M1", "weight": "30"}, {"id": "M2", "weight": "30"},
                                                          {"id": "M3", "weight": "40"}]}
        view = api.register(register_body(100_000_000, [_measured("build", "milestone", 1)],
                                          obligation_terms=[terms]))
        cid = view["contract"]["id"]
        for body in ({"kind": "milestone", "on": "2024-03-15", "milestone_id": "M1"},
                     {"kind": "reestimate", "on": "2024-05-20", "allocation": money(110_000_000)},
                     {"kind": "milestone", "on": "2024-06-10", "milestone_id": "M2"}):
            r = _measure(api, cid, "build", **body)
            assert r.status_code == 201, r.text
        assert _lines(r.json(), "build") == [("2024-03", 30_000_000, "recognition"),
                                             ("2024-05", 3_000_000, "catch_up"),
                                             ("2024-06", 33_000_000, "recognition")]
        assert api.post("/periods/2024-05/recognition-runs").json()["recognized"] == [money(3_000_000)]
        again = _measure(api, cid, "build", kind="milestone", on="2024-06-11", milestone_id="M2")
        assert again.status_code == 409


class TestMeasurementRefusals:
    def _contract(self, api) -> str:
        body = register_body(10_000, [obligation("sub", 5_000, "2024-01-01", "2024-12-31"),
                                      _measured("build", "progress_output", 5_000)])
        return api.register(body)["contract"]["id"]

    def test_wrong_kind_for_the_pattern(self, api):
        cid = self._contract(api)
        r = _measure(api, cid, "sub", kind="usage", on="2024-01-31", quantity="1")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"

    def test_progress_above_one_names_the_field(self, api):
        cid = self._contract(api)
        r = _measure(api, cid, "build", kind="progress", on="2024-01-31", done="11", expected_total="10")
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "done"

    def test_missing_value_and_unknown_obligation(self, api):
        cid = self._contract(api)
        r = _measure(api, cid, "build", kind="progress", on="2024-01-31", done="1")
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "expected_total"
        r = _measure(api, cid, "nope", kind="progress", on="2024-01-31", done="1", expected_total="2")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "obligation_id"

    def test_usage_obligation_needs_a_unit_price(self, api):
        r = api.post("/contracts", register_body(0, [_measured("calls", "usage", 0)]))
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "obligation_terms"
