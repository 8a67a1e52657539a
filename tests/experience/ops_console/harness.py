"""Test harness of the ops console: the console in front of the whole quote-to-cash chain, and a signed-in browser.

Sandboxes -> system APIs -> the process API with workers (``tests.process.topology``), then the console as a
real server calling the process API with its own client-credentials token from the session's issuer, all on
one real Redis under the module's key prefix. People sign in through the console's own login form.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from services.experience.ops_console.app import create_app
from services.experience.ops_console.settings import OpsConsoleSettings
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.process.topology import Topology, running_topology

PASSWORDS = {"finance": "finance-dev-pass", "sales": "sales-dev-pass", "billing": "billing-dev-pass",
             "viewer": "viewer-dev-pass"}
COOKIE = "revflow_console"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def line(sku: str, **overrides: Any) -> dict[str, Any]:
    """A deal line as the CRM sandbox takes it (a year of monthly seats by default)."""
    return {"sku": sku, "quantity": 5, "list": 10_000, "sale": 9_000, "start": "2025-01-01", "end": "2025-12-31",
            "frequency": "monthly", **overrides}


def sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def key_of(html: str) -> str:
    found = _KEY.search(html)
    assert found, "the page carries no action form"
    return found.group(1)


@dataclass
class Console:
    url: str
    topology: Topology

    def browser(self) -> httpx.Client:
        """A client that keeps cookies, like a browser, and does not follow redirects on its own."""
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)

    def sign_in(self, username: str, client: httpx.Client | None = None) -> httpx.Client:
        client = client or self.browser()
        form = client.get("/login")
        assert form.status_code == 200, form.text
        done = client.post("/login", data={"username": username, "password": PASSWORDS[username],
                                           "csrf_token": csrf_of(form.text), "next": "/pipeline"})
        assert done.status_code == 303, done.text
        return client

    def blocked_deal(self) -> tuple[str, str]:
        """A deal whose SKU NetSuite does not know: it parks as blocked_master_data for finance_ops."""
        missing = sku("PRO-ANNUAL")
        deal = self.topology.win_deal([line(missing)])
        parked = self.topology.wait_for(f"activation:{deal}")
        assert (parked["state"], parked["business_status"]) == ("parked", "blocked_master_data"), parked
        return deal, missing

    def completed_deal(self) -> str:
        known = sku("SEAT")
        self.topology.item(known)
        deal = self.topology.win_deal([line(known)])
        done = self.topology.wait_for(f"activation:{deal}")
        assert done["state"] == "succeeded", done.get("exception")
        return deal


def console_settings(issuer: Any, prefix: str, process_url: str, **overrides: Any) -> OpsConsoleSettings:
    return OpsConsoleSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=prefix, process_url=process_url,
                              client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET, **overrides)


@contextmanager
def running_console(issuer: Any, prefix: str) -> Iterator[Console]:
    """The chain (``running_topology``) and the console in front of it, for the block."""
    with running_topology(issuer, prefix) as topology:
        settings = console_settings(issuer, prefix, topology.urls["quote_to_cash"], metrics_cache_seconds=0)
        with serve_in_thread(create_app(settings)) as server:
            yield Console(server.url, topology)
