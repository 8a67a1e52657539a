"""HubSpot-only admin routes: ``/__sandbox/hubspot/webhooks`` configures the app's webhook target and subscriptions.

``PUT`` (or ``POST``) takes ``{"targetUrl", "appSecret"?, "subscriptions": [{"eventType", "propertyName"?,
"active"?}]}`` (the fields of HubSpot's webhooks settings and subscriptions); ``GET`` shows them; ``DELETE``
stops delivery.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Router, delete, get, route
from litestar.exceptions import ClientException

from .state import HubSpotState, WebhookConfig
from .webhooks import EVENT_TYPES

__all__ = ["hubspot_admin_router", "webhook_config"]


def _subscriptions(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ValueError("subscriptions must be an array")
    subs = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("eventType") not in EVENT_TYPES:
            raise ValueError(f"subscriptions[{index}].eventType must be one of {', '.join(EVENT_TYPES)}")
        name = item.get("propertyName")
        if item["eventType"].endswith(".propertyChange") and not isinstance(name, str):
            raise ValueError(f"subscriptions[{index}] is a propertyChange subscription and needs a propertyName")
        subs.append({"id": 1000 + index, "eventType": item["eventType"], "propertyName": name,
                     "active": bool(item.get("active", True))})
    return subs


def webhook_config(data: Any, default_secret: str) -> WebhookConfig:
    """Build webhook settings from the admin body (raises ValueError on bad fields)."""
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(data) - {"targetUrl", "appSecret", "subscriptions"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    url, secret = data.get("targetUrl"), data.get("appSecret", default_secret)
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise ValueError("targetUrl must be an http(s) URL")
    if not isinstance(secret, str) or not secret:
        raise ValueError("appSecret must be a non-empty string")
    return WebhookConfig(url, secret, _subscriptions(data.get("subscriptions", [])))


def hubspot_admin_router(state: HubSpotState) -> Router:
    """The ``/__sandbox/hubspot`` router."""

    @route("/webhooks", http_method=["PUT", "POST"], status_code=200, operation_id="sandboxHubSpotSetWebhooks")
    async def set_webhooks(request: Request[Any, Any, Any]) -> dict[str, Any]:
        try:
            config = webhook_config(json.loads(await request.body() or b"{}"), state.webhooks.app_secret)
        except ValueError as exc:
            raise ClientException(f"invalid webhook settings: {exc}") from exc
        with state.lock:
            state.webhooks = config
        return config.to_json()

    @get("/webhooks", operation_id="sandboxHubSpotWebhooks")
    async def read_webhooks() -> dict[str, Any]:
        return state.webhooks.to_json()

    @delete("/webhooks", status_code=200, operation_id="sandboxHubSpotStopWebhooks")
    async def stop_webhooks() -> dict[str, Any]:
        with state.lock:
            state.webhooks = WebhookConfig(None, state.webhooks.app_secret, [])
        return state.webhooks.to_json()

    return Router(path="/__sandbox/hubspot", route_handlers=[set_webhooks, read_webhooks, stop_webhooks],
                  include_in_schema=False)
