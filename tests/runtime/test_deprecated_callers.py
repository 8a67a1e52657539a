"""Calling a deprecated route records the calling client (per route, last seen), so its owners know whom to tell."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.example.app import create_app
from services.example.settings import ExampleSettings
from services.runtime.redis import KeySpace
from services.runtime.testing import RunningServer, serve_in_thread
from services.runtime.versioning import DEPRECATED_CALLS_TTL_S, deprecated_calls, record_deprecated_call
from tests.conftest import REDIS_URL

LEGACY = "/v1/account-lookup/{account_id}"


@pytest.fixture
def example(issuer, key_prefix, redis) -> Iterator[RunningServer]:
    settings = ExampleSettings(issuer_url=issuer.url, key_prefix=key_prefix, redis_url=REDIS_URL)
    with serve_in_thread(create_app(settings)) as server:
        yield server


def headers(issuer, client_id: str = "revflow-test", secret: str = "revflow-test-secret") -> dict[str, str]:
    token = issuer.token("example:read example:write", client_id=client_id, secret=secret)
    return {"Authorization": f"Bearer {token}"}


def account(example: RunningServer, issuer) -> str:
    write = {**headers(issuer), "Idempotency-Key": uuid.uuid4().hex}
    response = httpx.post(f"{example.url}/v1/accounts", headers=write,
                          json={"name": "Acme", "email": "ap@acme.test", "currency": "USD"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


class TestDeprecatedRouteCallers:
    async def test_each_client_calling_a_deprecated_route_is_recorded_with_the_route_template(
            self, example, issuer, redis, key_prefix):
        account_id = account(example, issuer)
        before = datetime.now(UTC).replace(microsecond=0)
        for who in (headers(issuer), headers(issuer, "revflow-test-other", "other-secret")):
            answer = httpx.get(f"{example.url}/v1/account-lookup/{account_id}", headers=who)
            assert answer.status_code == 200 and "deprecation" in answer.headers
        calls = await deprecated_calls(redis, KeySpace(key_prefix))
        assert sorted(c.client_id for c in calls) == ["revflow-test", "revflow-test-other"]
        assert {(c.service, c.method, c.route) for c in calls} == {("example", "GET", LEGACY)}
        assert all(c.last_seen >= before for c in calls)
        ttl = await redis.ttl(f"{key_prefix}deprecated-calls:example:GET:{LEGACY}")
        assert 0 < ttl <= DEPRECATED_CALLS_TTL_S

    async def test_current_routes_and_refused_calls_record_nobody(self, example, issuer, redis, key_prefix):
        account_id = account(example, issuer)
        assert httpx.get(f"{example.url}/v1/accounts/{account_id}", headers=headers(issuer)).status_code == 200
        missing = httpx.get(f"{example.url}/v1/account-lookup/acct_{'0' * 20}", headers=headers(issuer))
        assert missing.status_code == 404
        assert await deprecated_calls(redis, KeySpace(key_prefix)) == []

    async def test_since_leaves_out_callers_not_seen_in_the_window(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        old = (datetime.now(UTC) - timedelta(days=40)).timestamp()
        await record_deprecated_call(redis, keyspace, service="partner", method="GET", route="/v1/deals",
                                     client_id="stale-app", at=old)
        await record_deprecated_call(redis, keyspace, service="partner", method="GET", route="/v1/deals",
                                     client_id="busy-app")
        recent = await deprecated_calls(redis, keyspace, since=datetime.now(UTC) - timedelta(days=30))
        assert [c.client_id for c in recent] == ["busy-app"]
        assert sorted(c.client_id for c in await deprecated_calls(redis, keyspace)) == ["busy-app", "stale-app"]
