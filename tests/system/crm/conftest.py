"""Fixtures of the CRM suite: each CRM's sandbox over real HTTP, and the CRM API served against it.

``vendor`` is parametrized over every CRM that has a sandbox and a connector, so each test of the canonical
suite runs unchanged against each of them. ``start_crm(**overrides)`` serves a CRM API (real HTTP, real Redis
with this test's key prefix, tokens from the session's issuer) pointed at the vendor's sandbox; ``crm`` is
one started with the defaults (poller off).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from services.runtime.testing import free_port, serve_in_thread
from services.system.crm.app import create_app
from services.system.crm.settings import CrmSettings
from tests.conftest import REDIS_URL
from tests.system.crm.vendors import hubspot_harness, salesforce_harness

VENDORS = ["salesforce", "hubspot"]


class CrmApi:
    """A running CRM API and an authenticated client for it."""

    def __init__(self, url: str, token: str, settings: CrmSettings) -> None:
        self.url = url
        self.settings = settings
        self.client = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def write(self, method: str, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        """A write with a fresh (or the given) Idempotency-Key."""
        return self.client.request(method, path, json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex})

    def ok(self, method: str, path: str, body: Any = None, key: str | None = None) -> dict[str, Any]:
        """A call that must succeed; returns the JSON body."""
        response = self.write(method, path, body, key) if method != "GET" else self.client.get(path)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json()


@pytest.fixture(scope="session")
def _salesforce_sandbox() -> Iterator[Any]:
    with salesforce_harness() as harness:
        yield harness


@pytest.fixture(scope="session")
def _hubspot_sandbox() -> Iterator[Any]:
    with hubspot_harness() as harness:
        yield harness


@pytest.fixture(params=VENDORS)
def vendor(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The sandbox of one CRM, reset (empty, no faults, no push listener) for this test."""
    harness = request.getfixturevalue(f"_{request.param}_sandbox")
    harness.reset()
    yield harness
    harness.reset()


@pytest.fixture
def start_crm(vendor: Any, issuer: Any, key_prefix: str, redis: Any) -> Iterator[Callable[..., CrmApi]]:
    """Factory: ``start_crm(port=None, **settings_overrides)`` -> a running ``CrmApi``."""
    with ExitStack() as stack:
        def start(port: int | None = None, **overrides: Any) -> CrmApi:
            fields = {"issuer_url": issuer.url, "redis_url": REDIS_URL, "key_prefix": key_prefix,
                      "vendor_timeout_seconds": 5.0, "poll_overlap_seconds": 2.0, **vendor.settings(), **overrides}
            settings = CrmSettings(**fields)
            server = stack.enter_context(serve_in_thread(create_app(settings), port=port or free_port()))
            api = CrmApi(server.url, issuer.token("crm:read crm:write", audience="crm"), settings)
            stack.callback(api.client.close)
            return api

        yield start


@pytest.fixture
def crm(start_crm: Callable[..., CrmApi]) -> CrmApi:
    """The CRM API against this test's vendor sandbox."""
    return start_crm()
