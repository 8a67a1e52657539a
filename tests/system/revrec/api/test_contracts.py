"""Registering contracts over HTTP: allocation and schedules reproduce published figures to the cent.

Every expected number is copied from the cited source (the same sources the engine's own tests cite), never
from the service's output.
"""

from __future__ import annotations

from tests.system.revrec.api.helpers import audit_actions, obligation, published, register_body

NETSUITE = {"method": "prorate_first_last", "remainder_policy": "next_to_last"}


def _amounts(lines):
    return [line["amount"]["amount_minor"] for line in lines]


class TestRegister:
    def test_allocation_reproduces_certinia_example_1(self, api):
        """Certinia Revenue Management help, "Example Calculations", Example 1: total revenue 120, SSPs
        A 50, B 25, C 75 -> allocated 40, 20, 60. Each schedule sums to its allocation."""
        year = ("2024-01-01", "2024-12-31")
        view = api.register(register_body(12000, [obligation("A", 5000, *year), obligation("B", 2500, *year),
                                                  obligation("C", 7500, *year)]))
        got = {a["obligation_id"]: a["amount"]["amount_minor"] for a in view["contract"]["allocations"]}
        assert got == {"A": 4000, "B": 2000, "C": 6000}
        assert {s["obligation_id"]: sum(_amounts(s["lines"])) for s in view["schedules"]} == got
        assert {s["obligation_id"]: s["allocation"]["amount_minor"] for s in view["schedules"]} == got

    def test_schedule_reproduces_netsuite_prorate_first_last(self, api):
        """NetSuite Help, "Straight-Line Revenue Recognition Examples in Advanced Revenue Management
        (Essentials)", prorate first & last period with rounding: 400.00 from Aug 20 to Dec 19 ->
        Aug 39.34, Sep 99.45, Oct 99.45, Nov 99.46 (rounding added to the next-to-last period), Dec 62.30."""
        view = api.register(register_body(40000, [obligation("o", 40000, "2023-08-20", "2023-12-19")],
                                          convention=NETSUITE))
        lines = view["schedules"][0]["lines"]
        assert [x["accounting_period"] for x in lines] == ["2023-08", "2023-09", "2023-10", "2023-11", "2023-12"]
        assert _amounts(lines) == [3934, 9945, 9945, 9946, 6230]
        assert {x["kind"] for x in lines} == {"recognition"}

    def test_schedule_reproduces_stripe_annual_per_day(self, api):
        """Stripe docs, Revenue Recognition > Examples > Subscriptions, "Annual subscription": 365 USD
        from 2019-01-01 to 2019-12-31 -> Revenue Jan +31.00, Feb +28.00, Mar +31.00."""
        view = api.register(register_body(36500, [obligation("o", 36500, "2019-01-01", "2019-12-31")]))
        by = api.by_period(view, "o")
        assert [by["2019-01"], by["2019-02"], by["2019-03"]] == [3100, 2800, 3100]
        assert sum(by.values()) == 36500

    def test_point_in_time_obligation_lands_in_its_month(self, api):
        """A licence delivered on 2024-03-15 with a year of support: the Certinia Example 2 split
        (total 30, SSPs 20 / 10 -> the licence gets 20 x 30 / 30 = 20 in full in March)."""
        licence = {"id": "lic", "name": "Licence", "pattern": "point_in_time", "satisfied_on": "2024-03-15",
                   "standalone_selling_price": {"amount_minor": 2000, "currency": "USD"}}
        view = api.register(register_body(3000, [licence, obligation("sup", 1000, "2024-01-01", "2024-12-31")]))
        assert api.by_period(view, "lic") == {"2024-03": 2000}


class TestRead:
    def test_reads_return_what_was_registered(self, api):
        view = api.register(register_body(40000, [obligation("o", 40000, "2023-08-20", "2023-12-19")],
                                          convention=NETSUITE))
        cid = view["contract"]["id"]
        assert api.get(f"/contracts/{cid}").json() == view
        assert api.get(f"/contracts/{cid}/allocation").json() == view["allocation"]
        assert api.get(f"/contracts/{cid}/schedules").json() == view["schedules"]

    def test_unknown_contract_is_a_404_problem(self, api):
        response = api.get("/contracts/rc_00000000000000000000")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_waterfall_lists_what_is_left_after_a_period(self, api):
        """NetSuite figures again: after September, Oct 99.45, Nov 99.46, Dec 62.30 remain."""
        view = api.register(register_body(40000, [obligation("o", 40000, "2023-08-20", "2023-12-19")],
                                          convention=NETSUITE))
        body = api.get(f"/contracts/{view['contract']['id']}/waterfall", after_period="2023-09").json()
        assert body["periods"] == ["2023-10", "2023-11", "2023-12"]
        assert [m["amount_minor"] for m in body["rows"][0]["amounts"]] == [9945, 9946, 6230]
        assert [m["amount_minor"] for m in body["totals"]] == [9945, 9946, 6230]


class TestRecords:
    async def test_registration_is_published_and_audited(self, api, redis, key_prefix):
        view = api.register(register_body(36500, [obligation("o", 36500, "2019-01-01", "2019-12-31")]))
        events = await published(redis, key_prefix)
        assert [e["type"] for e in events] == ["revflow.revrec.contract.registered.v1"]
        assert events[0]["subject"] == view["contract"]["id"]
        assert events[0]["data"]["contract"] == view["contract"]
        assert await audit_actions(redis, key_prefix) == ["revrec.contract.registered"]

    def test_a_retried_registration_replays_the_first(self, api):
        body = register_body(36500, [obligation("o", 36500, "2019-01-01", "2019-12-31")])
        first, again = api.post("/contracts", body, key="reg-1"), api.post("/contracts", body, key="reg-1")
        assert first.status_code == again.status_code == 201
        assert again.json()["contract"]["id"] == first.json()["contract"]["id"]
