"""Stateless previews and vendor-schedule verification: published figures back, nothing written to Redis."""

from __future__ import annotations

from tests.system.revrec.api.helpers import money, obligation, register_body

NETSUITE_VENDOR = [("2023-08", 3934), ("2023-09", 9945), ("2023-10", 9945), ("2023-11", 9946), ("2023-12", 6230)]
"""NetSuite Help, "Straight-Line Revenue Recognition Examples in Advanced Revenue Management (Essentials)",
prorate first & last period with rounding: 400.00 from Aug 20 to Dec 19 2023."""


def _terms(body):
    return {k: v for k, v in body.items() if k != "customer_id"}


def _verification(claimed: dict, vendor: list[tuple[str, int]], allocation: int, start: str, end: str) -> dict:
    return {"currency": "USD", "convention": claimed, "obligations": [{
        "obligation_id": "o", "allocation": money(allocation), "start_date": start, "end_date": end,
        "vendor_schedule": [{"accounting_period": p, "amount": money(a)} for p, a in vendor]}]}


async def _keys(redis, key_prefix):
    return {k async for k in redis.scan_iter(match=key_prefix + "*", count=1000)}


class TestPreviews:
    def test_allocation_preview_reproduces_certinia_example_2(self, api):
        """Certinia "Example Calculations", Example 2: total revenue 30, C given free; SSPs 20, 10, 10 ->
        allocated 15, 7.5, 7.5."""
        year = ("2024-01-01", "2024-12-31")
        body = register_body(3000, [obligation("A", 2000, *year), obligation("B", 1000, *year),
                                    obligation("C", 1000, *year)])
        response = api.post("/previews/allocation", _terms(body))
        assert response.status_code == 200, response.text
        assert [x["amount"]["amount_minor"] for x in response.json()["lines"]] == [1500, 750, 750]

    def test_schedule_preview_reproduces_netsuite_even_periods(self, api):
        """Same NetSuite page, "Straight-line, by even periods": 80.00 in each of August..December."""
        body = register_body(40000, [obligation("o", 40000, "2023-08-20", "2023-12-19")],
                             convention={"method": "even_periods"})
        response = api.post("/previews/schedule", _terms(body))
        assert response.status_code == 200, response.text
        assert [x["amount"]["amount_minor"] for x in response.json()["schedules"][0]["lines"]] == [8000] * 5

    async def test_previews_and_verifications_write_nothing(self, api, redis, key_prefix):
        before = await _keys(redis, key_prefix)
        body = _terms(register_body(40000, [obligation("o", 40000, "2023-08-20", "2023-12-19")]))
        assert api.post("/previews/allocation", body).status_code == 200
        assert api.post("/previews/schedule", body).status_code == 200
        verification = _verification({}, NETSUITE_VENDOR, 40000, "2023-08-20", "2023-12-19")
        assert api.post("/verifications", verification).status_code == 200
        assert await _keys(redis, key_prefix) == before


class TestVerification:
    def test_remainder_placement_is_named_as_the_cause(self, api):
        """NetSuite's figures, checked against a claim of "prorate first & last, remainder on the last period".
        By hand: Aug 12/122 x 400 = 39.34, Dec 19/122 x 400 = 62.295... -> 62.30, the middle months
        (400 - 39.344 - 62.295) / 3 = 99.4535 -> 99.45 each; they sum to 399.99, so the last period takes
        the cent (62.31). NetSuite put it on November: Nov +0.01, Dec -0.01, every other month matches."""
        claimed = {"method": "prorate_first_last", "remainder_policy": "last"}
        response = api.post("/verifications", _verification(claimed, NETSUITE_VENDOR, 40000, "2023-08-20",
                                                             "2023-12-19"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["matched"] is False
        result = body["obligations"][0]
        assert result["cause"] == "remainder_placement"
        diffs = {x["accounting_period"]: x["difference"]["amount_minor"] for x in result["lines"]}
        assert diffs == {"2023-08": 0, "2023-09": 0, "2023-10": 0, "2023-11": 1, "2023-12": -1}
        assert [x["status"] for x in result["lines"]] == ["match", "match", "match", "difference", "difference"]

    def test_a_schedule_made_under_the_claimed_convention_matches(self, api):
        """Stripe docs, Subscriptions examples, "Monthly subscription": 31 USD from 2019-01-15 to 2019-02-14
        per day -> Jan +17.00, Feb +14.00; verified under the per-day (exact days) convention it claims."""
        vendor = [("2019-01", 1700), ("2019-02", 1400)]
        response = api.post("/verifications", _verification({}, vendor, 3100, "2019-01-15", "2019-02-14"))
        assert response.status_code == 200, response.text
        assert response.json()["matched"] is True
        assert response.json()["obligations"][0]["cause"] == "match"
