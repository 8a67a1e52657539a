"""Stripe events and their delivery to webhook endpoints with a ``Stripe-Signature`` header (VENDORS 1.7)."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from sandboxes._kit import Delivery, WebhookDispatcher, hmac_sha256_hex

from .state import StripeState

__all__ = ["emit", "stripe_signature", "wire_delivery"]


def stripe_signature(secret: str, body: bytes, t: int | None = None) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``, as Stripe signs deliveries."""
    t = int(time.time()) if t is None else t
    return f"t={t},v1={hmac_sha256_hex(secret, f'{t}.'.encode() + body)}"


def _wants(endpoint: dict[str, Any], event_type: str) -> bool:
    events = endpoint.get("enabled_events") or []
    return endpoint.get("status") == "enabled" and ("*" in events or event_type in events)


def emit(state: StripeState, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None,
         created: int | None = None) -> dict[str, Any]:
    """Record an event about ``obj`` and hand it to delivery.

    Args:
        state: The sandbox state.
        event_type: Stripe event type (``invoice.paid``).
        obj: The object as it is now (copied).
        previous: ``previous_attributes`` for ``*.updated`` events.
        created: Event time; defaults to the object's clock.
    """
    endpoints = [e for e in state.newest_first("webhook_endpoint") if _wants(e, event_type)]
    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous:
        data["previous_attributes"] = copy.deepcopy(previous)
    customer = obj.get("customer") if obj.get("object") != "customer" else obj
    event = {
        "id": state.new_id("event"), "object": "event", "api_version": state.request.api_version,
        "created": created if created is not None else state.now(customer), "data": data, "livemode": False,
        "pending_webhooks": len(endpoints), "type": event_type,
        "request": {"id": state.request.id, "idempotency_key": state.request.idempotency_key},
    }
    state.add(event)
    if state.on_event is not None:
        state.on_event(event)
    return event


def wire_delivery(state: StripeState, dispatcher: WebhookDispatcher) -> None:
    """Make every new event go out to the endpoints that subscribed to its type."""

    def deliver(event: dict[str, Any]) -> None:
        body = json.dumps(event, indent=2).encode()
        for endpoint in state.newest_first("webhook_endpoint"):
            if not _wants(endpoint, event["type"]):
                continue
            secret = state.webhook_secrets[endpoint["id"]]
            dispatcher.submit(Delivery(
                event_id=event["id"], url=endpoint["url"], body=body,
                sign=lambda raw, s=secret: {"Stripe-Signature": stripe_signature(s, raw)},
                headers={"Content-Type": "application/json; charset=utf-8",
                         "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
            ))

    state.on_event = deliver
