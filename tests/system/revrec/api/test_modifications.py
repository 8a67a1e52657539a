"""Contract modifications over HTTP: prospective, separate contract, versions and the events they publish."""

from __future__ import annotations

from tests.system.revrec.api.helpers import money, obligation, published, register_body


def _modify(api, cid, **body):
    return api.post(f"/contracts/{cid}/modifications", {"obligation_id": "A", **body})


class TestProspective:
    async def test_price_increase_reproduces_zuora(self, api, redis, key_prefix):
        """Zuora Revenue docs, "Use cases of mapping order actions" > Examples: Product A 100/month,
        1 Jan - 31 Dec 2019 booked at 1,200; the fee rises to 150/month on 1 Jul -> the Jan-Jun segment
        keeps 600 and the Jul-Dec segment is 900 (150 a month)."""
        view = api.register(register_body(120_000, [obligation("A", 120_000, "2019-01-01", "2019-12-31")],
                                          convention={"method": "even_periods"}))
        cid = view["contract"]["id"]
        response = _modify(api, cid, kind="prospective", effective_date="2019-07-01",
                           added_consideration=money(30_000), reason="price increase")
        assert response.status_code == 201, response.text
        after = response.json()
        by = api.by_period(after, "A")
        assert sum(v for k, v in by.items() if k <= "2019-06") == 60_000
        assert [by[f"2019-{m:02d}"] for m in range(7, 13)] == [15_000] * 6
        assert after["contract"]["version"] == 2 and after["contract"]["status"] == "modified"
        assert after["contract"]["transaction_price"] == money(150_000)
        assert after["modifications"][0]["catch_up"] == money(0)
        events = await published(redis, key_prefix)
        assert [e["type"] for e in events][-1] == "revflow.revrec.schedule.updated.v1"
        assert events[-1]["data"]["contract_version"] == 2


class TestTwoChangesInOneMonth:
    def test_a_second_change_in_the_month_counts_the_days_at_each_rate(self, api):
        """A 365.00 service over 2025 by exact days: 1.00 a day. From 11 April 265.00 more (the 265 days left then
        hold 265.00 + 265.00: 2.00 a day); from 21 April 255.00 more (the 255 days left hold 510.00 + 255.00: 3.00
        a day). April is 10 days at each rate: 10.00 + 20.00 + 30.00 = 60.00; May 31 x 3.00 = 93.00. Pro-rating
        April's 50.00 after the first change over 20 of its 30 days instead (33.33) would misstate both months.
        A third change on 21 April itself (a correction taking the second back) leaves the schedule of the first
        change: April 10.00 + 20 x 2.00 = 50.00, May 62.00."""
        view = api.register(register_body(36_500, [obligation("A", 36_500, "2025-01-01", "2025-12-31")]))
        cid = view["contract"]["id"]
        first = _modify(api, cid, kind="prospective", effective_date="2025-04-11",
                        added_consideration=money(26_500))
        assert first.status_code == 201, first.text
        second = _modify(api, cid, kind="prospective", effective_date="2025-04-21",
                         added_consideration=money(25_500))
        assert second.status_code == 201, second.text
        by = api.by_period(second.json(), "A")
        assert (by["2025-03"], by["2025-04"], by["2025-05"], by["2025-12"]) == (3_100, 6_000, 9_300, 9_300)
        assert sum(by.values()) == 36_500 + 26_500 + 25_500
        corrected = _modify(api, cid, kind="prospective", effective_date="2025-04-21",
                            added_consideration=money(-25_500), reason="correction of the 21 April change")
        assert corrected.status_code == 201, corrected.text
        by = api.by_period(corrected.json(), "A")
        assert (by["2025-04"], by["2025-05"], by["2025-12"]) == (5_000, 6_200, 6_200)
        assert [m["effective_date"] for m in corrected.json()["modifications"]] == [
            "2025-04-11", "2025-04-21", "2025-04-21"]
        earlier = _modify(api, cid, kind="prospective", effective_date="2025-04-20", added_consideration=money(100))
        assert earlier.status_code in (400, 409, 422), earlier.text
        assert "effective_date" in [e["field"] for e in earlier.json()["errors"]]


class TestSeparateContract:
    def test_added_goods_at_ssp_become_their_own_contract(self, api):
        """Six more months of A at 100/month from 2019-07-01 (distinct goods at their SSP, ASC 606-10-25-12):
        the original keeps its 1,200 schedule untouched; a new contract recognises 600, 100 a month."""
        view = api.register(register_body(120_000, [obligation("A", 120_000, "2019-01-01", "2019-12-31")],
                                          convention={"method": "even_periods"}))
        cid = view["contract"]["id"]
        response = _modify(api, cid, kind="separate_contract", effective_date="2019-07-01",
                           new_end_date="2019-12-31", added_consideration=money(60_000))
        assert response.status_code == 201, response.text
        after = response.json()
        assert api.by_period(after, "A") == api.by_period(view, "A")
        new_id = after["modifications"][0]["separate_contract_id"]
        assert after["related_contract_ids"] == [new_id]
        separate = api.get(f"/contracts/{new_id}").json()
        assert list(api.by_period(separate, "A@v2").values()) == [10_000] * 6
        assert separate["related_contract_ids"] == [cid]


def _with_setup(api, satisfied_on: str) -> tuple[str, dict]:
    """A year of service A (12,000.00) and a setup S (3,000.00) whose control transfers on ``satisfied_on``."""
    setup = {"id": "S", "name": "Setup", "pattern": "point_in_time", "standalone_selling_price": money(300_000),
             "satisfied_on": satisfied_on}
    view = api.register(register_body(1_500_000, [obligation("A", 1_200_000, "2025-01-01", "2025-12-31"), setup]))
    return view["contract"]["id"], view


def _lines_of(view: dict, oid: str) -> dict[tuple[str, str], int]:
    schedule = next(s for s in view["schedules"] if s["obligation_id"] == oid)
    return {(line["accounting_period"], line["kind"]): line["amount"]["amount_minor"] for line in schedule["lines"]}


class TestPointInTimePriceChange:
    """A concession on a delivered setup fee is revenue of the period it is granted in (ASC 606-10-32-43 and
    32-44: a change in transaction price allocated to a satisfied obligation is recognised when it occurs); one
    granted before delivery changes what delivery recognises. The ratable obligation is untouched either way."""

    def test_after_delivery_it_is_a_catch_up_in_the_period_it_takes_effect(self, api):
        cid, before = _with_setup(api, "2025-01-15")
        response = api.post(f"/contracts/{cid}/modifications", {
            "obligation_id": "S", "kind": "cumulative_catch_up", "effective_date": "2025-03-10",
            "added_consideration": money(-100_000), "reason": "setup concession"})
        assert response.status_code == 201, response.text
        after = response.json()
        assert _lines_of(after, "S") == {("2025-01", "recognition"): 300_000, ("2025-03", "catch_up"): -100_000}
        assert _lines_of(after, "A") == _lines_of(before, "A")
        assert after["contract"]["transaction_price"] == money(1_400_000)
        assert after["modifications"][0]["catch_up"] == money(-100_000)

    def test_before_delivery_it_changes_what_delivery_recognises(self, api):
        cid, before = _with_setup(api, "2025-06-01")
        response = api.post(f"/contracts/{cid}/modifications", {
            "obligation_id": "S", "kind": "prospective", "effective_date": "2025-03-10",
            "added_consideration": money(-100_000)})
        assert response.status_code == 201, response.text
        after = response.json()
        assert _lines_of(after, "S") == {("2025-06", "recognition"): 200_000}
        assert _lines_of(after, "A") == _lines_of(before, "A")
        assert after["modifications"][0]["catch_up"] == money(0)

    def test_what_a_point_in_time_obligation_cannot_take_is_named(self, api):
        cid, before = _with_setup(api, "2025-01-15")
        cases = {"added_consideration": {"kind": "cumulative_catch_up", "added_consideration": money(-300_001)},
                 "kind": {"kind": "separate_contract", "added_consideration": money(100_000)},
                 "new_end_date": {"kind": "prospective", "added_consideration": money(100_000),
                                  "new_end_date": "2025-12-31"}}
        for field, body in cases.items():
            response = api.post(f"/contracts/{cid}/modifications",
                                {"obligation_id": "S", "effective_date": "2025-03-10", **body})
            assert 400 <= response.status_code < 500, (field, response.text)
            assert field in [e["field"] for e in response.json()["errors"]], (field, response.json())
        assert api.get(f"/contracts/{cid}").json()["contract"]["version"] == before["contract"]["version"]
