"""Fixtures of the ERP suite: the NetSuite sandbox over real HTTP, and the ERP API served against it.

``start_erp(**overrides)`` serves an ERP API (real HTTP, real Redis with this test's key prefix, tokens from
the session's issuer) pointed at the sandbox; ``erp`` is one started with the defaults. The sandbox is reset
(empty but for its chart of accounts, no faults) before and after each test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from services.runtime.testing import free_port, serve_in_thread
from services.system.erp.app import create_app
from services.system.erp.settings import ErpSettings
from tests.conftest import REDIS_URL
from tests.system.erp.vendors import NetSuiteHarness, netsuite_harness


class ErpApi:
    """A running ERP API and an authenticated client for it."""

    def __init__(self, url: str, token: str, settings: ErpSettings) -> None:
        self.url = url
        self.settings = settings
        self.client = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def write(self, method: str, path: str, body: Any, key: str | None = None) -> httpx.Response:
        """A write with a fresh (or the given) Idempotency-Key."""
        return self.client.request(method, path, json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex})

    def ok(self, method: str, path: str, body: Any = None, key: str | None = None) -> dict[str, Any]:
        """A call that must succeed; returns the JSON body."""
        response = self.write(method, path, body, key) if method != "GET" else self.client.get(path)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json()


@pytest.fixture(scope="session")
def _netsuite_sandbox() -> Iterator[NetSuiteHarness]:
    with netsuite_harness() as harness:
        yield harness


@pytest.fixture
def vendor(_netsuite_sandbox: NetSuiteHarness) -> Iterator[NetSuiteHarness]:
    """The NetSuite sandbox, reset for this test."""
    _netsuite_sandbox.reset()
    yield _netsuite_sandbox
    _netsuite_sandbox.reset()


@pytest.fixture
def start_erp(vendor: NetSuiteHarness, issuer: Any, key_prefix: str, redis: Any) -> Iterator[Callable[..., ErpApi]]:
    """Factory: ``start_erp(**settings_overrides)`` -> a running ``ErpApi``."""
    with ExitStack() as stack:
        def start(port: int | None = None, **overrides: Any) -> ErpApi:
            fields = {"issuer_url": issuer.url, "redis_url": REDIS_URL, "key_prefix": key_prefix,
                      **vendor.settings(), **overrides}
            settings = ErpSettings(**fields)
            server = stack.enter_context(serve_in_thread(create_app(settings), port=port or free_port()))
            api = ErpApi(server.url, issuer.token("erp:read erp:write", audience="erp"), settings)
            stack.callback(api.client.close)
            return api

        yield start


@pytest.fixture
def erp(start_erp: Callable[..., ErpApi]) -> ErpApi:
    """The ERP API against the NetSuite sandbox."""
    return start_erp()
