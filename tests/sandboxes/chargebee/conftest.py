"""Fixtures for the Chargebee sandbox suite: a real HTTP server, the official SDK pointed at it, admin access.

The site clock is frozen at 2025-11-01 00:00:00 UTC and moves only by time travel, so terms and prorations
are exact: November has 30 days, so the first monthly term is 2,592,000 seconds long.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from chargebee import Chargebee
from chargebee.retry_config import RetryConfig

from sandboxes.chargebee import create_app
from services.runtime.testing import RunningServer, serve_in_thread

API_KEY = "test_revflow_sandbox_key"
START = int(datetime(2025, 11, 1, tzinfo=UTC).timestamp())
DAY = 86_400


@pytest.fixture(scope="session")
def cb_server() -> Iterator[RunningServer]:
    """One Chargebee sandbox served on loopback for the session (reset before each test)."""
    app = create_app(seed=11, api_keys={API_KEY}, clock=lambda: START, webhook_retry_delay=0.05)
    with serve_in_thread(app) as running:
        yield running


@pytest.fixture
def cb_admin(cb_server: RunningServer) -> Iterator[httpx.Client]:
    """Plain HTTP client for the ``/__sandbox`` admin routes; the sandbox is reset first."""
    with httpx.Client(base_url=cb_server.url, timeout=10) as client:
        client.post("/__sandbox/reset").raise_for_status()
        yield client


def sdk(server: RunningServer, api_key: str = API_KEY, retries: int = 0) -> Chargebee:
    """The official SDK on the sandbox, per VENDORS 5.4: only site and domain change."""
    Chargebee.verify_ca_certs = False  # class attribute: the SDK picks the scheme from it
    client = Chargebee(api_key=api_key, site="127", chargebee_domain=f"0.0.1:{server.port}", protocol="http")
    if retries:
        client.update_retry_config(RetryConfig(enabled=True, max_retries=retries, delay_ms=5))
    return client


@pytest.fixture
def cb(cb_server: RunningServer, cb_admin: httpx.Client) -> Chargebee:
    """An SDK client on a freshly reset sandbox."""
    return sdk(cb_server)


@pytest.fixture
def make_cb(cb_server: RunningServer, cb_admin: httpx.Client) -> Any:
    """Factory: ``make_cb(api_key=..., retries=...)`` -> an SDK client on a freshly reset sandbox."""
    return lambda api_key=API_KEY, retries=0: sdk(cb_server, api_key, retries)


def seed_catalog(cb: Chargebee) -> None:
    """Plan A ($30/month), Plan B ($100/month), a metered tiered addon and a one-time setup charge."""
    cb.ItemFamily.create({"id": "platform", "name": "Platform"})
    for item_id, name, type_, metered in (("plan-a", "Plan A", "plan", False), ("plan-b", "Plan B", "plan", False),
                                          ("api-calls", "API calls", "addon", True),
                                          ("onboarding", "Onboarding", "charge", False)):
        cb.Item.create({"id": item_id, "name": name, "type": type_, "item_family_id": "platform", "metered": metered})
    monthly = {"period": 1, "period_unit": "month", "currency_code": "USD"}
    cb.ItemPrice.create({"id": "plan-a-usd-monthly", "name": "Plan A USD Monthly", "item_id": "plan-a",
                         "pricing_model": "flat_fee", "price": 3000, **monthly})
    cb.ItemPrice.create({"id": "plan-b-usd-monthly", "name": "Plan B USD Monthly", "item_id": "plan-b",
                         "pricing_model": "flat_fee", "price": 10000, **monthly})
    cb.ItemPrice.create({"id": "api-calls-usd-monthly", "name": "API calls USD Monthly", "item_id": "api-calls",
                         "pricing_model": "tiered", **monthly,
                         "tiers": [{"starting_unit": 1, "ending_unit": 1000, "price": 2},
                                   {"starting_unit": 1001, "price": 1}]})
    cb.ItemPrice.create({"id": "onboarding-usd", "name": "Onboarding USD", "item_id": "onboarding",
                         "pricing_model": "flat_fee", "price": 50000, "currency_code": "USD"})
