"""Credit and refund end to end: part of a paid invoice is credited and refunded, and every system follows.

A deal (annual platform billed monthly, plus a one-time setup) is won in the CRM sandbox and activated; its
first invoice is charged at once. Finance then credits 300.00 of the platform charge with a refund: Stripe
holds one credit note and one refund of the invoice's charge, NetSuite one credit memo created from the ERP
invoice, and revrec the credit note linked to the contract and the platform obligation's price lowered by
300.00 as a cumulative catch-up from the effective date. Expected revenue is computed here by hand (relative
SSP, actual days, largest remainder), never read back from revrec.
"""

from __future__ import annotations

import uuid
from datetime import date
from fractions import Fraction

from tests.process.figures import largest_remainder, monthly_exact_days
from tests.process.topology import Topology

CREDIT = 30_000
EFFECTIVE = date(2025, 7, 1)






def _sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def _post(topology: Topology, path: str, body: dict) -> dict:
    response = topology.process.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 202, response.text
    return response.json()


def _activated_deal(topology: Topology, platform: str, setup: str) -> tuple[dict, dict]:
    """A won, activated deal and its first invoice once that reached the ERP (the activation's pull)."""
    topology.item(platform)
    topology.item(setup)
    deal = topology.win_deal([
        {"sku": platform, "quantity": 10, "list": 10_000, "sale": 9_000, "start": "2025-01-01", "end": "2025-12-31",
         "frequency": "monthly", "description": "Platform, annual term billed monthly"},
        {"sku": setup, "quantity": 1, "list": 200_000, "sale": 150_000, "start": "2025-01-01", "end": "2025-01-01",
         "frequency": "one_time", "description": "Implementation"}])
    done = topology.wait_for(f"activation:{deal}")
    assert done["state"] == "succeeded", done.get("exception")
    [invoice_id] = next(s for s in done["steps"] if s["name"] == "start_invoice_sync")["output"]["invoices"]
    sync = topology.wait_for(topology.workflow_id_of_invoice(invoice_id))
    assert sync["state"] == "succeeded", sync.get("exception")
    return done, topology.billing.get(f"/v1/invoices/{invoice_id}").json()


def _schedule(view: dict, obligation: str) -> dict[tuple[str, str], int]:
    schedule = next(s for s in view["schedules"] if s["obligation_id"] == obligation)
    lines: dict[tuple[str, str], int] = {}
    for line in schedule["lines"]:
        key = (line["accounting_period"], line["kind"])
        lines[key] = lines.get(key, 0) + line["amount"]["amount_minor"]
    return lines


class TestPartialCreditWithRefund:
    def test_paid_invoice_credited_and_refunded_in_every_system_once(self, topology: Topology):
        platform, setup = _sku("PLAT"), _sku("SETUP")
        activation, invoice = _activated_deal(topology, platform, setup)
        deal = activation["subject"]
        assert invoice["status"] == "paid"
        request = {"opportunity_id": deal, "invoice_id": invoice["id"], "reason": "product_unsatisfactory",
                   "lines": [{"sku": platform, "amount": {"amount_minor": CREDIT, "currency": "USD"},
                              "description": "Service credit: outage"}],
                   "refund": True, "effective_date": EFFECTIVE.isoformat(), "memo": "Outage credit"}
        started = _post(topology, "/v1/credits", request)
        again = _post(topology, "/v1/credits", request)  # the same request twice is the same credit
        assert again["id"] == started["id"]
        done = topology.wait_for(started["id"])
        assert (done["state"], done["business_status"]) == ("succeeded", "completed"), done.get("exception")
        assert topology.workflow(started["id"])["resumes"] == 0

        # Stripe: one credit note of 300.00 on the invoice, refunded once through the note to the invoice's charge.
        [stripe_invoice] = [i for i in topology.stripe_objects("invoice") if i["id"] == invoice["id"]]
        notes = [n for n in topology.stripe_objects("credit_note") if n["invoice"] == invoice["id"]]
        assert [(n["amount"], n["type"]) for n in notes] == [(CREDIT, "post_payment")]
        refunds = [r for r in topology.stripe_objects("refund") if r["charge"] == stripe_invoice["charge"]]
        assert [r["amount"] for r in refunds] == [CREDIT]
        assert notes[0]["refund"] == refunds[0]["id"]

        # NetSuite: one credit memo of 300.00, created from the ERP invoice of this billing invoice.
        sync = topology.workflow(topology.workflow_id_of_invoice(invoice["id"]))
        erp_invoice = sync["external_ids"]["erp_invoice_id"]
        memos = [m for m in topology.netsuite.records("creditMemo")
                 if (m["fields"].get("createdFrom") or {}).get("id") == erp_invoice]
        assert len(memos) == 1, memos
        assert done["external_ids"]["erp_credit_memo_id"] == memos[0]["id"]
        credited = sum(round(float(line["amount"]) * 100) for line in memos[0]["sublists"]["item"])
        assert credited == CREDIT

        # Revrec: 12,300.00 allocated by relative SSP; the platform's share falls by 300.00 as a catch-up in July.
        annual, setup_share = largest_remainder(1_230_000, [Fraction(1_200_000), Fraction(200_000)])
        before = monthly_exact_days(annual, date(2025, 1, 1), date(2025, 12, 31))
        after = monthly_exact_days(annual - CREDIT, date(2025, 1, 1), date(2025, 12, 31))
        first_half = [f"2025-{m:02d}" for m in range(1, 7)]
        expected = {(p, "recognition"): (before if p in first_half else after)[p] for p in before}
        expected["2025-07", "catch_up"] = sum(after[p] for p in first_half) - sum(before[p] for p in first_half)
        view = topology.revrec.get(f"/v1/contracts/{activation['external_ids']['revenue_contract_id']}").json()
        assert _schedule(view, f"po-{platform}") == expected
        assert sum(expected.values()) == annual - CREDIT
        assert view["contract"]["transaction_price"] == {"amount_minor": 1_230_000 - CREDIT, "currency": "USD"}
        assert _schedule(view, f"po-{setup}") == {("2025-01", "recognition"): setup_share}
        notes_linked = [b for b in view["billings"] if b["kind"] == "credit_note"]
        assert [(b["id"], b["amount"]["amount_minor"]) for b in notes_linked] == [(notes[0]["id"], CREDIT)]

        # Sales sees the finance status in Salesforce, written by this workflow.
        assert topology.salesforce.finance(deal)["subscription_id"] == activation["external_ids"]["subscription_id"]


class TestRefusedCredit:
    def test_a_credit_of_a_deal_revflow_never_saw_is_refused_and_starts_nothing(self, topology: Topology):
        stranger = f"006NEVER{uuid.uuid4().hex[:8].upper()}"
        body = {"opportunity_id": stranger, "invoice_id": "in_1NeverBilled",
                "amount": {"amount_minor": 1_000, "currency": "USD"}}
        response = topology.process.post("/v1/credits", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 409, response.text
        assert (response.json()["code"], response.json()["errors"][0]["field"]) == ("deal_not_known", "opportunity_id")
        rows = topology.process.get("/v1/workflows", params={"subject": stranger}).json()["data"]
        assert rows == []

    def test_a_credit_larger_than_the_invoice_ends_refused_and_holds_no_later_workflow_of_the_deal(
            self, topology: Topology):
        platform, setup = _sku("PLAT"), _sku("SETUP")
        activation, invoice = _activated_deal(topology, platform, setup)
        deal = activation["subject"]
        billed = invoice["total"]["amount_minor"]
        too_much = _post(topology, "/v1/credits", {"opportunity_id": deal, "invoice_id": invoice["id"],
                                                   "amount": {"amount_minor": billed + 1, "currency": "USD"}})
        ended = topology.wait_for(too_much["id"])
        assert (ended["state"], ended["business_status"]) == ("compensated", "cancelled"), ended
        assert ended["exception"] is None
        [refused] = [h for h in ended["history"] if h["event"] == "refused"]
        assert refused["step"] == "validate" and refused["detail"].startswith("credit_exceeds_billed: ")
        assert f"billed {billed} minor units in all" in refused["detail"]
        assert {s["name"]: s["status"] for s in ended["steps"]}["validate"] == "refused"

        fine = _post(topology, "/v1/credits", {"opportunity_id": deal, "invoice_id": invoice["id"], "lines": [
            {"sku": platform, "amount": {"amount_minor": 1_000, "currency": "USD"}}]})
        done = topology.wait_for(fine["id"])
        assert done["state"] == "succeeded", (done.get("exception"), done["history"][-3:])
        notes = [n for n in topology.stripe_objects("credit_note") if n["invoice"] == invoice["id"]]
        assert [n["total"] for n in notes] == [1_000]
