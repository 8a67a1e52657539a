"""Fixtures for the Salesforce sandbox suite: the sandbox over real HTTPS, the official SDK, a listener.

One sandbox serves the session (reset before each test). ``simple-salesforce`` only builds ``https://``
URLs, so the sandbox runs under uvicorn with a trustme certificate and the SDK's requests session trusts
that CA (with ``trust_env`` off, so ``REQUESTS_CA_BUNDLE`` cannot override it).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from simple_salesforce import Salesforce

from sandboxes.salesforce import create_app
from sandboxes.salesforce.tls import Certificates, TlsServer, make_certificates, serve_tls
from services.runtime.testing import RunningServer, serve_in_thread
from tests.sandboxes.salesforce.listener import Listener

CLIENT_ID, CLIENT_SECRET = "revflow-dev", "revflow-dev-secret"


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(Path(tmp_path_factory.mktemp("sf-tls")))


@pytest.fixture(scope="session")
def sandbox_app() -> Any:
    # Short outbound retry delays keep redelivery tests fast; the policy is the same as in production.
    return create_app(seed=11, outbound_retry_delay=0.05, outbound_max_attempts=4)


@pytest.fixture(scope="session")
def server(sandbox_app: Any, certs: Certificates) -> Iterator[TlsServer]:
    with serve_tls(sandbox_app, certs) as running:
        yield running


@pytest.fixture
def admin(server: TlsServer, certs: Certificates) -> Iterator[httpx.Client]:
    """Plain HTTPS client for the ``/__sandbox`` admin routes (the sandbox is reset first)."""
    with httpx.Client(base_url=server.url, verify=ssl.create_default_context(cafile=str(certs.ca)),
                      timeout=15) as client:
        client.post("/__sandbox/reset").raise_for_status()
        yield client


def https_session(certs: Certificates) -> requests.Session:
    """A requests session that trusts only the sandbox's CA."""
    http = requests.Session()
    http.trust_env = False
    http.verify = str(certs.ca)
    return http


@pytest.fixture
def http(certs: Certificates) -> Iterator[requests.Session]:
    with https_session(certs) as session:
        yield session


@pytest.fixture
def token(admin: httpx.Client, server: TlsServer, http: requests.Session) -> str:
    """An access token from the sandbox's client-credentials grant."""
    response = http.post(f"{server.url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def make_sf(server: TlsServer, token: str, certs: Certificates) -> Iterator[Callable[..., Salesforce]]:
    """Factory: the official SDK pointed at the sandbox (instance URL + token, nothing else changed)."""
    opened: list[requests.Session] = []

    def make(session: requests.Session | None = None, session_id: str | None = None) -> Salesforce:
        session = session or https_session(certs)
        opened.append(session)
        return Salesforce(instance_url=server.url, session_id=session_id or token, version="62.0", session=session)

    yield make
    for session in opened:  # idle keep-alive TLS connections would slow the server's shutdown
        session.close()


@pytest.fixture
def sf(make_sf: Callable[..., Salesforce]) -> Salesforce:
    return make_sf()


@pytest.fixture
def listen() -> Iterator[Callable[..., tuple[Listener, str]]]:
    """Factory: ``listen(refuse=0)`` serves a fresh Outbound Message listener; returns it and its URL."""
    servers: list[Any] = []

    def start(refuse: int = 0, status: int = 200) -> tuple[Listener, str]:
        listener = Listener(refuse=refuse, status=status)
        context = serve_in_thread(listener)
        running: RunningServer = context.__enter__()
        servers.append(context)
        return listener, f"{running.url}/outbound"

    yield start
    for context in servers:
        context.__exit__(None, None, None)
