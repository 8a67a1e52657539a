"""Idempotency-Key over real HTTP and a real Redis: one execution, one answer, whatever the client does."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import msgspec

from services.runtime.settings import RuntimeSettings
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL
from tests.support.counter_service import create_counter_app


def _settings(issuer_url: str, key_prefix: str, **overrides: object) -> RuntimeSettings:
    return RuntimeSettings(service_name="test-a", issuer_url=issuer_url, key_prefix=key_prefix,
                           redis_url=REDIS_URL, **overrides)


def _headers(token: str, key: str | None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def _executions(redis, key_prefix: str) -> int:
    return int(await redis.get(f"{key_prefix}executions") or 0)


class TestConcurrentRepeats:
    async def test_200_concurrent_requests_with_one_key_execute_once_and_get_one_answer(
            self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
            async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
                responses = await asyncio.gather(*[
                    client.post("/v1/charges", json={"amount": 1200, "delay_ms": 50}, headers=_headers(token, key))
                    for _ in range(200)])
        assert {r.status_code for r in responses} == {201}
        assert len({r.content for r in responses}) == 1, "every client must see the first response's body"
        assert await _executions(redis, key_prefix) == 1
        replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
        assert len(replayed) == 199

    async def test_in_flight_duplicate_gets_409_when_the_first_outlasts_the_wait(self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        app = create_counter_app(_settings(issuer.url, key_prefix, idempotency_wait_ms=100))
        with serve_in_thread(app) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                first = asyncio.create_task(client.post(
                    "/v1/charges", json={"amount": 5, "delay_ms": 1500}, headers=_headers(token, key)))
                await asyncio.sleep(0.3)
                duplicate = await client.post("/v1/charges", json={"amount": 5, "delay_ms": 1500},
                                              headers=_headers(token, key))
                assert (await first).status_code == 201
        assert duplicate.status_code == 409
        assert duplicate.headers["content-type"].startswith("application/problem+json")
        assert duplicate.json()["type"].endswith("/idempotency-in-flight")
        assert await _executions(redis, key_prefix) == 1


class TestRepeatsAfterCompletion:
    async def test_same_key_different_body_is_422(self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            async with httpx.AsyncClient(base_url=server.url) as client:
                first = await client.post("/v1/charges", json={"amount": 10}, headers=_headers(token, key))
                other = await client.post("/v1/charges", json={"amount": 11}, headers=_headers(token, key))
        assert first.status_code == 201
        assert other.status_code == 422
        assert other.json()["type"].endswith("/idempotency-key-reused")
        assert await _executions(redis, key_prefix) == 1

    async def test_replay_survives_a_restart_of_the_service(self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            first = httpx.post(f"{server.url}/v1/charges", json={"amount": 7}, headers=_headers(token, key))
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as restarted:
            again = httpx.post(f"{restarted.url}/v1/charges", json={"amount": 7}, headers=_headers(token, key))
        assert first.status_code == again.status_code == 201
        assert msgspec.json.decode(again.content) == msgspec.json.decode(first.content)
        assert again.headers["idempotent-replayed"] == "true"
        assert await _executions(redis, key_prefix) == 1

    async def test_keys_are_scoped_per_client(self, issuer, redis, key_prefix):
        key = uuid.uuid4().hex
        mine = issuer.token("test-a:write", audience="test-a")
        theirs = issuer.token("test-a:write", audience="test-a", client_id="revflow-test-other",
                              secret="other-secret")
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            a = httpx.post(f"{server.url}/v1/charges", json={"amount": 1}, headers=_headers(mine, key))
            b = httpx.post(f"{server.url}/v1/charges", json={"amount": 1}, headers=_headers(theirs, key))
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]
        assert await _executions(redis, key_prefix) == 2


class TestWhatIsNotStored:
    async def test_missing_key_on_a_route_that_requires_one_is_400(self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            response = httpx.post(f"{server.url}/v1/charges", json={"amount": 1}, headers=_headers(token, None))
        assert response.status_code == 400
        assert response.json()["type"].endswith("/idempotency-key-missing")
        assert await _executions(redis, key_prefix) == 0

    async def test_a_request_that_failed_validation_can_be_corrected_under_the_same_key(
            self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            bad = httpx.post(f"{server.url}/v1/charges", json={"amount": 0}, headers=_headers(token, key))
            good = httpx.post(f"{server.url}/v1/charges", json={"amount": 3}, headers=_headers(token, key))
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "amount"
        assert good.status_code == 201 and "idempotent-replayed" not in good.headers

    async def test_a_server_error_is_not_pinned_to_the_key(self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            failed = httpx.post(f"{server.url}/v1/charges", json={"amount": 3, "fail": True},
                                headers=_headers(token, key))
            retried = httpx.post(f"{server.url}/v1/charges", json={"amount": 3, "fail": True},
                                 headers=_headers(token, key))
        assert failed.status_code == retried.status_code == 500
        assert "idempotent-replayed" not in retried.headers
        assert await _executions(redis, key_prefix) == 2
        assert "Traceback" not in failed.text and failed.json()["type"].endswith("/internal")


class TestLongAndStreamedRequests:
    async def test_a_streamed_response_is_stored_and_replayed(self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        with serve_in_thread(create_counter_app(_settings(issuer.url, key_prefix))) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
                first = await client.post("/v1/exports", json={"amount": 9}, headers=_headers(token, key))
                again = await client.post("/v1/exports", json={"amount": 9}, headers=_headers(token, key))
        assert first.status_code == again.status_code == 201
        assert again.text == first.text and first.text.count("\n") == 3
        assert again.headers["idempotent-replayed"] == "true"
        assert await _executions(redis, key_prefix) == 1

    async def test_the_lock_outlives_a_request_slower_than_its_ttl(self, issuer, redis, key_prefix):
        token = issuer.token("test-a:write", audience="test-a")
        key = uuid.uuid4().hex
        app = create_counter_app(_settings(issuer.url, key_prefix, idempotency_lock_ms=900, idempotency_wait_ms=50))
        with serve_in_thread(app) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                first = asyncio.create_task(client.post(
                    "/v1/charges", json={"amount": 5, "delay_ms": 3000}, headers=_headers(token, key)))
                await asyncio.sleep(2.0)  # more than twice the 900 ms lock TTL: only renewal keeps the key taken
                duplicate = await client.post("/v1/charges", json={"amount": 5, "delay_ms": 3000},
                                              headers=_headers(token, key))
                assert (await first).status_code == 201
        assert duplicate.status_code == 409
        assert await _executions(redis, key_prefix) == 1
