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
