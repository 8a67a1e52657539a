"""Shared test fixtures: a real Redis with a per-test key prefix, and the loopback port helper."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.runtime.redis import create_redis
from services.runtime.testing import free_port

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


