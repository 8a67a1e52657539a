"""Webhook events as HubSpot sends them: batched JSON arrays signed with ``X-HubSpot-Signature-v3``.

Each API request's changes go out as one POST (split at 100 events) to the app's target URL, keeping only
events that match an active subscription (``deal.propertyChange`` subscriptions name their property). The
signature is base64 HMAC-SHA256 under the app secret of ``POST`` + URI + body + timestamp (epoch ms, sent
in ``X-HubSpot-Request-Timestamp``); the legacy v1 header (sha256 hex of secret + body) is sent too.
Failed deliveries are retried by the kit's dispatcher.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from sandboxes._kit import Delivery, WebhookDispatcher

from .state import HubSpotState

__all__ = ["EVENT_TYPES", "decode_uri", "deliver_events", "signature_v3", "subscribed"]

EVENT_TYPES = tuple(f"{obj}.{kind}" for obj in ("contact", "company", "deal", "product", "line_item")
                    for kind in ("creation", "deletion", "propertyChange", "associationChange"))
_ESCAPES = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'", "%28": "(",
            "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def decode_uri(uri: str) -> str:
    """Undo only the escapes HubSpot decodes before signing (``%3A``, ``%2F``, ``%3F``...)."""
    for escape, char in _ESCAPES.items():
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return uri


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    """``X-HubSpot-Signature-v3``: base64 HMAC-SHA256(secret, method + uri + body + timestamp)."""
    message = method.encode() + decode_uri(uri).encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _headers(secret: str, url: str, body: bytes) -> dict[str, str]:
    stamp = int(time.time() * 1000)
    return {"X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, body, stamp),
            "X-HubSpot-Request-Timestamp": str(stamp),
            "X-HubSpot-Signature": hashlib.sha256(secret.encode() + body).hexdigest(),
            "X-HubSpot-Signature-Version": "v1"}


def subscribed(state: HubSpotState, event: dict[str, Any]) -> dict[str, Any] | None:
    """The active subscription an event falls under, if any."""
    for sub in state.webhooks.subscriptions:
        if not sub.get("active", True) or sub["eventType"] != event["subscriptionType"]:
            continue
        if event["subscriptionType"].endswith(".propertyChange") and sub.get("propertyName") != event["propertyName"]:
            continue
        return sub
    return None


def _payload(state: HubSpotState, event: dict[str, Any], sub: dict[str, Any], occurred: int) -> dict[str, Any]:
    out = {"eventId": state.new_event_id(), "subscriptionId": sub["id"], "portalId": state.portal_id,
           "appId": state.app_id, "occurredAt": occurred, "subscriptionType": event["subscriptionType"],
           "attemptNumber": 0, "objectId": event["objectId"], "changeFlag": _flag(event["subscriptionType"]),
           "changeSource": "INTEGRATION", "sourceId": str(state.app_id)}
    out.update({k: v for k, v in event.items() if k not in ("subscriptionType", "objectId")})
    if event["subscriptionType"].endswith(".propertyChange"):
        out.pop("changeFlag")
    return out


def _flag(kind: str) -> str:
    return {"creation": "CREATED", "deletion": "DELETED"}.get(kind.rsplit(".", 1)[-1], "UPDATED")


def deliver_events(state: HubSpotState, dispatcher: WebhookDispatcher) -> None:
    """Hand the request's pending events to the dispatcher (subscribed ones only) and clear them."""
    pending, state.events = state.events, []
    url, secret = state.webhooks.target_url, state.webhooks.app_secret
    occurred = int(state.now().timestamp() * 1000)
    payloads = [_payload(state, e, sub, occurred) for e in pending if (sub := subscribed(state, e)) is not None]
    state.sent_events.extend(payloads)
    if not url or not payloads:
        return
    for start in range(0, len(payloads), 100):
        batch = payloads[start:start + 100]
        body = json.dumps(batch, separators=(",", ":")).encode()
        dispatcher.submit(Delivery(
            event_id=str(batch[0]["eventId"]), url=url, body=body,
            sign=lambda raw, s=secret, u=url: _headers(s, u, raw),
            headers={"Content-Type": "application/json", "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)"},
        ))
