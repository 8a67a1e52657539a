"""Cancellations end to end: now with a credit for the unused time, and at the end of the term.

Each customer sits on a Stripe test clock started on the deal's first day, so billing periods are the contract's
calendar months. The billing events that would start invoice syncs are not wired in this topology; where a test
needs an invoice in the ERP it starts that sync the way the billing trigger does. Every expected amount is computed
here from the deal and the calendar, never read back from the service under test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from tests.process.test_activation import monthly_exact_days
from tests.process.topology import Topology, cancel_while_answers_are_lost

YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
PER_MONTH = 10 * 9_000


def unix(day: str) -> int:
    return int(datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).timestamp())


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2))


def post(topology: Topology, path: str, body: dict | None = None):
    return topology.process.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def activated_deal(topology: Topology, line: dict | None = None) -> dict:
    """10 seats at 90.00 a month for 2025 (or ``line`` of a product of its own), won by a customer on a test clock
    frozen on 1 January; the activation."""
    product = f"{'SEAT' if line is None else 'ITEM'}-{uuid.uuid4().hex[:6].upper()}"
    topology.item(product)
    key = f"ACME-{uuid.uuid4().hex[:8].upper()}"
    topology.stripe.clocked_customer(key, unix("2025-01-01"))
    line = line or {"quantity": 10, "list": 10_000, "sale": 9_000, "start": "2025-01-01", "end": "2025-12-31",
                    "frequency": "monthly"}
    deal = topology.win_deal([{**line, "sku": product}], key=key)
    done = topology.wait_for(f"activation:{deal}")
    assert done["state"] == "succeeded", done.get("exception")
    return done


def sync_invoice(topology: Topology, deal: str, invoice: dict) -> dict:
    """Start the invoice's sync as the billing trigger does on its finalized event, and wait for it."""
    workflow_id = f"invoice_sync:{invoice['id']}:{invoice['status']}"
    started = post(topology, "/v1/workflows", {"kind": "invoice_sync", "subject": deal, "id": workflow_id,
                                               "input": {"invoice_id": invoice["id"], "status": invoice["status"]}})
    assert started.status_code in (200, 201), started.text
    synced = topology.wait_for(workflow_id)
    assert synced["state"] == "succeeded", synced.get("exception")
    return synced


def schedule(topology: Topology, contract_id: str, obligation: str) -> dict[str, int]:
    view = topology.revrec.get(f"/v1/contracts/{contract_id}").json()
    lines = next(s for s in view["schedules"] if s["obligation_id"] == obligation)["lines"]
    found: dict[str, int] = {}
    for line in lines:
        found[line["accounting_period"]] = found.get(line["accounting_period"], 0) + line["amount"]["amount_minor"]
    return found


class TestCancelNowWithCredit:
    def test_unused_days_are_credited_in_billing_and_the_erp_and_revenue_stops(self, topology: Topology):
        activated = activated_deal(topology)
        deal, ids = activated["subject"], activated["external_ids"]
        product = activated["input"]["opportunity"]["lines"][0]["product_sku"]
        topology.stripe.advance_clock(unix("2025-06-16"))
        [june] = [i for i in topology.billing.get("/v1/invoices", params={"subscription": ids["subscription_id"]})
                  .json()["data"] if any(line["period_start"] == "2025-06-01" for line in i["lines"])]
        june_erp = sync_invoice(topology, deal, june)["external_ids"]["erp_invoice_id"]

        started = post(topology, f"/v1/deals/{deal}/cancellations", {"at": "now", "credit": True})
        assert started.status_code == 202, started.text
        assert started.json()["id"] == f"cancellation:{deal}:now"
        done = topology.wait_for(started.json()["id"])
        assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]

        # Billing: canceled on 16 June, crediting 16..30 June (15 of June's 30 days) of the 90.00 x 10 seats.
        credit = half_up(Fraction(PER_MONTH * 15, 30))
        sub = topology.billing.get(f"/v1/subscriptions/{ids['subscription_id']}").json()
        assert sub["status"] == "canceled" and sub["canceled_at"].startswith("2025-06-16")
        prorations = [i["amount"] for i in topology.stripe_objects("invoiceitem")
                      if i.get("subscription") == ids["subscription_id"] and i.get("proration")]
        assert prorations == [-credit]

        # The ERP: one credit memo of the same amount, against June's invoice.
        memos = [m for m in topology.netsuite.records("creditMemo")
                 if str(m["fields"].get("createdFrom", {}).get("id")) == str(june_erp)]
        assert len(memos) == 1, topology.netsuite.records("creditMemo")
        assert Decimal(str(memos[0]["fields"]["total"])) * 100 == credit

        # Revenue: service ends on 15 June; what is no longer due (the credit and July..December) comes off, and
        # prospectively the rest of the consideration lands on 15 June: January..May as scheduled, June the rest.
        total = PER_MONTH * 12
        added = -(credit + PER_MONTH * 6)
        original = monthly_exact_days(total, YEAR_START, YEAR_END)
        expected = {m: a for m, a in original.items() if m < "2025-06"}
        expected["2025-06"] = total + added - sum(expected.values())
        contract_id = ids["revenue_contract_id"]
        assert schedule(topology, contract_id, f"po-{product}") == expected
        view = topology.revrec.get(f"/v1/contracts/{contract_id}").json()
        [modification] = view["modifications"]
        assert modification["added_consideration"]["amount_minor"] == added
        assert modification["new_end_date"] == "2025-06-15"
        assert sum(expected.values()) == PER_MONTH * 5 + (PER_MONTH - credit)  # what the customer pays in the end
        credited = [b for b in view["billings"] if b["kind"] == "credit_note"]
        assert [b["amount"]["amount_minor"] for b in credited] == [credit]

        # The CRM record still shows the subscription; a second request is the same cancellation.
        assert topology.salesforce.finance(deal)["subscription_id"] == ids["subscription_id"]
        again = post(topology, f"/v1/deals/{deal}/cancellations", {"at": "now", "credit": True})
        assert again.status_code == 202 and again.json()["created_at"] == done["created_at"]


class TestCancelOfACancellationNow:
    def test_once_billing_has_canceled_the_cancellation_cannot_be_cancelled_and_resume_finishes_it(
            self, topology: Topology):
        activated = activated_deal(topology)
        deal, ids = activated["subject"], activated["external_ids"]
        topology.stripe.advance_clock(unix("2025-06-16"))
        [june] = [i for i in topology.billing.get("/v1/invoices", params={"subscription": ids["subscription_id"]})
                  .json()["data"] if any(line["period_start"] == "2025-06-01" for line in i["lines"])]
        sync_invoice(topology, deal, june)
        topology.netsuite.faults({"seed": 8, "rules": [{"route": "creditMemo", "error_rate": 1.0,
                                                        "error_status": 400}]})
        try:
            started = post(topology, f"/v1/deals/{deal}/cancellations", {"at": "now", "credit": True})
            assert started.status_code == 202, started.text
            parked = topology.wait_for(started.json()["id"])
            assert (parked["state"], parked["exception"]["step"]) == ("parked", "erp_credit"), parked["exception"]
            refused = post(topology, f"/v1/workflows/{parked['id']}/cancel")
            assert refused.status_code == 409 and "cannot restart" in refused.json()["detail"], refused.text
        finally:
            topology.netsuite.clear_faults()
        assert topology.billing.get(f"/v1/subscriptions/{ids['subscription_id']}").json()["status"] == "canceled"
        assert post(topology, f"/v1/workflows/{parked['id']}/resume").status_code == 202
        done = topology.wait_for(parked["id"], lambda w: w["resumes"] == 1 and w["state"] in ("succeeded", "parked"))
        assert done["state"] == "succeeded", done.get("exception")


    def test_one_that_found_the_subscription_already_canceled_can_be_cancelled(self, topology: Topology):
        activated = activated_deal(topology)
        deal, sub_id = activated["subject"], activated["external_ids"]["subscription_id"]
        gone = topology.billing.post(f"/v1/subscriptions/{sub_id}/cancellations", json={"at": "now"},
                                     headers={"Idempotency-Key": f"by-hand-{deal}"})  # someone, in billing's UI
        assert gone.status_code == 200, gone.text
        started = post(topology, f"/v1/deals/{deal}/cancellations", {"at": "now"})
        parked = topology.wait_for(started.json()["id"])
        assert (parked["state"], parked["exception"]["step"]) == ("parked", "billing_cancellation")
        assert post(topology, f"/v1/workflows/{parked['id']}/cancel").status_code == 202
        done = topology.wait_for(parked["id"], lambda w: w["state"] in ("compensated", "succeeded"))
        assert done["state"] == "compensated", done.get("exception")
        assert {s["name"]: s["status"] for s in done["steps"]}["billing_cancellation"] == "skipped"


class TestCancelAtTermEnd:
    def test_waits_for_the_last_period_without_holding_the_deal_then_ends_with_the_term(self, topology: Topology):
        activated = activated_deal(topology)
        deal, ids = activated["subject"], activated["external_ids"]
        product = activated["input"]["opportunity"]["lines"][0]["product_sku"]
        started = post(topology, f"/v1/deals/{deal}/cancellations", {"at": "term_end"})
        assert started.status_code == 202, started.text
        workflow_id = started.json()["id"]
        topology.wait_for(workflow_id, lambda w: w["state"] == "waiting"
                          and any(h["step"] == "billing_cancellation" for h in w["history"] if h["event"] == "waiting"))

        # Meanwhile the deal's other workflows run: March's invoice reaches the ERP while the cancellation waits.
        topology.stripe.advance_clock(unix("2025-03-02"))
        [march] = [i for i in topology.billing.get("/v1/invoices", params={"subscription": ids["subscription_id"]})
                   .json()["data"] if any(line["period_start"] == "2025-03-01" for line in i["lines"])]
        sync_invoice(topology, deal, march)
        assert topology.workflow(workflow_id)["state"] == "waiting"

        # December comes: the subscription is set to end with the term, and revenue is left as it was.
        topology.stripe.advance_clock(unix("2025-12-05"))
        done = topology.wait_for(workflow_id)
        assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]
        sub = topology.billing.get(f"/v1/subscriptions/{ids['subscription_id']}").json()
        assert (sub["status"], sub["end_date"]) == ("active", "2025-12-31")
        contract_id = ids["revenue_contract_id"]
        assert schedule(topology, contract_id, f"po-{product}") == monthly_exact_days(PER_MONTH * 12, YEAR_START,
                                                                                      YEAR_END)
        assert topology.revrec.get(f"/v1/contracts/{contract_id}").json()["modifications"] == []
        topology.stripe.advance_clock(unix("2026-01-02"))
        assert topology.billing.get(f"/v1/subscriptions/{ids['subscription_id']}").json()["status"] == "canceled"

    def test_a_cancellation_billing_made_without_answering_is_lifted_when_the_workflow_is_cancelled(
            self, topology: Topology):
        activated = activated_deal(topology)
        deal, sub_id = activated["subject"], activated["external_ids"]["subscription_id"]
        topology.stripe.advance_clock(unix("2025-12-05"))  # the term's last billing period: no waiting

        def start() -> str:
            started = post(topology, f"/v1/deals/{deal}/cancellations", {"at": "term_end"})
            assert started.status_code == 202, started.text
            return str(started.json()["id"])

        cancel_while_answers_are_lost(topology, sub_id, "billing_cancellation", start, seed=7,
                                      made=lambda held: held["cancel_at_period_end"] is True)
        [stripe_sub] = [s for s in topology.stripe_objects("subscription") if s["id"] == sub_id]
        assert stripe_sub["cancel_at_period_end"] is False
        topology.stripe.advance_clock(unix("2026-01-02"))
        assert topology.billing.get(f"/v1/subscriptions/{sub_id}").json()["status"] == "active"

    def test_credit_is_only_for_a_cancellation_now(self, topology: Topology):
        response = post(topology, "/v1/deals/006ANY/cancellations", {"at": "term_end", "credit": True})
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["credit"]
