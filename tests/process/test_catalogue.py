"""The contract catalogue: every committed API and event type with owner and status, who calls deprecated routes,
which consumer groups read each stream, and what changed between versions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as sync_redis

from contracts.event_catalog import EVENT_CATALOG
from services.example.app import create_app as create_example
from services.example.settings import ExampleSettings
from services.runtime.testing import RunningServer, serve_in_thread
from tests.conftest import REDIS_URL
from tests.process.topology import Topology

OPENAPI = Path(__file__).resolve().parents[2] / "contracts" / "openapi"


@pytest.fixture(scope="module")
def example(issuer, topology: Topology) -> Iterator[RunningServer]:
    """The example service deployed beside the process API (same Redis key prefix, as in one deployment)."""
    settings = ExampleSettings(issuer_url=issuer.url, key_prefix=topology.prefix, redis_url=REDIS_URL)
    with serve_in_thread(create_example(settings)) as server:
        yield server


def catalogue(topology: Topology, path: str = "/v1/catalogue", **params) -> dict:
    response = topology.process.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestApis:
    def test_every_committed_contract_is_listed_with_owner_and_status(self, topology: Topology):
        files = {p.name.removesuffix(".json") for p in OPENAPI.glob("*.json")}
        published = {p.name.removesuffix(".json") for p in (OPENAPI / "published").glob("*.json")}
        apis = {a["name"]: a for a in catalogue(topology)["apis"]}
        assert set(apis) == files | published
        for name, api in apis.items():
            assert api["owner"] != "unassigned", name
            assert api["status"] in ("active", "deprecated", "retired"), name
            assert api["status"] == "retired" if name not in files else api["status"] != "retired"
            assert api["published"] is (name in published)
        assert (apis["partner.v1"]["status"], apis["partner.v1"]["sunset"]) == ("deprecated", "2027-01-01")
        assert apis["partner.v2"]["status"] == "active"
        assert apis["billing.v1"]["owner"] == "billing-system"

    def test_a_partly_deprecated_api_names_its_deprecated_operations(self, topology: Topology):
        example = catalogue(topology, "/v1/catalogue/apis/example.v1")
        assert example["status"] == "active"
        assert example["deprecated_operations"] == [
            {"operation": "GET /v1/account-lookup/{account_id}", "sunset": "2027-04-01"}]

    def test_the_diff_between_majors_matches_the_committed_files(self, topology: Topology):
        v1 = json.loads((OPENAPI / "partner.v1.json").read_text())
        v2 = json.loads((OPENAPI / "partner.v2.json").read_text())
        diff = catalogue(topology, "/v1/catalogue/apis/partner.v2")["changes_from_previous_major"]
        ops = {f"{m.upper()} {p}" for spec in (v1,) for p, item in spec["paths"].items() for m in item
               if m in ("get", "put", "post", "patch", "delete")}
        assert diff["from"] == "partner.v1"
        assert diff["operations_removed"] == sorted(ops)  # every v1 path lives under /v1
        assert set(diff["schemas_added"]) == set(v2["components"]["schemas"]) - set(v1["components"]["schemas"])

    def test_an_unknown_api_is_a_404_problem(self, topology: Topology):
        response = topology.process.get("/v1/catalogue/apis/nothing.v9")
        assert response.status_code == 404
        assert "partner.v2" in response.json()["detail"]


class TestConsumers:
    def test_calling_a_deprecated_route_shows_the_caller_in_the_catalogue(self, topology: Topology, example, issuer):
        token = issuer.token("example:read example:write", client_id="revflow-test-other", secret="other-secret")
        auth = {"Authorization": f"Bearer {token}"}
        created = httpx.post(f"{example.url}/v1/accounts", headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                             json={"name": "Acme", "email": "ap@acme.test", "currency": "USD"})
        assert created.status_code == 201, created.text
        before = catalogue(topology, "/v1/catalogue/apis/example.v1")["consumers"]
        assert not [c for c in before if c["client_id"] == "revflow-test-other"]

        legacy = httpx.get(f"{example.url}/v1/account-lookup/{created.json()['id']}", headers=auth)
        assert legacy.status_code == 200 and "sunset" in legacy.headers
        after = catalogue(topology, "/v1/catalogue/apis/example.v1", days=1)["consumers"]
        assert [(c["client_id"], c["operation"]) for c in after] == [
            ("revflow-test-other", "GET /v1/account-lookup/{account_id}")]
        whole = {a["name"]: a for a in catalogue(topology)["apis"]}
        assert [c["client_id"] for c in whole["example.v1"]["consumers"]] == ["revflow-test-other"]
        assert whole["partner.v1"]["consumers"] == []

    def test_every_event_type_is_listed_with_owner_status_and_its_streams_consumer_groups(self, topology: Topology):
        stream = f"{topology.prefix}{{events:revrec}}"
        group = f"reporting-{uuid.uuid4().hex[:6]}"
        client = sync_redis.Redis.from_url(REDIS_URL)
        try:
            client.xgroup_create(stream, group, id="$", mkstream=True)
            client.xgroup_createconsumer(stream, group, "reporting-1")
        finally:
            client.close()
        events = {e["type"]: e for e in catalogue(topology, "/v1/catalogue/events")["data"]}
        assert set(events) == set(EVENT_CATALOG)
        for type_, spec in EVENT_CATALOG.items():
            assert (events[type_]["owner"], events[type_]["status"]) == (spec.owner, spec.status.value)
        seen = {g["group"]: g for g in events["revflow.revrec.schedule.updated.v1"]["consumer_groups"]}
        assert seen[group]["consumers"] == 1 and seen[group]["seen_in_window"] is True
        assert group not in {g["group"] for g in events["revflow.crm.opportunity.amended.v1"]["consumer_groups"]}
