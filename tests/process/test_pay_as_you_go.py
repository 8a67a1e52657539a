"""A deal of usage only (API calls at 0.04 each for 2025, no platform fee) renewed and cancelled end to end.

Such a deal has no ratable obligation: its term is its usage obligation's. The renewal for 2026 at 0.03 a call
books nothing up front (no ERP sales order), registers a new contract of one usage obligation and, in the old
term's last billing period, moves the subscription to the new price. A cancellation now ends the subscription
and leaves the revenue contract as it is (usage revenue follows what was used). The customer sits on a Stripe
test clock started on 1 January 2025.
"""

from __future__ import annotations

from tests.process.test_cancellation import activated_deal, post, unix
from tests.process.topology import Topology

OLD_PRICE, NEW_PRICE = 4, 3


def _calls_deal(topology: Topology) -> dict:
    """API calls at 0.04 each for 2025 (list 0.05), won by a customer on a test clock; the activation."""
    return activated_deal(topology, {"quantity": 1, "list": 5, "sale": OLD_PRICE, "start": "2025-01-01",
                                     "end": "2025-12-31", "frequency": "usage", "description": "API calls"})


class TestPayAsYouGo:
    def test_renewed_at_a_new_unit_price_without_an_order(self, topology: Topology):
        activated = _calls_deal(topology)
        deal, ids = activated["subject"], activated["external_ids"]
        product = activated["input"]["opportunity"]["lines"][0]["product_sku"]
        customer = activated["input"]["customer"]
        topology.stripe.advance_clock(unix("2025-11-15"))
        renewal = topology.salesforce.create_deal(customer["id"], "Calls 2026", [
            {"sku": product, "quantity": 1, "list": 5, "sale": NEW_PRICE, "start": "2026-01-01", "end": "2026-12-31",
             "frequency": "usage", "description": "API calls"}], "2025-11-15", renews=deal)
        topology.salesforce.win(renewal)
        payload = {"opportunity": topology.crm.get(f"/v1/opportunities/{renewal}").json(), "customer": customer,
                   "closed_at": "2025-11-15T12:00:00Z"}
        started = post(topology, f"/v1/deals/{deal}/renewals", payload)
        assert started.status_code == 202, started.text
        done = topology.wait_for(started.json()["id"])
        assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]
        assert "sales_order_id" not in done["external_ids"]

        view = topology.revrec.get(f"/v1/contracts/{done['external_ids']['revenue_contract_id']}").json()
        assert [(o["pattern"], o["start_date"], o["end_date"]) for o in view["contract"]["obligations"]] == [
            ("usage", "2026-01-01", "2026-12-31")]
        assert done["external_ids"]["revenue_contract_id"] != ids["revenue_contract_id"]

        # In December, the old term's last billing period, the renewal takes the subscription over; the usage
        # price changes only once the new term has begun, so December's calls are invoiced at the old price.
        term = topology.wait_for(f"renewal_term:{renewal}", lambda w: w["state"] == "waiting")
        assert term["subject"] == renewal
        topology.stripe.advance_clock(unix("2025-12-15"))
        topology.wait_for(f"renewal_term:{renewal}", lambda w: w["state"] == "waiting" and any(
            s["name"] == "take_over" and s["status"] == "done" for s in w["steps"]))
        december = {"id": f"{deal}-dec", "opportunity_id": deal, "sku": product, "quantity": 1_000,
                    "occurred_at": "2025-12-10T12:00:00Z"}
        reported = topology.process.post("/v1/usage", json=december, headers={"Idempotency-Key": deal + "-dec"})
        assert reported.status_code == 202, reported.text
        assert topology.wait_for(reported.json()["data"][0]["workflow_id"])["state"] == "succeeded"
        topology.stripe.advance_clock(unix("2026-01-01") + 60)
        moved = topology.wait_for(f"renewal_term:{renewal}", lambda w: w["state"] in (
            "succeeded", "parked", "dead_lettered"))
        assert moved["state"] == "succeeded", moved.get("exception") or moved["history"][-3:]
        sub = topology.billing.get(f"/v1/subscriptions/{ids['subscription_id']}").json()
        assert [(i["product_sku"], i["unit_amount"]["amount_minor"]) for i in sub["items"]] == [(product, NEW_PRICE)]
        assert (sub["status"], sub["end_date"]) == ("active", "2026-12-31")
        invoices = topology.billing.get("/v1/invoices", params={"subscription": ids["subscription_id"]}).json()
        [january] = [i for i in invoices["data"] if i.get("issued_on") == "2026-01-01"]
        assert [(line["period_start"], line["amount"]["amount_minor"]) for line in january["lines"]] == [
            ("2025-12-01", 1_000 * OLD_PRICE)]
        old_view = topology.revrec.get(f"/v1/contracts/{ids['revenue_contract_id']}").json()
        [old_usage] = old_view["schedules"]
        assert {line["accounting_period"]: line["amount"]["amount_minor"] for line in old_usage["lines"]} == {
            "2025-12": 1_000 * OLD_PRICE}

    def test_cancelled_now_ends_the_subscription_and_leaves_revenue_to_usage(self, topology: Topology):
        activated = _calls_deal(topology)
        deal, ids = activated["subject"], activated["external_ids"]
        topology.stripe.advance_clock(unix("2025-03-15"))
        started = post(topology, f"/v1/deals/{deal}/cancellations", {"at": "now", "credit": True})
        assert started.status_code == 202, started.text
        done = topology.wait_for(started.json()["id"])
        assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]
        sub = topology.billing.get(f"/v1/subscriptions/{ids['subscription_id']}").json()
        assert sub["status"] == "canceled"
        assert topology.revrec.get(f"/v1/contracts/{ids['revenue_contract_id']}").json()["modifications"] == []
        assert topology.salesforce.finance(deal)["subscription_id"] == ids["subscription_id"]
