"""Fixtures of the CRM panel's tests: the whole chain (sandboxes, system APIs, process API with workers) and
the panel itself, all real HTTP servers on loopback over one real Redis, once per test module.

The panel is a service of its own with its own audience (``crm_panel``). The session issuer of the shared
conftest registers its test client for a fixed list of audiences that does not include it, so this directory
serves an issuer with the same test client allowed that audience too (tokens for every other service are as
before, so the process topology runs on it unchanged).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis as sync_redis
from hubspot.utils.signature import Signature

from services.experience.crm_panel.app import create_app
from services.experience.crm_panel.cache import CACHE_GROUP
from services.experience.crm_panel.settings import CrmPanelSettings
from services.runtime.events import Consumer
from services.runtime.redis import KeySpace
from services.runtime.testing import free_port, serve_in_thread
from tests.conftest import REDIS_URL, TEST_AUDIENCES, TEST_CLIENT_ID, TEST_CLIENT_SECRET, Issuer
from tests.process.topology import Topology, running_topology

HUBSPOT_SECRET = "crm-panel-test-hubspot-app-secret"
LIGHTNING = "https://acme-revflow.lightning.force.com"
DEAL_PAGE = "https://ops.revflow.test/deals/{opportunity_id}"
LONG_TTL = 3_600
"""The panel cache TTL in these tests: far longer than any test runs, so only invalidation can refresh a panel."""


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """The built-in issuer with the test client allowed the panel's audience as well as every other one."""
    from services.runtime.auth.issuer.app import create_app as create_issuer
    from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings

    audiences = (*TEST_AUDIENCES, "crm_panel")
    port = free_port()
    scopes = tuple(f"{aud}:{access}" for aud in audiences for access in ("read", "write"))
    settings = IssuerSettings(issuer_url=f"http://127.0.0.1:{port}", clients=(
        ClientConfig(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, scopes=scopes, audiences=audiences),))
    with serve_in_thread(create_issuer(settings), port=port) as server:
        yield Issuer(server.url)


def panel_settings(issuer: Issuer, prefix: str, process_url: str, **overrides: Any) -> CrmPanelSettings:
    values: dict[str, Any] = {
        "issuer_url": issuer.url, "redis_url": REDIS_URL, "key_prefix": prefix, "process_url": process_url,
        "client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET, "hubspot_app_secret": HUBSPOT_SECRET,
        "cors_origins": (LIGHTNING,), "cache_ttl_seconds": LONG_TTL, "deal_url_template": DEAL_PAGE,
    }
    return CrmPanelSettings(**{**values, **overrides})


class Panel:
    """The running panel, a client holding a panel token, and HubSpot's side of the card route."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
        self.anonymous = httpx.Client(base_url=url, timeout=30)

    def salesforce(self, opportunity_id: str) -> httpx.Response:
        return self.http.get(f"/v1/salesforce/deals/{opportunity_id}")

    def card_url(self, object_id: str, object_type: str = "DEAL") -> str:
        query = urlencode({"userId": 1234567, "userEmail": "ops@acme.test", "associatedObjectId": object_id,
                           "associatedObjectType": object_type, "portalId": 62515}, safe="@")
        return f"{self.url}/v1/hubspot/card?{query}"

    def hubspot(self, url: str, *, secret: str = HUBSPOT_SECRET, timestamp_ms: int | None = None,
                body: bytes = b"", signed_body: bytes | None = None, signed_url: str | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
        """A card request as HubSpot sends it, signed over ``signed_url``/``signed_body`` (default: what is sent)."""
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        signature = hubspot_signature(secret, "GET", signed_url or url, body if signed_body is None else signed_body,
                                      stamp)
        sent = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(stamp), **(headers or {})}
        return self.anonymous.request("GET", url, content=body or None, headers=sent)

    def close(self) -> None:
        self.http.close()
        self.anonymous.close()


HUBSPOT_DECODED = ("%3A", ":"), ("%2F", "/"), ("%3F", "?"), ("%40", "@"), ("%21", "!"), ("%24", "$"), ("%27", "'"), \
    ("%28", "("), ("%29", ")"), ("%2A", "*"), ("%2C", ","), ("%3B", ";")
"""The escapes HubSpot decodes in the URI before hashing (its request-validation documentation)."""


def hubspot_signature(secret: str, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    """HubSpot's v3 signature, hashed by HubSpot's official Python SDK (which leaves the URI unescaping to its
    caller: done here first, as HubSpot's documentation describes it)."""
    for escape, char in HUBSPOT_DECODED:
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return str(Signature.get_signature(secret, body.decode(), "v3", uri, method, str(timestamp_ms)))


@pytest.fixture(scope="module")
def topology(issuer, module_key_prefix) -> Iterator[Topology]:
    with running_topology(issuer, module_key_prefix) as running:
        yield running


@pytest.fixture(scope="module")
def panel(issuer, module_key_prefix, topology) -> Iterator[Panel]:
    app = create_app(panel_settings(issuer, module_key_prefix, topology.urls["quote_to_cash"]))
    with serve_in_thread(app) as server:
        client = Panel(server.url, issuer.token("crm_panel:read", audience="crm_panel"))
        yield client
        client.close()


@pytest.fixture(scope="module")
def events(module_key_prefix) -> Iterator[PanelEvents]:
    watcher = PanelEvents(module_key_prefix)
    yield watcher
    watcher.close()


class PanelEvents:
    """What the panel's invalidation consumer has handled, read from Redis (the bus's own records)."""

    def __init__(self, prefix: str) -> None:
        self.redis = sync_redis.Redis.from_url(REDIS_URL)
        self.probe = Consumer(None, KeySpace(prefix), "process", CACHE_GROUP, "probe", handler=None)  # type: ignore[arg-type]

    def wait_handled(self, event_type: str, workflow_id: str, timeout: float = 60.0) -> str:
        """Wait until the process tier has published ``event_type`` for the workflow and the panel handled it.

        This waits for a fact (the consumer group's processed marker of that event), not for a duration: the
        deadline only turns a lost event into a failure instead of a hang.
        """
        deadline = time.monotonic() + timeout
        event_id = None
        while time.monotonic() < deadline:
            if event_id is None:
                event_id = self._published(event_type, workflow_id)
            if event_id is not None and self.redis.exists(self.probe.marker_key(event_id)):
                return event_id
            time.sleep(0.05)
        raise AssertionError(f"the panel did not handle {event_type} of {workflow_id} (published: {event_id})")

    def _published(self, event_type: str, workflow_id: str) -> str | None:
        import msgspec

        for _, fields in reversed(self.redis.xrange(self.probe.stream)):
            event = msgspec.json.decode(fields[b"ce"])
            if event.get("type") == event_type and (event.get("data") or {}).get("workflow_id") == workflow_id:
                return str(event["id"])
        return None

    def close(self) -> None:
        self.redis.close()


def idempotent_post(client: httpx.Client, path: str) -> httpx.Response:
    return client.post(path, headers={"Idempotency-Key": uuid.uuid4().hex})
