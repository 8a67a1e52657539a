"""Webhook endpoints (``/v1/webhook_endpoints``) and the event log (``/v1/events``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ..errors import invalid
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response, mark_deleted

__all__ = ["ROUTES"]


def _url(value: str | None) -> str:
    parsed = urlparse(value or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid("url", f"Invalid URL: {value}", "url_invalid")
    return value or ""


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow("url", "enabled_events", "description", "metadata", "api_version", "connect")
    events = [str(e) for e in p.array("enabled_events")]
    if not events:
        raise invalid("enabled_events", "Missing required param: enabled_events.", "parameter_missing")
    secret = "whsec_" + call.state.ids.new("")
    hook = {"id": call.state.new_id("webhook_endpoint"), "object": "webhook_endpoint",
            "api_version": p.text("api_version"), "application": None, "created": call.state.now(),
            "description": p.text("description"), "enabled_events": events, "livemode": False, "metadata": {},
            "status": "enabled", "url": _url(p.text("url", required=True))}
    apply_metadata(hook, p)
    call.state.add(hook)
    call.state.webhook_secrets[hook["id"]] = secret
    return {**hook, "secret": secret}


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("webhook_endpoint", call.path["webhook_endpoint"], "webhook_endpoint")


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow("url", "enabled_events", "description", "metadata", "disabled")
    hook = call.state.get("webhook_endpoint", call.path["webhook_endpoint"], "webhook_endpoint")
    if p.has("url"):
        hook["url"] = _url(p.text("url"))
    if p.has("enabled_events"):
        hook["enabled_events"] = [str(e) for e in p.array("enabled_events")]
    if p.has("disabled"):
        hook["status"] = "disabled" if p.flag("disabled") else "enabled"
    if p.has("description"):
        hook["description"] = p.text("description")
    apply_metadata(hook, p)
    return hook


def delete(call: Call) -> dict[str, Any]:
    call.params.allow()
    return mark_deleted(call.state, "webhook_endpoint", call.path["webhook_endpoint"])


def list_endpoints(call: Call) -> dict[str, Any]:
    p = call.params.allow("limit", "starting_after", "ending_before")
    return list_response(call.state, p, "webhook_endpoint", "/v1/webhook_endpoints")


def get_event(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("event", call.path["id"])


def list_events(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "type", "types", "delivery_success")
    kind = p.text("type")
    kinds = {str(t) for t in p.array("types")}

    def wanted(event: dict[str, Any]) -> bool:
        if kind is not None and not (event["type"] == kind or (kind.endswith("*") and
                                                               event["type"].startswith(kind[:-1]))):
            return False
        return not kinds or event["type"] in kinds

    return list_response(call.state, p, "event", "/v1/events", wanted)


_ID = "/v1/webhook_endpoints/{webhook_endpoint:str}"
ROUTES = [
    endpoint("POST", "/v1/webhook_endpoints", create, "PostWebhookEndpoints"),
    endpoint("GET", "/v1/webhook_endpoints", list_endpoints, "GetWebhookEndpoints"),
    endpoint("GET", _ID, retrieve, "GetWebhookEndpointsWebhookEndpoint"),
    endpoint("POST", _ID, update, "PostWebhookEndpointsWebhookEndpoint"),
    endpoint("DELETE", _ID, delete, "DeleteWebhookEndpointsWebhookEndpoint"),
    endpoint("GET", "/v1/events", list_events, "GetEvents"),
    endpoint("GET", "/v1/events/{id:str}", get_event, "GetEventsId"),
]
