"""Test harnesses of the billing vendors' sandboxes: start, reset, inspect, fault and drive each one.

The canonical suite only talks to the billing API; a harness is what a test uses to arrange vendor-side
conditions (a frozen clock, a draft invoice made in the vendor's UI, faults) and to count what exists at
the vendor afterwards. Each vendor's harness offers the same methods.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from services.runtime.testing import serve_in_thread

__all__ = ["STRIPE_API_KEY", "SandboxClock", "StripeHarness", "stripe_harness"]

STRIPE_API_KEY = "sk_test_revflow_billing"


class SandboxClock:
    """A wall clock the tests can freeze (objects not on a test clock read it)."""

    def __init__(self) -> None:
        self.frozen: float | None = None

    def __call__(self) -> float:
        return time.time() if self.frozen is None else self.frozen


class StripeHarness:
    """The Stripe sandbox served over real HTTP, and its admin routes."""

    vendor = "stripe"

    def __init__(self, url: str, clock: SandboxClock) -> None:
        self.url = url
        self.clock = clock
        self.http = httpx.Client(base_url=url, timeout=15, headers={"Authorization": f"Bearer {STRIPE_API_KEY}"})

    def settings(self) -> dict[str, Any]:
        """Billing settings fields that point the API at this sandbox."""
        return {"vendor": "stripe", "vendor_url": self.url, "stripe_api_key": STRIPE_API_KEY}

    def reset(self) -> None:
        self.clock.frozen = None
        self.http.post("/__sandbox/reset").raise_for_status()

    def freeze(self, unix: int) -> None:
        self.clock.frozen = float(unix)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every stored object of a Stripe type (``customer``, ``subscription``, ``credit_note``...)."""
        names = {"meter_event": "billing.meter_event"}
        state = self.http.get("/__sandbox/state").raise_for_status().json()
        return list(state["objects"][names.get(kind, kind)].values())

    def faults(self, config: dict[str, Any]) -> None:
        self.http.post("/__sandbox/faults", json=config).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/__sandbox/faults").raise_for_status()

    def register_webhook(self, url: str) -> str:
        """Subscribe ``url`` to every event; returns the endpoint's signing secret."""
        response = self.http.post("/v1/webhook_endpoints", data={"url": url, "enabled_events[]": "*"})
        return str(response.raise_for_status().json()["secret"])

    def flush_webhooks(self) -> None:
        self.http.post("/__sandbox/webhooks/flush").raise_for_status()

    def redeliver(self, event_id: str) -> None:
        self.http.post(f"/__sandbox/webhooks/{event_id}/redeliver").raise_for_status()

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.objects("event") if e["type"] == kind]

    def draft_invoice(self, customer_billing_id: str, amount: int, currency: str) -> str:
        """A draft invoice with one line, as a person would make it in the vendor's UI."""
        self.http.post("/v1/invoiceitems", data={"customer": customer_billing_id, "amount": amount,
                                                 "currency": currency.lower(), "description": "Setup fee"},
                       ).raise_for_status()
        inv = self.http.post("/v1/invoices", data={"customer": customer_billing_id, "collection_method":
                                                   "send_invoice", "days_until_due": 30, "currency": currency.lower(),
                                                   "pending_invoice_items_behavior": "include"})
        return str(inv.raise_for_status().json()["id"])


@contextmanager
def stripe_harness() -> Iterator[StripeHarness]:
    """Serve a Stripe sandbox with a freezable clock for the block."""
    from sandboxes.stripe import create_app

    clock = SandboxClock()
    app = create_app(seed=11, api_keys=[STRIPE_API_KEY], clock=clock)
    with serve_in_thread(app) as server:
        harness = StripeHarness(server.url, clock)
        try:
            yield harness
        finally:
            harness.http.close()
