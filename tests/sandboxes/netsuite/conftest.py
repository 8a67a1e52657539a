"""Fixtures for the NetSuite sandbox suite: one sandbox served over real HTTP, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandboxes.netsuite import DEV_SETTINGS, create_app
from services.runtime.testing import RunningServer, serve_in_thread
from tests.sandboxes.netsuite.signing import NetSuiteHttp


@pytest.fixture(scope="session")
def netsuite_app() -> Any:
    """One sandbox for the session, with the documented dev credentials."""
    return create_app(DEV_SETTINGS)


@pytest.fixture(scope="session")
def netsuite_server(netsuite_app: Any) -> Iterator[RunningServer]:
    with serve_in_thread(netsuite_app) as running:
        yield running


@pytest.fixture
def admin(netsuite_server: RunningServer) -> Iterator[httpx.Client]:
    """Plain client for ``/__sandbox``; the sandbox is reset before the test."""
    with httpx.Client(base_url=netsuite_server.url, timeout=10) as client:
        client.post("/__sandbox/reset").raise_for_status()
        client.delete("/__sandbox/faults").raise_for_status()
        yield client


@pytest.fixture
def ns(netsuite_server: RunningServer, admin: httpx.Client) -> NetSuiteHttp:
    """A signed client on a freshly reset sandbox."""
    return NetSuiteHttp(netsuite_server.url)
