"""Webhook batches: HubSpot's payload, ``X-HubSpot-Signature-v3`` checked by the SDK's validator, retries.

``Signature.is_valid`` (hubspot.utils.signature) checks the v3 HMAC and the 5-minute timestamp window; the
receiver URL has no percent-escapes, so the SDK's skipping of HubSpot's URI decoding does not matter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from hubspot.exceptions import InvalidSignatureTimestampError
from hubspot.utils.signature import Signature

from tests.sandboxes.hubspot.conftest import APP_SECRET

SUBSCRIPTIONS = [{"eventType": "deal.creation"}, {"eventType": "deal.propertyChange", "propertyName": "dealstage"}]


def _subscribe(admin: httpx.Client, url: str) -> None:
    admin.put("/__sandbox/hubspot/webhooks", json={"targetUrl": url, "subscriptions": SUBSCRIPTIONS}
              ).raise_for_status()


def _flush(admin: httpx.Client) -> None:
    assert admin.post("/__sandbox/webhooks/flush").json()["idle"]


def _valid(body: str, signature: str, url: str, timestamp: str) -> bool:
    return Signature.is_valid(signature=signature, client_secret=APP_SECRET, request_body=body, http_uri=url,
                              http_method="POST", signature_version="v3", timestamp=timestamp)


@pytest.fixture
def one_delivery(api: httpx.Client, admin: httpx.Client, receiver: Any) -> tuple[str, dict[str, str], str]:
    rec, url = receiver
    _subscribe(admin, url)
    api.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Hooked", "dealstage": "qualifiedtobuy"}})
    _flush(admin)
    assert len(rec.received) == 1
    body, headers = rec.received[0]
    return body.decode(), headers, url


class TestPayload:
    def test_creation_batch_is_hubspots_shape(self, one_delivery: tuple[str, dict[str, str], str]) -> None:
        body, headers, _ = one_delivery
        events = json.loads(body)
        assert [(e["subscriptionType"], e.get("propertyName"), e.get("propertyValue")) for e in events] == [
            ("deal.creation", None, None), ("deal.propertyChange", "dealstage", "qualifiedtobuy")]
        for event in events:
            assert {"eventId", "subscriptionId", "portalId", "appId", "occurredAt", "attemptNumber", "objectId",
                    "changeSource"} <= set(event)
        assert abs(int(headers["x-hubspot-request-timestamp"]) - time.time() * 1000) < 60_000
        v1 = hashlib.sha256(APP_SECRET.encode() + body.encode()).hexdigest()
        assert headers["x-hubspot-signature"] == v1 and headers["x-hubspot-signature-version"] == "v1"

    def test_only_subscribed_changes_are_sent(self, api: httpx.Client, admin: httpx.Client, receiver: Any) -> None:
        rec, url = receiver
        deal = api.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Quiet"}}).json()["id"]
        _subscribe(admin, url)
        api.patch(f"/crm/v3/objects/deals/{deal}", json={"properties": {"dealname": "Renamed"}})
        api.patch(f"/crm/v3/objects/deals/{deal}", json={"properties": {"dealstage": "closedlost"}})
        _flush(admin)
        sent = [json.loads(body) for body, _ in rec.received]
        assert [[(e["propertyName"], e["propertyValue"]) for e in batch] for batch in sent] == [
            [("dealstage", "closedlost")]]


class TestSignature:
    def test_delivered_signature_verifies(self, one_delivery: tuple[str, dict[str, str], str]) -> None:
        body, headers, url = one_delivery
        assert _valid(body, headers["x-hubspot-signature-v3"], url, headers["x-hubspot-request-timestamp"])

    def test_matches_hubspots_documented_recipe(self, one_delivery: tuple[str, dict[str, str], str]) -> None:
        body, headers, url = one_delivery
        message = f"POST{url}{body}{headers['x-hubspot-request-timestamp']}".encode()
        expected = base64.b64encode(hmac.new(APP_SECRET.encode(), message, hashlib.sha256).digest()).decode()
        assert headers["x-hubspot-signature-v3"] == expected

    def test_tampered_body_fails(self, one_delivery: tuple[str, dict[str, str], str]) -> None:
        body, headers, url = one_delivery
        tampered = body.replace("qualifiedtobuy", "closedwon")
        assert tampered != body
        assert not _valid(tampered, headers["x-hubspot-signature-v3"], url, headers["x-hubspot-request-timestamp"])

    def test_stale_timestamp_fails(self, one_delivery: tuple[str, dict[str, str], str]) -> None:
        body, _, url = one_delivery
        stale = str(int(time.time() * 1000) - 301_000)
        message = f"POST{url}{body}{stale}".encode()
        resigned = base64.b64encode(hmac.new(APP_SECRET.encode(), message, hashlib.sha256).digest()).decode()
        with pytest.raises(InvalidSignatureTimestampError):
            _valid(body, resigned, url, stale)

    def test_wrong_secret_fails(self, one_delivery: tuple[str, dict[str, str], str]) -> None:
        body, headers, url = one_delivery
        assert not Signature.is_valid(signature=headers["x-hubspot-signature-v3"], client_secret="other",
                                      request_body=body, http_uri=url, http_method="POST", signature_version="v3",
                                      timestamp=headers["x-hubspot-request-timestamp"])


class TestDelivery:
    def test_non_2xx_is_retried_with_a_fresh_signature(self, api: httpx.Client, admin: httpx.Client,
                                                       receiver: Any) -> None:
        rec, url = receiver
        rec.fail_first = 2
        _subscribe(admin, url)
        api.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Retry me"}})
        _flush(admin)
        assert rec.refused == 2 and len(rec.received) == 1
        body, headers = rec.received[0]
        assert _valid(body.decode(), headers["x-hubspot-signature-v3"], url, headers["x-hubspot-request-timestamp"])
        outcomes = [d["outcome"] for d in admin.get("/__sandbox/webhooks").json()["deliveries"]]
        assert outcomes == ["failed", "failed", "delivered"]

    def test_bad_settings_are_refused(self, admin: httpx.Client) -> None:
        assert admin.put("/__sandbox/hubspot/webhooks", json={"targetUrl": "ftp://x"}).status_code == 400
        bad_sub = {"targetUrl": "http://127.0.0.1:9/x", "subscriptions": [{"eventType": "deal.propertyChange"}]}
        assert admin.put("/__sandbox/hubspot/webhooks", json=bad_sub).status_code == 400
