"""Shared test fixtures: a real Redis with a per-test key prefix, and the loopback port helper."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from redis.asyncio import Redis

from services.runtime.redis import create_redis
from services.runtime.testing import free_port, serve_in_thread

__all__ = ["free_port"]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def key_prefix() -> str:
    """A key prefix no other test uses, so tests never see each other's keys."""
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis(key_prefix: str) -> AsyncIterator[Redis]:
    """A connection to the real Redis at REDIS_URL; deletes only this test's keys afterwards."""
    client = create_redis(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - the environment is broken, say so loudly
        pytest.fail(f"no Redis answers at {REDIS_URL}: {exc} (start one; tests never fall back to a fake)")
    yield client
    keys = [k async for k in client.scan_iter(match=key_prefix + "*", count=1000)]
    if keys:
        await client.unlink(*keys)
    await client.aclose()




TEST_CLIENT_ID = "revflow-test"
TEST_CLIENT_SECRET = "revflow-test-secret"
TEST_AUDIENCES = ("example", "test-a", "test-b", "crm", "erp", "billing", "revrec", "quote_to_cash")


class Issuer:
    """A running built-in issuer and a way to get tokens from it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def token(self, scope: str, audience: str = "example", client_id: str = TEST_CLIENT_ID,
              secret: str = TEST_CLIENT_SECRET) -> str:
        """An access token from the issuer's client-credentials grant (HTTP Basic client auth)."""
        response = httpx.post(f"{self.url}/oauth/token", auth=(client_id, secret),
                              data={"grant_type": "client_credentials", "scope": scope, "audience": audience})
        response.raise_for_status()
        return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """The built-in issuer served over real HTTP for the whole test session."""
    from services.runtime.auth.issuer.app import create_app
    from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings

    port = free_port()
    scopes = tuple(f"{aud}:{access}" for aud in TEST_AUDIENCES for access in ("read", "write"))
    settings = IssuerSettings(
        issuer_url=f"http://127.0.0.1:{port}",
        clients=(ClientConfig(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, scopes=scopes,
                              audiences=TEST_AUDIENCES),
                 ClientConfig(client_id="revflow-test-other", client_secret="other-secret", scopes=scopes,
                              audiences=TEST_AUDIENCES)),
    )
    with serve_in_thread(create_app(settings), port=port) as server:
        yield Issuer(server.url)


logging.getLogger("httpx").setLevel(logging.WARNING)


def delete_keys(prefix: str) -> None:
    """Delete every key under ``prefix`` in the Redis at REDIS_URL (synchronously, for fixture teardowns)."""
    import redis as sync_redis

    client = sync_redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.unlink(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def module_key_prefix() -> Iterator[str]:
    """A key prefix shared by one test module (for module-scoped apps); its keys are deleted afterwards."""
    prefix = f"test:{uuid.uuid4().hex[:12]}:module:"
    yield prefix
    delete_keys(prefix)
