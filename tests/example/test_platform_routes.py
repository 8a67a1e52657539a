"""What every service answers besides its own routes: health, readiness, metrics, OpenAPI, deprecations."""

from __future__ import annotations

import email.utils
import uuid

import httpx

from services.example.app import create_app
from services.example.settings import ExampleSettings
from services.runtime.testing import serve_in_thread


class TestPublicRoutes:
    def test_health_ready_and_schema_need_no_token(self, example):
        assert httpx.get(f"{example.url}/health").json() == {"status": "ok"}
        assert httpx.get(f"{example.url}/ready").json() == {"status": "ready"}
        schema = httpx.get(f"{example.url}/schema/openapi.json").json()
        assert schema["info"]["title"] == "example"
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"

    def test_ready_is_a_503_problem_when_redis_is_unreachable(self, issuer, key_prefix):
        settings = ExampleSettings(issuer_url=issuer.url, key_prefix=key_prefix, redis_url="redis://127.0.0.1:1/0")
        with serve_in_thread(create_app(settings)) as server:
            response = httpx.get(f"{server.url}/ready", timeout=15)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "redis" in response.json()["detail"]

    def test_metrics_count_requests_by_route_template_not_raw_path(self, example, write_headers):
        for _ in range(3):
            httpx.get(f"{example.url}/v1/accounts/acct_{uuid.uuid4().hex[:20]}", headers=write_headers)
        text = httpx.get(f"{example.url}/metrics").text
        line = next(row for row in text.splitlines() if row.startswith(
            "revflow_http_server_request_duration_seconds_count") and '/v1/accounts/{account_id}' in row
            and 'status="404"' in row and 'service="example"' in row)
        assert float(line.rsplit(" ", 1)[1]) >= 3
        assert "acct_" not in text, "raw ids must never become label values"


class TestDeprecation:
    def test_deprecated_route_announces_its_sunset_and_successor(self, example, write_headers):
        created = httpx.post(f"{example.url}/v1/accounts", headers={**write_headers, "Idempotency-Key": "k1"},
                             json={"name": "Acme", "email": "ap@acme.test", "currency": "USD"}).json()
        old = httpx.get(f"{example.url}/v1/account-lookup/{created['id']}", headers=write_headers)
        assert old.status_code == 200 and old.json()["id"] == created["id"]
        assert old.headers["deprecation"].startswith("@")
        assert int(old.headers["deprecation"][1:]) == 1790812800  # 2026-10-01T00:00:00Z
        assert email.utils.parsedate_to_datetime(old.headers["sunset"]).year == 2027
        assert old.headers["link"] == f'</v1/accounts/{created["id"]}>; rel="successor-version"'
        current = httpx.get(f"{example.url}/v1/accounts/{created['id']}", headers=write_headers)
        assert "deprecation" not in current.headers and "sunset" not in current.headers

    def test_openapi_marks_the_deprecated_operation(self, example):
        schema = httpx.get(f"{example.url}/schema/openapi.json").json()
        assert schema["paths"]["/v1/account-lookup/{account_id}"]["get"]["deprecated"] is True
        assert schema["paths"]["/v1/accounts/{account_id}"]["get"].get("deprecated") is not True


class TestAuthOnTheService:
    def test_no_token_is_a_401_problem_with_a_bearer_challenge(self, example):
        response = httpx.get(f"{example.url}/v1/ping")
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["type"].endswith("/unauthorized")

    def test_read_token_cannot_write(self, example, issuer):
        headers = {"Authorization": f"Bearer {issuer.token('example:read')}", "Idempotency-Key": "k"}
        response = httpx.post(f"{example.url}/v1/accounts", headers=headers,
                              json={"name": "Acme", "email": "ap@acme.test", "currency": "USD"})
        assert response.status_code == 403
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
        assert response.json()["type"].endswith("/forbidden")

    def test_token_for_another_service_is_refused(self, example, issuer):
        token = issuer.token("crm:read", audience="crm")
        response = httpx.get(f"{example.url}/v1/ping", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert "audience" in response.json()["detail"]


class TestConcurrentUpdates:
    async def test_concurrent_patches_lose_no_change(self, example, write_headers):
        import asyncio

        created = httpx.post(f"{example.url}/v1/accounts", headers={**write_headers, "Idempotency-Key": "c1"},
                             json={"name": "Acme", "email": "ap@acme.test", "currency": "USD"}).json()
        async with httpx.AsyncClient(base_url=example.url, headers=write_headers, timeout=30) as client:
            responses = await asyncio.gather(*[
                client.patch(f"/v1/accounts/{created['id']}", json={"credit_limit_minor": limit})
                for limit in range(1, 21)])
        assert all(r.status_code == 200 for r in responses)
        final = httpx.get(f"{example.url}/v1/accounts/{created['id']}", headers=write_headers).json()
        assert final["version"] == 21, "every one of the 20 changes must have been applied on top of the last"
        assert sorted(r.json()["version"] for r in responses) == list(range(2, 22))
