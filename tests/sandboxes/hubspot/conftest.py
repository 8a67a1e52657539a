"""Fixtures for the HubSpot sandbox suite: one sandbox served over real HTTP, the official SDK pointed at it,
and a webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hubspot import HubSpot

from sandboxes.hubspot import DEV_TOKEN, create_app
from services.runtime.testing import RunningServer, serve_in_thread
from tests.sandboxes.hubspot.hubspot_receiver import Receiver

APP_SECRET = "hubspot-test-client-secret"


@pytest.fixture(scope="session")
def hubspot_server() -> Iterator[RunningServer]:
    """One HubSpot sandbox for the session (reset before each test that uses it)."""
    app = create_app(seed=11, app_secret=APP_SECRET, webhook_attempts=4, webhook_retry_delay=0.02)
    with serve_in_thread(app) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_portal(request: pytest.FixtureRequest) -> None:
    """An empty portal, no faults, no webhook settings before each test that talks to the sandbox."""
    if "hubspot_server" in request.fixturenames:
        url = request.getfixturevalue("hubspot_server").url
        httpx.post(f"{url}/__sandbox/reset", timeout=10).raise_for_status()


@pytest.fixture
def admin(hubspot_server: RunningServer) -> Iterator[httpx.Client]:
    """Plain HTTP client for the ``/__sandbox`` admin routes."""
    with httpx.Client(base_url=hubspot_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def api(hubspot_server: RunningServer) -> Iterator[httpx.Client]:
    """Raw HTTP client carrying the dev private-app token (for wire-level assertions)."""
    with httpx.Client(base_url=hubspot_server.url, timeout=10,
                      headers={"Authorization": f"Bearer {DEV_TOKEN}"}) as client:
        yield client


@pytest.fixture
def make_client(hubspot_server: RunningServer) -> Any:
    """Factory: ``make_client(token=..., retry=...)`` -> the official SDK with only its host changed."""

    def make(token: str = DEV_TOKEN, retry: Any = None) -> HubSpot:
        return HubSpot(access_token=token, host=hubspot_server.url, retry=retry)

    return make


@pytest.fixture
def client(make_client: Any) -> HubSpot:
    return make_client()


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[tuple[Receiver, RunningServer]]:
    receiver = Receiver()
    with serve_in_thread(receiver) as running:
        yield receiver, running


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, RunningServer]) -> tuple[Receiver, str]:
    """A cleared receiver and the URL webhooks should go to."""
    rec, running = receiver_server
    rec.clear()
    return rec, f"{running.url}/hubspot/webhooks"
