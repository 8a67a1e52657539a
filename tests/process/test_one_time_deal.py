"""A deal of one-time lines only (an implementation and three training days, no subscription) end to end.

Billing issues one invoice of the charges instead of a subscription; the ERP gets the sales order and, by the
invoice's sync, one invoice; revrec allocates the price by relative standalone selling price (the list prices)
and recognises each line in the month it is delivered; reconciliation finds nothing unexplained. The deal has no
subscription to amend, so an amendment waits for sales ops with the way out; cancelling the activation before it
is live credits the invoice; a training day credited and refunded after delivery is revenue of the period the
credit takes effect in. Expected amounts are computed here from the deal's lines.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from tests.process.figures import largest_remainder
from tests.process.test_reconciliation import _contract, _differences, _reconcile
from tests.process.topology import Topology


def _lines() -> list[dict[str, Any]]:
    stem = uuid.uuid4().hex[:6].upper()
    return [{"sku": f"IMPL-{stem}", "quantity": 1, "list": 200_000, "sale": 150_000, "start": "2025-01-15",
             "end": "2025-01-15", "frequency": "one_time", "description": "Implementation"},
            {"sku": f"TRAIN-{stem}", "quantity": 3, "list": 50_000, "sale": 50_000, "start": "2025-02-10",
             "end": "2025-02-10", "frequency": "one_time", "description": "Admin training day"}]


def _win(topology: Topology, lines: list[dict[str, Any]]) -> str:
    for line in lines:
        topology.item(line["sku"])
    return topology.win_deal(lines, close_date="2025-01-15", name="One Off Ltd")


def _billing_step(done: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in done["steps"] if s["name"] == "billing_subscription")["output"]


def _invoiced(topology: Topology) -> tuple[list[dict[str, Any]], str, dict[str, Any], str, dict[str, Any]]:
    """A one-off deal activated and its invoice synced: its lines, id, activation, invoice id and sync."""
    lines = _lines()
    deal = _win(topology, lines)
    done = topology.wait_for(f"activation:{deal}")
    assert done["state"] == "succeeded", done.get("exception")
    invoice_id = _billing_step(done)["invoice_id"]
    sync = topology.wait_for(topology.workflow_id_of_invoice(invoice_id))
    assert sync["state"] == "succeeded", sync.get("exception")
    return lines, deal, done, invoice_id, sync



def _won_while_failing(topology: Topology, *, stripe: dict[str, int] | None = None,
                       netsuite: dict[str, int] | None = None) -> tuple[str, dict[str, Any]]:
    """Win a deal of ``_lines()`` while every request to the given routes fails with the given status; the deal
    and its activation once it stopped."""
    sandboxes = [(sandbox, routes) for sandbox, routes in ((topology.stripe, stripe), (topology.netsuite, netsuite))
                 if routes]
    for sandbox, routes in sandboxes:
        sandbox.faults({"seed": 5, "rules": [{"route": route, "error_rate": 1.0, "error_status": status}
                                             for route, status in routes.items()]})
    try:
        deal = _win(topology, _lines())
        return deal, topology.wait_for(f"activation:{deal}")
    finally:
        for sandbox, _ in sandboxes:
            sandbox.clear_faults()

def _cancelled(topology: Topology, deal: str) -> dict[str, Any]:
    """Cancel the deal's activation; the workflow once it has ended."""
    cancelled = topology.process.post(f"/v1/workflows/activation:{deal}/cancel",
                                      headers={"Idempotency-Key": uuid.uuid4().hex})
    assert cancelled.status_code == 202, cancelled.text
    return topology.wait_for(f"activation:{deal}", lambda w: w["state"] in ("compensated", "succeeded"))

class TestOneTimeDeal:
    def test_invoiced_once_without_a_subscription_and_reconciled(self, topology: Topology):
        lines = _lines()
        implementation, training = lines
        deal = _win(topology, lines)
        done = topology.wait_for(f"activation:{deal}")
        assert (done["state"], done["business_status"]) == ("succeeded", "completed"), done.get("exception")
        ids = done["external_ids"]
        assert "subscription_id" not in ids and ids["one_off_invoice_id"] == _billing_step(done)["invoice_id"]
        assert not [s for s in topology.stripe_objects("subscription") if s["customer"] == ids["billing_customer_id"]]

        # Billing: one invoice of both lines at the deal's prices, kept with the deal's id.
        invoice_id = _billing_step(done)["invoice_id"]
        invoice = topology.billing.get(f"/v1/invoices/{invoice_id}").json()
        total = implementation["sale"] + training["quantity"] * training["sale"]
        assert {line["product_sku"]: line["amount"]["amount_minor"] for line in invoice["lines"]} == {
            implementation["sku"]: implementation["sale"], training["sku"]: training["quantity"] * training["sale"]}
        assert (invoice["total"]["amount_minor"], invoice["subscription_id"], invoice["opportunity_id"]) == (
            total, None, deal)
        stripe_invoices = [i for i in topology.stripe_objects("invoice") if i["customer"] == ids["billing_customer_id"]]
        assert [i["id"] for i in stripe_invoices] == [invoice_id]

        # The ERP: the sales order books the same, and the invoice's sync posted it once.
        order = topology.erp.get(f"/v1/sales-orders/{ids['sales_order_id']}").json()
        assert order["total"]["amount_minor"] == total
        sync = topology.wait_for(topology.workflow_id_of_invoice(invoice_id))
        assert sync["state"] == "succeeded", sync.get("exception")
        erp_id = sync["external_ids"]["erp_invoice_id"]
        assert [i["id"] for i in topology.netsuite.records("invoice") if i["id"] == erp_id] == [erp_id]
        assert topology.erp.get(f"/v1/invoices/{erp_id}").json()["total"]["amount_minor"] == total

        # Revrec: 3,000.00 allocated 2,000.00 : 1,500.00 by list price, each line recognised when delivered.
        impl_share, train_share = largest_remainder(total, [Fraction(implementation["list"]),
                                                            Fraction(training["quantity"] * training["list"])])
        view = topology.revrec.get(f"/v1/contracts/{ids['revenue_contract_id']}").json()
        allocations = {a["obligation_id"]: a["amount"]["amount_minor"] for a in view["contract"]["allocations"]}
        assert allocations == {f"po-{implementation['sku']}": impl_share, f"po-{training['sku']}": train_share}
        recognised = {s["obligation_id"]: {line["accounting_period"]: line["amount"]["amount_minor"]
                                           for line in s["lines"] if line["amount"]["amount_minor"]}
                      for s in view["schedules"]}
        assert recognised == {f"po-{implementation['sku']}": {"2025-01": impl_share},
                              f"po-{training['sku']}": {"2025-02": train_share}}
        assert [b["id"] for b in view["billings"] if b["kind"] == "invoice"] == [invoice_id]

        # The CRM record and the deal view show the invoice; reconciliation finds nothing unexplained.
        assert topology.salesforce.finance(deal)["invoice_status"] == invoice["status"]
        assert invoice_id in [i["id"] for i in topology.process.get(f"/v1/deals/{deal}").json()["invoices"]]
        report = _reconcile(topology, deals=[deal])
        assert report["unexplained"] == 0, _differences(report, deal)
        figures = _contract(report, deal)["figures"]
        assert {k: figures[k]["amount_minor"] for k in ("booked", "billed", "unbilled", "posted_to_erp")} == {
            "booked": total, "billed": total, "unbilled": 0, "posted_to_erp": total}

    def test_an_amendment_has_no_subscription_to_change_and_says_so(self, topology: Topology):
        lines = _lines()
        deal = _win(topology, lines)
        done = topology.wait_for(f"activation:{deal}")
        assert done["state"] == "succeeded", done.get("exception")
        booked = done["input"]["opportunity"]["lines"][1]
        change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-02-01",
                  "currency": "USD", "reason": "One more training day",
                  "changed_lines": [{"action": "update", "line_id": booked["id"], "line": {**booked, "quantity": 4}}]}
        started = topology.process.post(f"/v1/deals/{deal}/amendments", json=change,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
        assert started.status_code == 202, started.text
        parked = topology.wait_for(started.json()["id"])
        assert (parked["business_status"], parked["exception"]["owner"], parked["exception"]["code"]) == (
            "pending_validation", "sales_ops", "deal_has_no_subscription"), parked.get("exception")
        assert "POST /v1/credits" in parked["exception"]["fix"]

    def test_cancelling_before_it_is_live_credits_the_invoice(self, topology: Topology):
        # NetSuite refuses sales orders while the deal is won: the activation parks after billing invoiced it.
        lines = _lines()
        refuse = {"route": "salesOrder", "error_rate": 1.0, "error_status": 400}
        topology.netsuite.faults({"seed": 3, "rules": [refuse]})
        try:
            deal = _win(topology, lines)
            parked = topology.wait_for(f"activation:{deal}")
        finally:
            topology.netsuite.clear_faults()
        assert (parked["state"], parked["exception"]["step"]) == ("parked", "erp_sales_order"), parked["exception"]
        invoice_id = _billing_step(parked)["invoice_id"]

        ended = _cancelled(topology, deal)
        status = {s["name"]: s["status"] for s in ended["steps"]}
        assert (ended["business_status"], status["billing_subscription"]) == ("cancelled", "undone")
        invoice = topology.billing.get(f"/v1/invoices/{invoice_id}").json()
        notes = [n for n in topology.stripe_objects("credit_note") if n["invoice"] == invoice_id]
        assert [n["amount"] for n in notes] == [invoice["total"]["amount_minor"]] == [
            lines[0]["sale"] + lines[1]["quantity"] * lines[1]["sale"]]

    def test_a_training_day_credited_and_refunded_reaches_every_system(self, topology: Topology):
        lines, deal, done, invoice_id, sync = _invoiced(topology)
        training = lines[1]
        day = training["sale"]
        request = {"opportunity_id": deal, "invoice_id": invoice_id, "reason": "product_unsatisfactory",
                   "lines": [{"sku": training["sku"], "amount": {"amount_minor": day, "currency": "USD"},
                              "description": "A training day not given"}], "refund": True}
        before = datetime.now(UTC).strftime("%Y-%m")
        started = topology.process.post("/v1/credits", json=request, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert started.status_code == 202, started.text
        credited = topology.wait_for(started.json()["id"])
        granted = {before, datetime.now(UTC).strftime("%Y-%m")}
        assert (credited["state"], credited["business_status"]) == ("succeeded", "completed"), credited.get("exception")

        notes = [n for n in topology.stripe_objects("credit_note") if n["invoice"] == invoice_id]
        assert [n["amount"] for n in notes] == [day]
        [stripe_invoice] = [i for i in topology.stripe_objects("invoice") if i["id"] == invoice_id]
        assert [r["amount"] for r in topology.stripe_objects("refund") if r["charge"] == stripe_invoice["charge"]] == [
            day]
        memos = [m for m in topology.netsuite.records("creditMemo")
                 if (m["fields"].get("createdFrom") or {}).get("id") == sync["external_ids"]["erp_invoice_id"]]
        assert [sum(round(float(line["amount"]) * 100) for line in m["sublists"]["item"]) for m in memos] == [day]
        # Revrec: the training was delivered in February 2025, so the concession is revenue of the period it was
        # granted in (today's), on its own line; the implementation's revenue is untouched.
        total = lines[0]["sale"] + training["quantity"] * training["sale"]
        impl_share, train_share = largest_remainder(total, [Fraction(lines[0]["list"]),
                                                            Fraction(training["quantity"] * training["list"])])
        view = topology.revrec.get(f"/v1/contracts/{done['external_ids']['revenue_contract_id']}").json()
        assert view["contract"]["transaction_price"]["amount_minor"] == total - day
        schedules = {s["obligation_id"]: {(line["accounting_period"], line["kind"]): line["amount"]["amount_minor"]
                                          for line in s["lines"] if line["amount"]["amount_minor"]}
                     for s in view["schedules"]}
        [(month, kind)] = [slot for slot in schedules[f"po-{training['sku']}"] if slot[0] != "2025-02"]
        assert month in granted and kind == "catch_up"
        assert schedules == {f"po-{lines[0]['sku']}": {("2025-01", "recognition"): impl_share},
                             f"po-{training['sku']}": {("2025-02", "recognition"): train_share,
                                                       (month, "catch_up"): -day}}

    def test_a_credit_beyond_the_revenue_a_line_holds_is_refused_before_anything_is_written(self, topology):
        # The training days billed 1,500.00 but were allocated 1,285.71 of revenue (relative SSP): crediting all
        # three would take revenue below zero, so nothing is credited anywhere.
        lines, deal, _, invoice_id, _ = _invoiced(topology)
        training = lines[1]
        billed = training["quantity"] * training["sale"]
        request = {"opportunity_id": deal, "invoice_id": invoice_id, "refund": True,
                   "lines": [{"sku": training["sku"], "amount": {"amount_minor": billed, "currency": "USD"}}]}
        started = topology.process.post("/v1/credits", json=request, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert started.status_code == 202, started.text
        ended = topology.wait_for(started.json()["id"])
        [refused] = [h for h in ended["history"] if h["event"] == "refused"]
        assert (ended["state"], refused["step"]) == ("compensated", "validate"), ended.get("exception")
        assert refused["detail"].startswith("credit_exceeds_revenue: ")
        assert not [n for n in topology.stripe_objects("credit_note") if n["invoice"] == invoice_id]

    def test_cancelling_an_invoice_nothing_was_collected_on_voids_it(self, topology: Topology):
        # The card is declined (Stripe refuses the charge) and NetSuite refuses sales orders: the activation parks
        # after billing issued an open invoice, which its cancellation voids instead of crediting.
        deal, parked = _won_while_failing(topology, stripe={"POST /v1/invoices/[^/]+/pay": 402},
                                          netsuite={"salesOrder": 400})
        assert (parked["state"], parked["exception"]["step"]) == ("parked", "erp_sales_order"), parked["exception"]
        invoice_id = _billing_step(parked)["invoice_id"]
        assert topology.billing.get(f"/v1/invoices/{invoice_id}").json()["status"] == "open"

        ended = _cancelled(topology, deal)
        assert {s["name"]: s["status"] for s in ended["steps"]}["billing_subscription"] == "undone"
        assert topology.billing.get(f"/v1/invoices/{invoice_id}").json()["status"] == "void"
        assert not [n for n in topology.stripe_objects("credit_note") if n["invoice"] == invoice_id]

    def test_cancelling_after_the_invoice_was_left_a_draft_voids_the_draft(self, topology: Topology):
        # Stripe fails every finalize: billing's one-off invoice stays a draft, the step fails without an answer
        # naming it, and the activation stops for a person. Cancelling looks the draft up by the deal and voids it.
        deal, parked = _won_while_failing(topology, stripe={"POST /v1/invoices/[^/]+/finalize": 400})
        assert parked["state"] in ("parked", "dead_lettered"), parked["state"]
        assert parked["exception"]["step"] == "billing_subscription", parked["exception"]
        [draft] = [i for i in topology.stripe_objects("invoice") if (i.get("metadata") or {}).get(
            "revflow_opportunity_id") == deal]
        assert draft["status"] == "draft"

        ended = _cancelled(topology, deal)
        status = {s["name"]: s["status"] for s in ended["steps"]}
        assert (ended["state"], status["billing_subscription"]) == ("compensated", "undone"), ended["history"][-4:]
        assert topology.billing.get(f"/v1/invoices/{draft['id']}").json()["status"] == "void"
        assert not [n for n in topology.stripe_objects("credit_note") if n["invoice"] == draft["id"]]
        assert not [c for c in topology.stripe_objects("charge") if c.get("invoice") == draft["id"]]
