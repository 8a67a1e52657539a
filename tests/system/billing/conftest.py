"""Fixtures of the billing suite: each vendor's sandbox over real HTTP, and the billing API served against it.

``vendor`` is parametrized over every billing vendor that has a sandbox and a connector, so each test of the
canonical suite runs unchanged against each of them. ``start_billing(**overrides)`` serves a billing API
(real HTTP, real Redis with this test's key prefix, tokens from the session's issuer) pointed at the
vendor's sandbox; ``billing`` is one started with the defaults.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from services.runtime.testing import free_port, serve_in_thread
from services.system.billing.app import create_app
from services.system.billing.settings import BillingSettings
from tests.conftest import REDIS_URL
from tests.system.billing.vendors import chargebee_harness, stripe_harness

VENDORS = ["stripe", "chargebee"]


class BillingApi:
    """A running billing API and an authenticated client for it."""

    def __init__(self, url: str, token: str, settings: BillingSettings) -> None:
        self.url = url
        self.settings = settings
        self.client = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def write(self, method: str, path: str, body: Any, key: str | None = None) -> httpx.Response:
        """A write with a fresh (or the given) Idempotency-Key."""
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.request(method, path, json=body, headers=headers)

    def ok(self, method: str, path: str, body: Any = None, key: str | None = None) -> dict[str, Any]:
        """A call that must succeed; returns the JSON body."""
        response = self.write(method, path, body, key) if method != "GET" else self.client.get(path)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json()


@pytest.fixture(scope="session")
def _stripe_sandbox() -> Iterator[Any]:
    with stripe_harness() as harness:
        yield harness


@pytest.fixture(scope="session")
def _chargebee_sandbox() -> Iterator[Any]:
    with chargebee_harness() as harness:
        yield harness


@pytest.fixture(params=VENDORS)
def vendor(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The sandbox of one billing vendor, reset (empty, clock running, no faults) for this test."""
    harness = request.getfixturevalue(f"_{request.param}_sandbox")
    case = request.node.nodeid.split("[", 1)[0].rsplit("/", 1)[-1]
    reason = getattr(harness, "EXPECTED_FAILURES", {}).get(case)
    if reason is not None:
        request.node.add_marker(pytest.mark.xfail(reason=f"{request.param}: {reason}", strict=True))
    harness.reset()
    yield harness
    harness.reset()


@pytest.fixture
def start_billing(vendor: Any, issuer: Any, key_prefix: str, redis: Any) -> Iterator[Callable[..., BillingApi]]:
    """Factory: ``start_billing(**settings_overrides)`` -> a running ``BillingApi``."""
    with ExitStack() as stack:
        def start(port: int | None = None, **overrides: Any) -> BillingApi:
            fields = {"issuer_url": issuer.url, "redis_url": REDIS_URL, "key_prefix": key_prefix,
                      "vendor_timeout_seconds": 5.0, **vendor.settings(), **overrides}
            settings = BillingSettings(**fields)
            server = stack.enter_context(serve_in_thread(create_app(settings), port=port or free_port()))
            api = BillingApi(server.url, issuer.token("billing:read billing:write", audience="billing"), settings)
            stack.callback(api.client.close)
            return api

        yield start


@pytest.fixture
def billing(start_billing: Callable[..., BillingApi]) -> BillingApi:
    """The billing API against this test's vendor sandbox."""
    return start_billing()
