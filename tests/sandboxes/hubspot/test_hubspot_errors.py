"""HubSpot's error cases: the SDK's ``ApiException`` fires with HubSpot's status and body; bad input is never a 500.

Error bodies follow HubSpot's documented shape (``status``, ``message``, ``correlationId``, ``category`` and,
for property validation, ``errors[]`` naming the property); every answer carries the rate-limit headers.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hubspot import HubSpot
from hubspot.crm import deals
from hubspot.crm.deals import ApiException

RATE_HEADERS = ("x-hubspot-ratelimit-daily", "x-hubspot-ratelimit-daily-remaining",
                "x-hubspot-ratelimit-interval-milliseconds", "x-hubspot-ratelimit-max", "x-hubspot-ratelimit-remaining",
                "x-hubspot-ratelimit-secondly", "x-hubspot-ratelimit-secondly-remaining")


def _body(exc: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body = json.loads(exc.value.body)
    assert body["status"] == "error" and body["correlationId"] and body["message"]
    return body


class TestSdkExceptions:
    def test_unknown_deal_is_404_object_not_found(self, client: HubSpot) -> None:
        with pytest.raises(ApiException) as exc:
            client.crm.deals.basic_api.get_by_id("999999")
        assert exc.value.status == 404
        assert _body(exc)["category"] == "OBJECT_NOT_FOUND"

    def test_unknown_property_is_400_naming_it(self, client: HubSpot) -> None:
        with pytest.raises(ApiException) as exc:
            client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(
                properties={"dealname": "x", "dael_stage": "closedwon"}))
        body = _body(exc)
        assert exc.value.status == 400 and body["category"] == "VALIDATION_ERROR"
        assert body["message"].startswith("Property values were not valid: ")
        assert [(e["code"], e["context"]["propertyName"]) for e in body["errors"]] == [
            ("PROPERTY_DOESNT_EXIST", ["dael_stage"])]

    def test_bad_token_is_401(self, make_client: Any) -> None:
        with pytest.raises(ApiException) as exc:
            make_client(token="pat-na1-not-a-real-token").crm.deals.basic_api.get_page()
        assert exc.value.status == 401 and _body(exc)["category"] == "INVALID_AUTHENTICATION"

    def test_rate_limit_is_429_with_headers(self, client: HubSpot, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json={"route": "GET /crm/v3/objects/deals$", "rate_limit_rate": 1.0,
                                              "burst_length": 1}).raise_for_status()
        with pytest.raises(ApiException) as exc:
            client.crm.deals.basic_api.get_page()
        assert exc.value.status == 429
        body = _body(exc)
        assert (body["category"], body["errorType"], body["policyName"]) == (
            "RATE_LIMITS", "RATE_LIMIT", "TEN_SECONDLY_ROLLING")
        assert exc.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert exc.value.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"


class TestWireDetails:
    def test_normal_answers_carry_rate_limit_headers(self, api: httpx.Client) -> None:
        first, second = api.get("/crm/v3/objects/deals"), api.get("/crm/v3/objects/companies")
        assert all(h in first.headers for h in RATE_HEADERS)
        used = int(first.headers["x-hubspot-ratelimit-daily-remaining"]) - int(
            second.headers["x-hubspot-ratelimit-daily-remaining"])
        assert used == 1

    def test_missing_header_is_401(self, hubspot_server: Any) -> None:
        response = httpx.get(f"{hubspot_server.url}/crm/v3/objects/deals")
        assert response.status_code == 401 and response.json()["category"] == "INVALID_AUTHENTICATION"

    def test_archived_deal_is_gone_but_listed_as_archived(self, api: httpx.Client) -> None:
        deal_id = api.post("/crm/v3/objects/deals", json={"properties": {"dealname": "x"}}).json()["id"]
        assert api.delete(f"/crm/v3/objects/deals/{deal_id}").status_code == 204
        assert api.get(f"/crm/v3/objects/deals/{deal_id}").status_code == 404
        archived = api.get("/crm/v3/objects/deals", params={"archived": "true"}).json()["results"]
        assert [(d["id"], d["archived"]) for d in archived] == [(deal_id, True)] and archived[0]["archivedAt"]

    def test_duplicate_unique_value_is_409_conflict(self, api: httpx.Client) -> None:
        body = {"properties": {"dealname": "x", "revflow_external_id": "k-1"}}
        first = api.post("/crm/v3/objects/deals", json=body)
        second = api.post("/crm/v3/objects/deals", json=body)
        assert first.status_code == 201 and second.status_code == 409
        assert second.json()["category"] == "CONFLICT" and first.json()["id"] in second.json()["message"]

    def test_list_pages_with_after(self, api: httpx.Client) -> None:
        made = [api.post("/crm/v3/objects/companies", json={"properties": {"name": f"c{n}"}}).json()["id"]
                for n in range(5)]
        seen, after = [], None
        while True:
            page = api.get("/crm/v3/objects/companies", params={"limit": 2, **({"after": after} if after else {})})
            seen += [c["id"] for c in page.json()["results"]]
            after = page.json().get("paging", {}).get("next", {}).get("after")
            if after is None:
                break
        assert seen == sorted(made, key=int)


BAD_INPUTS = [
    ("POST", "/crm/v3/objects/deals", b"{not json", "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals", b'{"properties": ["a"]}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals", b'{"properties": {"amount": "12 dollars"}}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals", b'{"properties": {"amount": {"v": 1}}}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals", b'{"properties": {"dealstage": "won"}}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals", b'{"properties": {"hs_object_id": "1"}}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals", b'{"properties": {"closedate": "yesterday"}}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals", b"[]", "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/batch/create", b'{"inputs": "x"}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/batch/create", b'{"inputs": [1]}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/batch/upsert", b'{"inputs": [{"id": "k", "idProperty": "dealname"}]}',
     "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/batch/read", b'{"inputs": [{"id": {"x": 1}}]}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/search", b'{"limit": 201}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/search", b'{"filterGroups": [{"filters": [{"propertyName": "nope"}]}]}',
     "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/search",
     b'{"filterGroups": [{"filters": [{"propertyName": "amount", "operator": "GT", "value": "lots"}]}]}',
     "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/search", b'{"filterGroups": {"filters": []}}', "VALIDATION_ERROR"),
    ("POST", "/crm/v3/objects/deals/search", b'{"sorts": [{"propertyName": "amount", "direction": "UP"}]}',
     "VALIDATION_ERROR"),
    ("GET", "/crm/v3/objects/deals?limit=abc", b"", "VALIDATION_ERROR"),
    ("GET", "/crm/v3/objects/gadgets", b"", "VALIDATION_ERROR"),
    ("PATCH", "/crm/v3/objects/deals/123", b'{"properties": {}}', "OBJECT_NOT_FOUND"),
    ("PUT", "/crm/v4/objects/deals/1/associations/companies/2", b'[{"associationCategory": "X"}]',
     "VALIDATION_ERROR"),
    ("PUT", "/crm/v4/objects/deals/1/associations/default/companies/2", b"", "OBJECT_NOT_FOUND"),
    ("GET", "/crm/v3/pipelines/deals/enterprise", b"", "OBJECT_NOT_FOUND"),
    ("GET", "/crm/v9/nothing/here", b"", "OBJECT_NOT_FOUND"),
]


@pytest.mark.parametrize(("method", "path", "body", "category"), BAD_INPUTS)
def test_bad_input_gets_hubspot_error_body(api: httpx.Client, method: str, path: str, body: bytes,
                                           category: str) -> None:
    response = api.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    data = response.json()
    assert data["status"] == "error" and data["category"] == category and data["correlationId"]
