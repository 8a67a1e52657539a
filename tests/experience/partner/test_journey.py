"""A partner's order from submission to cash, told through the partner API and its webhooks.

Globex resells revflow's platform. Its integration registers a webhook, submits an order for a customer (v2:
money as decimal strings), and follows it: the order becomes a deal in the CRM (``order.booked``) and is
activated everywhere (``order.activated``). The partner then reads its customer, the subscription and the
first invoice, reports a month's API usage (resending part of it, as collectors do), and sees the credit
note finance issues on the invoice. The chain behind it is the real one: process API, system APIs, vendor
sandboxes.
"""

from __future__ import annotations

import json
import uuid

from tests.experience.partner.conftest import TERMINAL_ORDER, book, order_body, sku, wait_until
from tests.experience.partner.test_webhooks import signed_by


def _events(target, hook_secret: str, order_id: str) -> list[dict]:
    out = []
    for headers, body in list(target.requests):
        event = json.loads(body)
        if event.get("data", {}).get("order_id") == order_id:
            assert signed_by(hook_secret, headers, body)
            out.append(event)
    return out


class TestOrderToCash:
    def test_order_usage_invoice_and_credit(self, topology, partners, receiver):
        target, url = receiver
        globex = partners("partner-a")
        hook = globex.ok("POST", "/v2/webhooks", status=201, json={"url": url, "events": ["*"]})
        customer_id = f"GLOBEX-{uuid.uuid4().hex[:6]}"
        order = book(topology, globex, usage=True, customer_id=customer_id)
        order_id, deal = order["id"], order["opportunity_id"]
        assert deal and order["amount"] == {"amount": "450.04", "currency": "EUR"}

        # Webhooks: booked, then activated, both signed and about this order.
        kinds = wait_until(lambda: {e["type"] for e in _events(target, hook["secret"], order_id)} >= {
            "order.booked", "order.activated"} and {e["type"] for e in _events(target, hook["secret"], order_id)},
            what="order.booked and order.activated deliveries")
        assert {"order.booked", "order.activated"} <= kinds

        # The customer, the subscription and the invoices the order became.
        customers = globex.ok("GET", "/v2/customers")["data"]
        [customer] = [c for c in customers if c["id"] == customer_id]
        assert customer["order_ids"] == [order_id] and customer["billing_address"]["country"] == "DE"
        [subscription] = globex.ok("GET", "/v2/subscriptions", params={"order_id": order_id})["data"]
        assert subscription["status"] == "active" and subscription["order_id"] == order_id
        assert [i["unit_amount"] for i in subscription["items"]] == [{"amount": "90.00", "currency": "EUR"},
                                                                      {"amount": "0.04", "currency": "EUR"}]
        invoices = wait_until(lambda: globex.ok("GET", "/v2/invoices", params={"order_id": order_id})["data"],
                              what="the first invoice")
        first = invoices[-1]
        assert first["order_id"] == order_id and first["customer_id"] == customer_id
        v1 = globex.ok("GET", f"/v1/invoices/{first['id']}")
        v2 = globex.ok("GET", f"/v2/invoices/{first['id']}")
        assert v2["total"]["amount"] == f"{v1['total']['amount_minor'] / 100:.2f}"
        assert v1["total"]["amount_minor"] == sum(line["amount"]["amount_minor"] + (
            line["tax_amount"] or {"amount_minor": 0})["amount_minor"] for line in v1["lines"])

        # Usage: each record counts once, however often it is sent.
        usage_sku = subscription["items"][1]["sku"]
        records = [{"id": f"calls-{order_id}-{day}", "order_id": order_id, "sku": usage_sku, "quantity": 1_000 + day,
                    "occurred_at": f"2025-03-{day:02d}T12:00:00Z"} for day in (1, 2, 3)]
        receipt = globex.ok("POST", "/v2/usage", status=202, json={"records": records[:2]})
        assert (receipt["accepted"], receipt["duplicates"]) == (2, 0)
        receipt = globex.ok("POST", "/v1/usage", status=202, json={"records": records[1:]}, replica=1)
        assert (receipt["accepted"], receipt["duplicates"]) == (1, 1)
        assert [r["status"] for r in receipt["data"]] == ["duplicate", "accepted"]
        wait_until(lambda: sum(e["type"] == "usage.recorded" for e in _events(target, hook["secret"], order_id)) == 3,
                   what="three usage.recorded deliveries")

        # Finance credits 10 EUR on the first invoice (once it reached the ledger); the partner sees the note.
        assert topology.wait_for(topology.workflow_id_of_invoice(first["id"]), timeout=120)["state"] == "succeeded"
        credit = topology.process.post("/v1/credits", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
            "opportunity_id": deal, "invoice_id": first["id"], "amount": {"amount_minor": 1_000, "currency": "EUR"},
            "reason": "product_unsatisfactory"})
        assert credit.status_code == 202, credit.text
        done = topology.wait_for(credit.json()["id"], timeout=120)
        assert done["state"] == "succeeded", done.get("exception")
        [note] = globex.ok("GET", "/v2/credit-notes", params={"order_id": order_id})["data"]
        assert note["invoice_id"] == first["id"] and note["total"] == {"amount": "10.00", "currency": "EUR"}
        assert note["reason"] == "product_unsatisfactory" and note["refunded"] is False
        wait_until(lambda: any(e["type"] == "credit_note.issued" for e in _events(target, hook["secret"], order_id)),
                   what="credit_note.issued delivery")

    def test_resubmitting_is_a_no_op_and_changing_is_a_conflict(self, topology, partners):
        globex = partners("partner-a")
        order = book(topology, globex)
        same = globex.get(f"/v2/orders/{order['id']}").json()
        body = {"id": order["id"], "customer": {"name": "Globex GmbH", "currency": "EUR", "billing_address": {
            "line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"}}, "currency": "EUR", "close_date": "2025-01-01",
            "lines": [{**{k: v for k, v in line.items()}} for line in same["lines"]]}
        body["customer"]["contacts"] = [{"name": "Erika Muster", "email": "erika@example.com", "roles": ["billing"]}]
        again = globex.post("/v2/orders", body)
        assert again.status_code == 202, again.text
        assert again.json()["opportunity_id"] == order["opportunity_id"]
        body["lines"][0]["quantity"] = 7
        changed = globex.post("/v2/orders", body)
        assert changed.status_code == 409, changed.text
        assert changed.headers["content-type"].startswith("application/problem+json")


class TestOrderThatStops:
    def test_the_partner_hears_that_its_order_needs_attention(self, partners, receiver):
        """An order for a product finance has not set up in the ERP stops; the partner is told, not left waiting."""
        target, url = receiver
        globex = partners("partner-a")
        hook = globex.ok("POST", "/v2/webhooks", status=201, json={"url": url, "events": ["order.needs_attention"]})
        body = order_body(platform_sku=sku("UNKNOWN"))  # never created in NetSuite
        globex.ok("POST", "/v2/orders", status=202, json=body)
        order = wait_until(lambda: (o := globex.ok("GET", f"/v2/orders/{body['id']}"))["status"] in TERMINAL_ORDER
                           and o, timeout=120, what="the order to stop")
        assert order["status"] in ("needs_attention", "blocked_master_data")
        [event] = wait_until(lambda: _events(target, hook["secret"], body["id"]), what="order.needs_attention")
        assert event["type"] == "order.needs_attention" and event["data"]["order_id"] == body["id"]
        assert event["data"]["status"] in ("needs_attention", "blocked_master_data")
        listed = {o["id"]: o["status"] for o in globex.ok("GET", "/v2/orders", params={"limit": 100})["data"]}
        assert listed[body["id"]] == order["status"]
