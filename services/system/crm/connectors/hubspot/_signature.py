"""HubSpot webhook deliveries: ``X-HubSpot-Signature-v3`` verification and reading the event batch.

The signature is base64 HMAC-SHA256 under the app's client secret of method + URI + raw body + timestamp
(``X-HubSpot-Request-Timestamp``, epoch milliseconds). Before hashing, HubSpot decodes a fixed set of
percent-escapes in the URI. A delivery older than the tolerance (five minutes) is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from services.system.crm.errors import WebhookRejected
from services.system.crm.ports import Notification

__all__ = ["events_of", "signature_v3", "verify"]

_ESCAPES = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'", "%28": "(",
            "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def _decode_uri(uri: str) -> str:
    for escape, char in _ESCAPES.items():
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return uri


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    """The ``X-HubSpot-Signature-v3`` value of a request."""
    message = method.encode() + _decode_uri(uri).encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify(headers: Mapping[str, str], body: bytes, uri: str, secret: str | None, *, tolerance: int = 300,
           clock: Callable[[], float] = time.time) -> None:
    """Refuse (``WebhookRejected``) a delivery whose v3 signature is missing, wrong or stale."""
    if not secret:
        raise WebhookRejected("No HubSpot app secret is configured; webhooks are refused.")
    given, stamp = headers.get("x-hubspot-signature-v3"), headers.get("x-hubspot-request-timestamp") or ""
    if not given or not stamp.isdigit():
        raise WebhookRejected("X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp is missing.")
    if abs(clock() * 1000 - int(stamp)) > tolerance * 1000:
        raise WebhookRejected(f"The HubSpot signature timestamp is outside the {tolerance} s tolerance.")
    if not hmac.compare_digest(signature_v3(secret, "POST", uri, body, int(stamp)), given):
        raise WebhookRejected("The HubSpot signature does not match the payload.")


def _closed(event: dict[str, Any]) -> bool | None:
    kind = event.get("subscriptionType")
    if kind == "deal.propertyChange" and event.get("propertyName") == "dealstage":
        return event.get("propertyValue") in ("closedwon", "closedlost")
    if kind == "deal.creation":
        return None  # created already won, perhaps: read the record
    return False


def events_of(body: bytes) -> list[Notification]:
    """The deal notifications of an authentic delivery (a JSON array of events)."""
    try:
        events = msgspec.json.decode(body)
        if not isinstance(events, list):
            raise TypeError("not an array")
        return [Notification(id=str(e["eventId"]), opportunity_id=str(int(e["objectId"])),
                             closed=_closed(e)) for e in events]
    except (msgspec.DecodeError, KeyError, TypeError, ValueError) as exc:
        raise WebhookRejected(f"HubSpot webhook body is not an event batch: {exc}", code="payload_invalid") from None
