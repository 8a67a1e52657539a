"""Inbound webhooks: the vendor's signed deliveries are verified, deduplicated and republished as CloudEvents.

The billing API's webhook URL is registered at the sandbox, whose dispatcher signs and posts every event as
the vendor does; the republished events are read back from the Redis stream with the runtime's Consumer.
"""

from __future__ import annotations

from contracts.events import decode_event_data
from services.runtime.events import Consumer
from services.runtime.redis import KeySpace
from services.runtime.testing import free_port
from tests.system.billing.journeys import APRIL, money, setup_subscription


def _signed_api(start_billing, vendor):
    port = free_port()
    secret = vendor.register_webhook(f"http://127.0.0.1:{port}/v1/webhooks/{vendor.vendor}")
    return start_billing(port=port, webhook_secret=f"whsec_old_rotated_out,{secret}"), secret


async def _drain(redis, key_prefix: str) -> list:
    seen = []

    async def collect(event) -> None:
        seen.append(event)

    consumer = Consumer(redis, KeySpace(key_prefix), "billing", group="test", name="t1", handler=collect)
    while (await consumer.run_once()).processed:
        pass
    return seen


class TestRepublish:
    async def test_vendor_events_become_cloudevents_once(self, start_billing, vendor, redis, key_prefix):
        billing, _ = _signed_api(start_billing, vendor)
        vendor.freeze(APRIL)
        sub = setup_subscription(billing, card_from=vendor)
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        billing.ok("POST", "/v1/credit-notes", {"invoice_id": inv["id"],
                                                "lines": [{"description": "Credit", "amount": money(100)}]})
        billing.ok("POST", "/v1/refunds", {"invoice_id": inv["id"], "amount": money(100)})
        vendor.flush_webhooks()
        events = await _drain(redis, key_prefix)
        types = sorted(e.type.split(".", 2)[2] for e in events)
        assert types == sorted(["credit_note.created.v1", "invoice.finalized.v1", "invoice.paid.v1",
                                "refund.created.v1", "subscription.created.v1", *vendor.EXTRA_REPUBLISHED])
        finalized = next(e for e in events if e.type == "revflow.billing.invoice.finalized.v1")
        payload = decode_event_data(finalized)
        assert (finalized.subject, payload.invoice.id) == (inv["id"], inv["id"])
        assert payload.invoice.total.amount_minor == 1000
        assert payload.invoice.customer_id == "ACME-001" and finalized.source == "/services/system/billing"
        # A redelivery of the same vendor event is acknowledged and publishes nothing.
        [vendor_event] = vendor.vendor_events("invoice.finalized")
        vendor.redeliver(vendor_event["id"])
        vendor.flush_webhooks()
        assert await _drain(redis, key_prefix) == []
        log = vendor.deliveries()
        assert all(d["status"] == 200 for d in log if d.get("event") == vendor_event["id"]) and len(
            [d for d in log if d.get("event") == vendor_event["id"]]) == 2


class TestSignature:
    def _post(self, billing, vendor, body: bytes, headers: dict[str, str]):
        return billing.client.post(f"/v1/webhooks/{vendor.vendor}", content=body, headers=headers)

    def test_tampered_stale_missing_are_refused_and_valid_is_accepted(self, start_billing, vendor, redis):
        billing, secret = _signed_api(start_billing, vendor)
        body = vendor.sample_event()
        for forged in vendor.forged_headers(secret, body):  # each vendor's own ways a delivery can be forged
            response = self._post(billing, vendor, body, forged)
            assert response.status_code == 400, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "signature_invalid"
        genuine = vendor.authentic_headers(secret, body)
        accepted = self._post(billing, vendor, body, genuine)
        assert accepted.status_code == 200 and accepted.json() == {"received": True, "duplicate": False,
                                                                   "published": None}
        assert self._post(billing, vendor, body, genuine).json()["duplicate"] is True

    def test_the_other_vendors_route_is_404(self, billing, vendor):
        assert billing.client.post(f"/v1/webhooks/{vendor.other_vendor}", content=b"{}").status_code == 404
