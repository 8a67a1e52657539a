"""Events reach a registered endpoint signed so that ``stripe.Webhook.construct_event`` accepts them.

A tiny receiver app runs in its own thread on loopback; the sandbox posts to it from its delivery thread.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from sandboxes.stripe.webhooks import stripe_signature
from services.runtime.testing import RunningServer, serve_in_thread


class Receiver:
    """ASGI app that records every POST (raw body + Stripe-Signature) and answers 200 (or ``fail_first``)."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.fail_first = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        status = 200
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                status = 500
            else:
                self.received.append((body, headers.get(b"stripe-signature", b"").decode()))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for body, _ in self.received]


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, RunningServer]]:
    receiver = Receiver()
    with serve_in_thread(receiver) as running:
        yield receiver, running


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, RunningServer], client: stripe.StripeClient) -> Any:
    rec, running = receiver_server
    rec.received.clear()
    rec.fail_first = 0
    endpoint = client.v1.webhook_endpoints.create(params={
        "url": f"{running.url}/hooks", "enabled_events": ["customer.created", "invoice.paid"]})
    return rec, endpoint.secret


def _flush(admin: httpx.Client) -> None:
    assert admin.post("/__sandbox/webhooks/flush").json()["idle"]


class TestSignatures:
    def test_delivered_event_verifies_with_the_sdk(self, client: stripe.StripeClient, receiver: Any,
                                                    admin: httpx.Client) -> None:
        rec, secret = receiver
        customer = client.v1.customers.create(params={"email": "hook@acme.test"})
        client.v1.products.create(params={"name": "not subscribed"})
        _flush(admin)
        assert rec.types() == ["customer.created"]
        body, header = rec.received[0]
        event = stripe.Webhook.construct_event(body, header, secret)
        assert event.type == "customer.created" and event.data.object.id == customer.id
        assert event.request.idempotency_key  # the SDK sends a key on every POST
        assert client.v1.events.retrieve(event.id).pending_webhooks == 1

    def test_tampered_body_fails(self, client: stripe.StripeClient, receiver: Any, admin: httpx.Client) -> None:
        rec, secret = receiver
        client.v1.customers.create(params={"email": "hook@acme.test"})
        _flush(admin)
        body, header = rec.received[0]
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body.replace(b"hook@", b"evil@"), header, secret)

    def test_stale_timestamp_fails(self, client: stripe.StripeClient, receiver: Any, admin: httpx.Client) -> None:
        rec, secret = receiver
        client.v1.customers.create(params={"email": "hook@acme.test"})
        _flush(admin)
        body, _ = rec.received[0]
        stale = stripe_signature(secret, body, int(time.time()) - 301)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, stale, secret)
        fresh = stripe_signature(secret, body, int(time.time()) - 299)
        assert stripe.Webhook.construct_event(body, fresh, secret).type == "customer.created"


class TestDeliveryFaults:
    def test_failed_delivery_is_retried(self, client: stripe.StripeClient, receiver: Any,
                                        admin: httpx.Client) -> None:
        rec, _ = receiver
        rec.fail_first = 1
        client.v1.customers.create(params={"email": "retry@acme.test"})
        _flush(admin)
        assert rec.types() == ["customer.created"]

    def test_drop_duplicate_and_redeliver(self, client: stripe.StripeClient, receiver: Any,
                                          admin: httpx.Client) -> None:
        rec, _ = receiver
        admin.post("/__sandbox/webhooks/faults", json={"seed": 3, "drop_rate": 1.0}).raise_for_status()
        client.v1.customers.create(params={"email": "lost@acme.test"})
        _flush(admin)
        assert rec.received == []
        event = client.v1.events.list(params={"type": "customer.created"}).data[0]
        admin.post("/__sandbox/webhooks/faults", json={"duplicate_rate": 1.0}).raise_for_status()
        assert admin.post(f"/__sandbox/webhooks/{event.id}/redeliver").json()["queued"] == 1
        client.v1.customers.create(params={"email": "twice@acme.test"})
        _flush(admin)
        emails = [json.loads(body)["data"]["object"]["email"] for body, _ in rec.received]
        assert sorted(emails) == ["lost@acme.test", "twice@acme.test", "twice@acme.test"]

    def test_out_of_order(self, client: stripe.StripeClient, receiver: Any, admin: httpx.Client) -> None:
        rec, _ = receiver
        admin.post("/__sandbox/webhooks/faults", json={"seed": 5, "reorder_window": 6}).raise_for_status()
        emails = [f"c{n}@acme.test" for n in range(6)]
        for email in emails:
            client.v1.customers.create(params={"email": email})
        _flush(admin)
        got = [json.loads(body)["data"]["object"]["email"] for body, _ in rec.received]
        assert sorted(got) == sorted(emails) and got != emails
