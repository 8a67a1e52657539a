"""Events reach the configured webhook URL with the HTTP Basic credentials set beside it, as Chargebee sends them.

A tiny listener runs on loopback and checks the credentials itself (401 on a mismatch), the way a receiver
protects a Chargebee webhook; failed deliveries are retried.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from chargebee import Chargebee

from services.runtime.testing import RunningServer, serve_in_thread

USER, PASSWORD = "revflow-hooks", "s3cret:with-colon"


class Listener:
    """ASGI app accepting POSTs whose Basic credentials match; records accepted event bodies."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.refused = 0
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
        status = self._judge(dict(scope["headers"]).get(b"authorization", b"").decode(), body)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def _judge(self, authorization: str, body: bytes) -> int:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        with self.lock:
            if authorization != expected:
                self.refused += 1
                return 401
            if self.fail_first > 0:
                self.fail_first -= 1
                return 503
            self.received.append(json.loads(body))
            return 200


@pytest.fixture(scope="module")
def listener_server() -> Iterator[tuple[Listener, RunningServer]]:
    listener = Listener()
    with serve_in_thread(listener) as running:
        yield listener, running


@pytest.fixture
def listener(listener_server: tuple[Listener, RunningServer], cb_admin: httpx.Client) -> Listener:
    rec, running = listener_server
    rec.received.clear()
    rec.refused, rec.fail_first = 0, 0
    cb_admin.post("/__sandbox/webhook_config", json={"url": f"{running.url}/chargebee", "username": USER,
                                                    "password": PASSWORD}).raise_for_status()
    return rec


def _flush(admin: httpx.Client) -> None:
    assert admin.post("/__sandbox/webhooks/flush").json()["idle"]


class TestDelivery:
    def test_events_arrive_with_basic_auth(self, cb: Chargebee, listener: Listener, cb_admin: httpx.Client) -> None:
        customer = cb.Customer.create({"first_name": "Ada", "email": "ada@acme.test"}).customer
        cb.Customer.update(customer.id, {"company": "Acme"})
        _flush(cb_admin)
        assert listener.refused == 0
        assert [e["event_type"] for e in listener.received] == ["customer_created", "customer_changed"]
        event = listener.received[0]
        assert {"id", "occurred_at", "source", "object", "api_version", "content", "event_type",
                "webhook_status"} <= set(event)
        assert (event["object"], event["api_version"], event["source"]) == ("event", "v2", "api")
        assert event["content"]["customer"]["id"] == customer.id
        assert listener.received[1]["content"]["customer"]["company"] == "Acme"
        assert cb.Event.retrieve(event["id"]).event.webhook_status == "succeeded"

    def test_wrong_credentials_are_refused_then_fail(self, cb: Chargebee, listener: Listener,
                                                     cb_admin: httpx.Client,
                                                     listener_server: tuple[Listener, RunningServer]) -> None:
        cb_admin.post("/__sandbox/webhook_config", json={"url": f"{listener_server[1].url}/chargebee",
                                                        "username": USER, "password": "wrong"}).raise_for_status()
        cb.Customer.create({"first_name": "Eve"})
        _flush(cb_admin)
        assert listener.received == [] and listener.refused == 3  # every attempt was refused
        (entry,) = cb.Event.list({"event_type": {"is": "customer_created"}}).list
        assert entry.event.webhook_status == "failed"

    def test_failed_delivery_is_retried(self, cb: Chargebee, listener: Listener, cb_admin: httpx.Client) -> None:
        listener.fail_first = 2
        cb.Customer.create({"first_name": "Bob"})
        _flush(cb_admin)
        assert [e["event_type"] for e in listener.received] == ["customer_created"]
        attempts = [d for d in cb_admin.get("/__sandbox/webhooks").json()["deliveries"] if "attempt" in d]
        assert [(d["attempt"], d["status"]) for d in attempts] == [(1, 503), (2, 503), (3, 200)]

    def test_no_url_no_delivery(self, cb: Chargebee, cb_admin: httpx.Client) -> None:
        cb.Customer.create({"first_name": "Quiet"})
        (entry,) = cb.Event.list().list
        assert entry.event.webhook_status == "not_configured"
