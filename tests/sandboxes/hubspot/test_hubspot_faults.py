"""Injected faults: a retrying SDK client completes the story and the portal holds no duplicates.

Faults are seeded (a failing run replays). The SDK takes a urllib3 ``Retry``; HubSpot has no idempotency
header, so every create goes through ``batch/upsert`` on the unique ``revflow_external_id`` and every other
write is naturally idempotent (PATCH, PUT association). Faults injected after the handler ran (the answer is
lost) are exactly where a plain create would duplicate.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hubspot import HubSpot
from hubspot.crm import companies, deals, line_items, products
from hubspot.crm.associations import v4
from hubspot.crm.companies import ApiException as CompaniesApiException
from hubspot.crm.deals import ApiException
from urllib3.util.retry import Retry

KEY = "revflow_external_id"
FAULTS = {"seed": 4, "rules": [{"route": "^(GET|POST|PATCH|PUT) /crm/", "error_rate": 0.15,
                                "error_after_rate": 0.15, "rate_limit_rate": 0.1, "burst_length": 2}]}


def _retry() -> Retry:
    return Retry(total=15, backoff_factor=0.002, status_forcelist=(429, 500, 502, 503, 504), allowed_methods=None)


def _upsert(api: Any, module: Any, rows: dict[str, dict[str, str]]) -> dict[str, str]:
    body = module.BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        module.SimplePublicObjectBatchInputUpsert(id=key, id_property=KEY, properties=props)
        for key, props in rows.items()])
    return {r.properties[KEY]: r.id for r in api.batch_api.upsert(body).results}


def _story(client: HubSpot) -> tuple[str, str, list[str]]:
    crm = client.crm
    company = _upsert(crm.companies, companies, {"acme": {"name": "Acme", "domain": "acme.test"}})["acme"]
    prods = _upsert(crm.products, products, {"SEAT": {"name": "Seats", "price": "100"},
                                            "SUP": {"name": "Support", "price": "20"}})
    deal = _upsert(crm.deals, deals, {"q2c-1": {"dealname": "Acme", "dealstage": "contractsent"}})["q2c-1"]
    lines = _upsert(crm.line_items, line_items, {f"q2c-1:{sku}": {"hs_product_id": pid, "quantity": "2"}
                                                 for sku, pid in prods.items()})
    crm.associations.v4.batch_api.create_default("line_items", "deals", v4.BatchInputPublicDefaultAssociationMultiPost(
        inputs=[v4.PublicDefaultAssociationMultiPost(_from=v4.PublicObjectId(id=i), to=v4.PublicObjectId(id=deal))
                for i in lines.values()]))
    crm.associations.v4.basic_api.create_default("deals", deal, "companies", company)
    crm.deals.basic_api.update(deal, deals.SimplePublicObjectInput(properties={"dealstage": "closedwon"}))
    found = crm.deals.search_api.do_search(deals.PublicObjectSearchRequest(filter_groups=[deals.FilterGroup(
        filters=[deals.Filter(property_name="dealstage", operator="EQ", value="closedwon")])]))
    assert [d.id for d in found.results] == [deal]
    return company, deal, sorted(lines.values())


class TestRetryingClient:
    def test_story_completes_without_duplicates(self, make_client: Any, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        company, deal, lines = _story(make_client(retry=_retry()))
        injected = admin.get("/__sandbox/faults").json()["injected"]
        kinds = {k for fault in injected for k in ("error", "error_after", "rate_limited") if fault[k]}
        assert kinds == {"error", "error_after", "rate_limited"}, injected
        admin.delete("/__sandbox/faults").raise_for_status()
        state = admin.get("/__sandbox/state").json()
        assert state["counts"] == {"contacts": 0, "companies": 1, "deals": 1, "products": 2, "line_items": 2}
        links = state["associations"][f"deals:{deal}"]
        assert sorted(links) == sorted([f"companies:{company}", *(f"line_items:{i}" for i in lines)])
        assert all(len(type_ids) == 1 for type_ids in links.values())

    def test_without_retries_the_faults_surface(self, client: HubSpot, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        statuses = set()
        for _ in range(30):
            try:
                client.crm.deals.basic_api.get_page()
            except ApiException as exc:
                statuses.add(exc.status)
        assert statuses == {429, 500}

    def test_a_lost_answer_to_a_plain_create_leaves_the_record(self, client: HubSpot, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json={"route": "^POST /crm/v3/objects/companies$",
                                              "error_after_rate": 1.0}).raise_for_status()
        with pytest.raises(CompaniesApiException) as exc:  # each SDK API package has its own exception types
            client.crm.companies.basic_api.create(companies.SimplePublicObjectInputForCreate(properties={"name": "A"}))
        assert exc.value.status == 500
        assert admin.get("/__sandbox/state").json()["counts"]["companies"] == 1

    def test_same_seed_same_faults(self, api: httpx.Client, admin: httpx.Client) -> None:
        def run() -> list[int]:
            admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
            return [api.get("/crm/v3/objects/deals").status_code for _ in range(30)]

        assert run() == run()
