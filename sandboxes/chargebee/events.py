"""Chargebee events and their delivery to the configured webhook URL.

Chargebee signs nothing: it protects the webhook URL with optional HTTP Basic credentials set beside the URL,
and the receiver checks them. Each event's ``content`` holds the resources it is about, each under its own
name, exactly as the API's responses do.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from sandboxes._kit import Delivery, WebhookDispatcher

from .state import ChargebeeState

__all__ = ["API_VERSION", "emit", "wire_delivery"]

API_VERSION = "v2"


def emit(state: ChargebeeState, event_type: str, content: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """Record an event and hand it to delivery.

    Args:
        state: The sandbox state.
        event_type: Chargebee event type (``subscription_created``).
        content: Resources by name (copied as they are now); None values are left out.
    """
    configured = state.webhook.url is not None
    event = {
        "id": state.new_id("ev_"), "occurred_at": state.now(), "source": state.source, "object": "event",
        "api_version": API_VERSION, "event_type": event_type,
        "content": {name: copy.deepcopy(obj) for name, obj in content.items() if obj is not None},
        "webhook_status": "scheduled" if configured else "not_configured",
    }
    if configured:
        event["webhooks"] = [{"id": "whv2_sandbox", "webhook_status": "scheduled", "object": "webhook"}]
    state.add(event)
    if configured and state.on_event is not None:
        state.on_event(event)
    return event


def _basic(username: str | None, password: str | None) -> dict[str, str]:
    if not username:
        return {}
    token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def wire_delivery(state: ChargebeeState, dispatcher: WebhookDispatcher) -> None:
    """Send every new event to the configured URL and report delivery status on the event."""

    def deliver(event: dict[str, Any]) -> None:
        config = state.webhook
        if config.url is None:
            return
        auth = _basic(config.username, config.password)
        dispatcher.submit(Delivery(
            event_id=event["id"], url=config.url, body=json.dumps(event).encode(),
            sign=lambda _raw: auth,
            headers={"Content-Type": "application/json", "User-Agent": "ChargeBee"},
        ))

    def status(event_id: str) -> str:
        deliveries = dispatcher.history.get(event_id)
        if not deliveries:
            return "scheduled"
        if any(d.delivered for d in deliveries):
            return "succeeded"
        if all(d.attempts >= dispatcher.max_attempts for d in deliveries):
            return "failed"
        return "scheduled"

    state.on_event = deliver
    state.webhook_status = status
