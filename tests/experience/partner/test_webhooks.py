"""Webhooks: signed deliveries a receiver can verify, retried with backoff, logged, redelivered on request,
and fed by the process tier's events about the tenant's own deals only.

The receiver here checks signatures the way a partner's code would, from the documented scheme (HMAC-SHA256
over ``<t>.<raw body>``), not with revflow's helper.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime

import pytest

from contracts.deals import DealLine
from contracts.event_payloads import WorkflowCompleted, WorkflowNeedsAttention
from contracts.events import build_event
from contracts.money import Money
from contracts.process import BusinessStatus, ExceptionOwner
from services.experience.partner.tenancy import OrderRecord, TenantIndex
from services.experience.partner.webhooks import check_url
from services.runtime.events import EventBus
from services.runtime.problems import ServiceError
from services.runtime.redis import KeySpace, create_redis
from tests.conftest import REDIS_URL
from tests.experience.partner.conftest import wait_until

BASE_DELAY = 0.2  # webhook_backoff_base_seconds of the test stack


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a partner's receiver does with ``Revflow-Signature``."""
    fields = dict(part.split("=", 1) for part in headers["revflow-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def register(partner, url: str, events: list[str] | None = None) -> dict:
    return partner.ok("POST", "/v2/webhooks", status=201, json={"url": url, "events": events or ["*"]})


def delivery(partner, hook: dict, delivery_id: str) -> dict:
    return partner.ok("GET", f"/v2/webhooks/{hook['id']}/deliveries/{delivery_id}")


def settled(partner, hook: dict, delivery_id: str, status: str, attempts: int):
    def check():
        d = delivery(partner, hook, delivery_id)
        return d if d["status"] == status and len(d["attempts"]) == attempts else None
    return wait_until(check, what=f"delivery {delivery_id} {status} after {attempts} attempts")


class TestSignature:
    def test_receiver_verifies_the_signature_and_refuses_tampering(self, partners, receiver):
        target, url = receiver
        partner = partners("partner-hooks")
        hook = register(partner, url)
        assert hook["secret"].startswith("whsec_") and "secret" not in partner.ok("GET", f"/v2/webhooks/{hook['id']}")
        sent = partner.ok("POST", f"/v2/webhooks/{hook['id']}/ping", status=202)
        done = settled(partner, hook, sent["id"], "succeeded", 1)
        assert done["attempts"][0]["status_code"] == 200

        [(headers, body)] = target.of_event(sent["event_id"])
        assert signed_by(hook["secret"], headers, body)
        event = json.loads(body)
        assert event["id"] == sent["event_id"] and event["type"] == "webhook.ping"
        assert event["data"] == {"webhook_id": hook["id"]}
        assert headers["revflow-event-type"] == "webhook.ping" and headers["revflow-delivery-id"] == sent["id"]

        assert not signed_by(hook["secret"], headers, body.replace(b"webhook.ping", b"webhook.pong"))
        assert not signed_by("whsec_" + "x" * 43, headers, body)
        fields = dict(part.split("=", 1) for part in headers["revflow-signature"].split(","))
        moved = {"revflow-signature": f"t={int(fields['t']) + 1},v1={fields['v1']}"}
        assert not signed_by(hook["secret"], moved, body)  # the timestamp is signed too: no replay with a new one


class TestRetries:
    def test_failed_attempts_are_retried_with_growing_delays(self, partners, receiver):
        target, url = receiver
        target.fail_first = 2
        partner = partners("partner-hooks")
        hook = register(partner, url)
        sent = partner.ok("POST", f"/v2/webhooks/{hook['id']}/ping", status=202, replica=1)
        done = settled(partner, hook, sent["id"], "succeeded", 3)

        assert [a["status_code"] for a in done["attempts"]] == [500, 500, 200]
        assert [a["attempt"] for a in done["attempts"]] == [1, 2, 3]
        at = [datetime.fromisoformat(a["at"]) for a in done["attempts"]]
        # Each retry waited at least half its exponential ceiling: base, then 2 x base.
        assert (at[1] - at[0]).total_seconds() >= BASE_DELAY / 2
        assert (at[2] - at[1]).total_seconds() >= BASE_DELAY
        requests = target.of_event(sent["event_id"])
        assert [h["revflow-delivery-attempt"] for h, _ in requests] == ["1", "2", "3"]
        assert len({b for _, b in requests}) == 1  # the same event every time
        assert all(signed_by(hook["secret"], h, b) for h, b in requests)


class TestRedelivery:
    def test_a_failed_delivery_is_redelivered_after_the_fix(self, partners, receiver):
        target, url = receiver
        target.always_fail = True
        partner = partners("partner-hooks")
        hook = register(partner, url)
        sent = partner.ok("POST", f"/v1/webhooks/{hook['id']}/ping", status=202)
        failed = settled(partner, hook, sent["id"], "failed", 3)
        assert failed["next_attempt_at"] is None
        assert all(a["status_code"] == 500 for a in failed["attempts"])

        target.always_fail = False  # the partner fixed its receiver
        again = partner.ok("POST", f"/v2/webhooks/{hook['id']}/deliveries/{sent['id']}/redeliver", status=202,
                           replica=1)
        assert again["status"] == "pending" and again["redeliveries"] == 1
        done = settled(partner, hook, sent["id"], "succeeded", 4)
        assert done["attempts"][-1]["redelivery"] is True and done["attempts"][-1]["status_code"] == 200
        requests = target.of_event(sent["event_id"])
        assert len(requests) == 4
        assert signed_by(hook["secret"], *requests[-1])

        log = partner.ok("GET", f"/v1/webhooks/{hook['id']}/deliveries")
        assert [d["id"] for d in log["data"]] == [sent["id"]] and log["next_cursor"] is None

    def test_a_delivered_event_can_be_sent_again(self, partners, receiver):
        target, url = receiver
        partner = partners("partner-hooks")
        hook = register(partner, url)
        sent = partner.ok("POST", f"/v2/webhooks/{hook['id']}/ping", status=202)
        settled(partner, hook, sent["id"], "succeeded", 1)
        partner.ok("POST", f"/v2/webhooks/{hook['id']}/deliveries/{sent['id']}/redeliver", status=202)
        settled(partner, hook, sent["id"], "succeeded", 2)
        first, second = target.of_event(sent["event_id"])
        assert first[1] == second[1]  # the same event, byte for byte, signed again
        assert signed_by(hook["secret"], *first) and signed_by(hook["secret"], *second)


class TestRegistration:
    def test_rules(self, partners, receiver):
        _, url = receiver
        partner = partners("partner-hooks")
        refused = partner.post("/v2/webhooks", {"url": url.replace("http://", "http://user:pw@"), "events": ["*"]})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"
        unknown = partner.post("/v2/webhooks", {"url": url, "events": ["order.exploded"]})
        assert unknown.status_code == 400
        hook = register(partner, url, ["order.activated", "order.activated"])
        assert hook["events"] == ["order.activated"]
        listed = partner.ok("GET", "/v1/webhooks")["data"]
        assert hook["id"] in [h["id"] for h in listed] and all("secret" not in h for h in listed)
        assert partner.request("DELETE", f"/v2/webhooks/{hook['id']}").status_code == 204
        assert partner.get(f"/v2/webhooks/{hook['id']}").status_code == 404
        assert partner.post(f"/v2/webhooks/{hook['id']}/ping").status_code == 404


def _order(tenant: str, opportunity_id: str) -> OrderRecord:
    now = datetime.now(UTC)
    line = DealLine(product_sku="PLAT", quantity=1, list_price=Money(amount_minor=100, currency="USD"),
                    sale_price=Money(amount_minor=100, currency="USD"), service_start=date(2025, 1, 1),
                    service_end=date(2025, 12, 31), billing_frequency="monthly")
    return OrderRecord(tenant=tenant, order_id=f"PO-{uuid.uuid4().hex[:6]}", customer_id="cus-1", currency="USD",
                       lines=[line], close_date=date(2025, 1, 1), fingerprint="f", submitted_at=now, updated_at=now,
                       status="pending_validation", opportunity_id=opportunity_id)


class TestProcessEvents:
    """The consumer path on its own: events published on the ``process`` stream as the process tier does."""

    async def test_events_reach_only_the_tenant_whose_deal_they_are_about(self, partners, receiver,
                                                                          partner_prefix):
        target, url = receiver
        mine, theirs = partners("partner-hooks"), partners("partner-b")
        redis = create_redis(REDIS_URL)
        keyspace = KeySpace(partner_prefix)
        try:
            index = TenantIndex(redis, keyspace)
            my_order, their_order = _order("tenant-h", f"006H{uuid.uuid4().hex[:8]}"), _order(
                "tenant-b", f"006B{uuid.uuid4().hex[:8]}")
            await index.save_order(my_order)
            await index.save_order(their_order)
            activated = register(mine, url, ["order.activated"])
            everything = register(theirs, url)
            bus = EventBus(redis, keyspace, source="/services/process/quote_to_cash")
            now = datetime.now(UTC)

            def completed(order: OrderRecord, kind: str):
                return build_event(WorkflowCompleted(workflow_id=f"{kind}:{order.opportunity_id}", workflow=kind,
                                                     subject=str(order.opportunity_id), completed_at=now),
                                   subject=str(order.opportunity_id))

            mine_done = completed(my_order, "activation")
            await bus.publish(mine_done)
            await bus.publish(mine_done)  # delivered twice by the stream: still one delivery
            await bus.publish(build_event(WorkflowNeedsAttention(
                workflow_id=f"invoice_sync:{my_order.opportunity_id}:in_1", workflow="invoice_sync",
                subject=str(my_order.opportunity_id), step="erp_invoice", owner=ExceptionOwner.INTEGRATION,
                reason="ERP down", fix="retry", business_status=BusinessStatus.NEEDS_ATTENTION, occurred_at=now),
                subject=str(my_order.opportunity_id)))  # not an event type the hook asked for
            await bus.publish(completed(_order("tenant-x", "006NOBODY"), "activation"))  # nobody's deal
            theirs_done = completed(their_order, "credit_refund")
            await bus.publish(theirs_done)
        finally:
            await redis.aclose()

        def log(partner, hook):
            return partner.ok("GET", f"/v2/webhooks/{hook['id']}/deliveries")["data"]

        [theirs_delivery] = wait_until(lambda: log(theirs, everything), what="their delivery")
        [mine_delivery] = wait_until(lambda: log(mine, activated), what="my delivery")
        assert mine_delivery["event_type"] == "order.activated"
        assert theirs_delivery["event_type"] == "credit_note.issued"
        settled(mine, activated, mine_delivery["id"], "succeeded", 1)
        settled(theirs, everything, theirs_delivery["id"], "succeeded", 1)
        [(headers, body)] = target.of_event(mine_delivery["event_id"])
        assert signed_by(activated["secret"], headers, body)
        payload = json.loads(body)
        assert payload["data"]["order_id"] == my_order.order_id
        assert payload["data"]["opportunity_id"] == my_order.opportunity_id
        assert their_order.order_id not in body.decode() and my_order.order_id not in target.of_event(
            theirs_delivery["event_id"])[0][1].decode()
        # Whatever else arrived later, nothing more was delivered to either webhook.
        assert len(log(mine, activated)) == 1 and len(log(theirs, everything)) == 1


class TestUrlPolicy:
    """Outside development, a webhook cannot point revflow's deliveries at its own networks."""

    @pytest.mark.parametrize("url", ["http://127.0.0.1:8110/v1/orders", "http://localhost/x", "http://10.1.2.3/x",
                                     "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://[fd00::1]/",
                                     "http://redis.internal/x", "ftp://partner.example/x", "http://[/x",
                                     "http://partner.example:99999/x", "https://user:pw@partner.example/x"])
    def test_refused(self, url):
        with pytest.raises(ServiceError) as refused:
            check_url(url, allow_private=False)
        assert refused.value.status_code == 422 and refused.value.errors[0].field == "url"

    @pytest.mark.parametrize("url", ["https://partner.example/hooks", "http://93.184.215.14:8443/h"])
    def test_accepted(self, url):
        check_url(url, allow_private=False)


async def test_a_stored_webhook_never_shows_its_signing_secret(redis, key_prefix):
    from services.experience.partner.webhooks import WebhookStore

    store = WebhookStore(redis, KeySpace(key_prefix))
    created = await store.add_webhook("acme", url="https://hooks.example.com/in", events=["*"], description=None,
                                 secret="whsec_partner-7f3e9a")
    loaded = await store.webhook("acme", created.id)
    assert loaded is not None and loaded.secret == "whsec_partner-7f3e9a", "the secret is kept for signing"
    for shown in (repr(loaded), str(loaded), repr([loaded])):
        assert "whsec_partner-7f3e9a" not in shown
        assert created.id in shown and "<redacted>" in shown
