"""Workflows that stop for a person: master data blocked then resumed, bad deals, cancellation with compensation.

Over real HTTP to the sandboxes with a real Redis; each deal here has its own account and SKUs, so the tests
of this module share one topology without seeing each other.
"""

from __future__ import annotations

import uuid

from tests.conftest import TEST_CLIENT_ID
from tests.process.topology import Topology, account, write
from tests.system.revrec.api.helpers import obligation, register_body


def _line(sku: str, **overrides) -> dict:
    return {"sku": sku, "quantity": 5, "list": 10_000, "sale": 9_000, "start": "2025-01-01", "end": "2025-12-31",
            "frequency": "monthly", **overrides}


def _sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def _post(topology: Topology, path: str):
    return topology.process.post(path, headers={"Idempotency-Key": uuid.uuid4().hex})


def _win_while_refused(topology: Topology, vendor, route: str, seed: int) -> tuple[str, dict]:
    """A one-line deal won while ``vendor`` refuses ``route`` (400); the deal and its activation once stopped."""
    sku = _sku("SEAT")
    topology.item(sku)
    vendor.faults({"seed": seed, "rules": [{"route": route, "error_rate": 1.0, "error_status": 400}]})
    try:
        deal = topology.win_deal([_line(sku)])
        return deal, topology.wait_for(f"activation:{deal}")
    finally:
        vendor.clear_faults()


class TestMasterDataBlock:
    def test_unknown_sku_blocks_then_resume_completes_without_repeating_steps(self, topology: Topology):
        sku = _sku("PRO-ANNUAL")
        deal = topology.win_deal([_line(sku)])
        blocked = topology.wait_for(f"activation:{deal}")
        assert (blocked["state"], blocked["business_status"]) == ("parked", "blocked_master_data")
        exc = blocked["exception"]
        assert (exc["owner"], exc["step"], exc["code"]) == ("finance_ops", "erp_items", "sku_missing")
        assert sku in exc["reason"] and "resume" in exc["fix"]
        queue = topology.process.get("/v1/exceptions", params={"owner": "finance_ops"}).json()
        assert f"activation:{deal}" in [e["workflow_id"] for e in queue["data"]]

        topology.item(sku)  # finance creates the item in NetSuite
        assert _post(topology, f"/v1/workflows/activation:{deal}/resume").status_code == 202
        done = topology.wait_for(f"activation:{deal}",
                                 lambda w: w["resumes"] == 1 and w["state"] in ("succeeded", "parked"))
        assert done["state"] == "succeeded", done.get("exception")
        runs = [h["step"] for h in done["history"] if h["event"] == "step_started"]
        assert runs.count("validate") == 1 and runs.count("erp_customer") == 1  # not repeated by the resume
        assert runs.count("erp_items") == 2
        key = done["input"]["customer"]["id"]
        assert sum(1 for c in topology.netsuite.records("customer") if c["fields"].get("externalId") == key) == 1

    def test_resume_of_a_running_or_finished_workflow_is_a_conflict(self, topology: Topology):
        sku = _sku("SEAT")
        topology.item(sku)
        deal = topology.win_deal([_line(sku)])
        topology.wait_for(f"activation:{deal}")
        response = _post(topology, f"/v1/workflows/activation:{deal}/resume")
        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")


class TestWhoWorksOnIt:
    def test_assignment_holds_for_one_exception_and_history_names_who_resumed(self, topology: Topology):
        sku = _sku("ASSIGN")
        deal = topology.win_deal([_line(sku)])
        workflow = f"activation:{deal}"
        first = topology.wait_for(workflow)["exception"]
        assigned = topology.process.post(f"/v1/workflows/{workflow}/assign", json={
            "assignee": "maria@finance.example", "actor": "lead@finance.example", "note": "item request raised"})
        assert assigned.status_code == 200, assigned.text
        mine = topology.process.get("/v1/exceptions", params={"assignee": "maria@finance.example"}).json()["data"]
        row = next(e for e in mine if e["workflow_id"] == workflow)
        assert row["assignment"]["assigned_by"] == "lead@finance.example"
        others = topology.process.get("/v1/exceptions", params={"assignee": "sam@finance.example"}).json()["data"]
        assert workflow not in [e["workflow_id"] for e in others]

        # Resumed before the fix, without saying who: it parks again, and the new exception starts unassigned.
        assert _post(topology, f"/v1/workflows/{workflow}/resume").status_code == 202
        again = topology.wait_for(workflow, lambda w: w["resumes"] == 1 and w["state"] == "parked")
        assert again["exception"]["occurred_at"] != first["occurred_at"]
        queue = topology.process.get("/v1/exceptions", params={"subject": deal}).json()["data"]
        assert [e["assignment"] for e in queue if e["workflow_id"] == workflow] == [None]
        anonymous = [h for h in again["history"] if h["event"] == "resumed"]
        assert [h["actor"] for h in anonymous] == [TEST_CLIENT_ID]

        topology.item(sku)
        resumed = topology.process.post(f"/v1/workflows/{workflow}/resume",
                                        json={"actor": "maria@finance.example", "note": "created the item"})
        assert resumed.status_code == 202, resumed.text
        done = topology.wait_for(workflow, lambda w: w["resumes"] == 2 and w["state"] in ("succeeded", "parked"))
        assert done["state"] == "succeeded", done.get("exception")
        last = [h for h in done["history"] if h["event"] == "resumed"][-1]
        assert (last["actor"], last["detail"]) == ("maria@finance.example", "created the item")

        late = topology.process.post(f"/v1/workflows/{workflow}/assign", json={"assignee": "sam@finance.example"})
        assert late.status_code == 409 and late.headers["content-type"].startswith("application/problem+json")

    def test_bad_assignment_bodies_are_named(self, topology: Topology):
        deal = topology.win_deal([_line(_sku("BADASSIGN"))])
        workflow = f"activation:{deal}"
        topology.wait_for(workflow)
        for body in ({}, {"assignee": ""}, {"assignee": "x" * 101}, {"assignee": "maria", "role": "boss"}):
            response = topology.process.post(f"/v1/workflows/{workflow}/assign", json=body)
            assert response.status_code == 400, (body, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        missing = topology.process.post("/v1/workflows/activation:nope/assign", json={"assignee": "maria"})
        assert missing.status_code == 404


class TestInvalidDeal:
    def test_a_deal_with_mixed_intervals_waits_for_sales_ops(self, topology: Topology):
        monthly, annual = _sku("SEAT"), _sku("SUPPORT")
        topology.item(monthly)
        topology.item(annual)
        deal = topology.win_deal([_line(monthly), _line(annual, frequency="annual", list=100_000, sale=100_000)])
        parked = topology.wait_for(f"activation:{deal}")
        assert (parked["business_status"], parked["exception"]["owner"]) == ("pending_validation", "sales_ops")
        assert "different intervals" in parked["exception"]["reason"]
        assert [s["status"] for s in parked["steps"][1:]] == ["pending"] * (len(parked["steps"]) - 1)


class TestCompensation:
    def test_cancel_of_a_half_done_activation_undoes_completed_steps_in_reverse(self, topology: Topology):
        # NetSuite refuses sales orders for this test: the activation parks after the subscription exists.
        deal, parked = _win_while_refused(topology, topology.netsuite, "salesOrder", seed=1)
        assert parked["state"] == "parked" and parked["exception"]["step"] == "erp_sales_order", parked["exception"]
        sub_id = parked["external_ids"]["subscription_id"]
        assert _post(topology, f"/v1/workflows/activation:{deal}/cancel").status_code == 202
        done = topology.wait_for(f"activation:{deal}", lambda w: w["state"] in ("compensated", "succeeded"))
        assert done["business_status"] == "cancelled"
        status = {s["name"]: s["status"] for s in done["steps"]}
        assert status["billing_subscription"] == "undone" and status["erp_sales_order"] == "skipped"
        undone = [h["step"] for h in done["history"] if h["event"] == "step_undone"]
        completed = [s["name"] for s in done["steps"] if s["status"] == "undone"]
        assert undone == list(reversed(completed))
        [sub] = [s for s in topology.stripe_objects("subscription") if s["id"] == sub_id]
        assert sub["status"] == "canceled"
        assert _post(topology, f"/v1/workflows/activation:{deal}/cancel").status_code == 409


class TestCompensationOfTheSalesOrder:
    def test_cancel_after_the_sales_order_closes_it_and_cancels_the_subscription(self, topology: Topology):
        """The revenue contract's registration is refused, for good: its idempotency key was already used, by
        another caller's contract (a collision the workflow cannot fix by retrying)."""
        sku = _sku("SEAT")
        topology.item(sku)
        key = f"ACME-{uuid.uuid4().hex[:8].upper()}"
        write(topology.crm, "PUT", f"/v1/accounts/{key}", account("Acme Corp"))
        deal = topology.salesforce.create_deal(key, "Acme Corp 2025-01-01", [_line(sku)], "2025-01-01")
        taken = topology.revrec.post("/v1/contracts", json=register_body(
            12_000, [obligation("ob-1", 12_000, "2025-01-01", "2025-12-31")]),
            headers={"Idempotency-Key": f"activation:{deal}:revenue_contract"})
        assert taken.status_code == 201, taken.text
        topology.salesforce.win(deal)
        parked = topology.wait_for(f"activation:{deal}")
        assert (parked["state"], parked["exception"]["step"]) == ("parked", "revenue_contract"), parked["exception"]

        assert _post(topology, f"/v1/workflows/activation:{deal}/cancel").status_code == 202
        done = topology.wait_for(f"activation:{deal}", lambda w: w["state"] in ("compensated", "succeeded"))
        status = {s["name"]: s["status"] for s in done["steps"]}
        assert (status["erp_sales_order"], status["billing_subscription"]) == ("undone", "undone")
        assert (status["erp_customer"], status["revenue_contract"]) == ("done", "skipped")  # master data stays
        undone = [h["step"] for h in done["history"] if h["event"] == "step_undone"]
        assert undone == ["erp_sales_order", "billing_subscription"]
        [order] = [o for o in topology.netsuite.records("salesOrder")
                   if o["id"] == done["external_ids"]["sales_order_id"]]
        assert all(line.get("isClosed") for line in order["sublists"]["item"])
        [sub] = [s for s in topology.stripe_objects("subscription")
                 if s["id"] == done["external_ids"]["subscription_id"]]
        assert sub["status"] == "canceled"


class TestCancelOfALiveDeal:
    def test_once_the_revenue_contract_exists_cancel_is_refused_with_the_way_to_end_the_deal(
            self, topology: Topology):
        # Salesforce refuses the finance status write: the activation parks on its last step.
        deal, parked = _win_while_refused(topology, topology.salesforce, "^POST .*/composite$", seed=4)
        assert (parked["state"], parked["exception"]["step"]) == ("parked", "crm_status"), parked["exception"]
        refused = _post(topology, f"/v1/workflows/activation:{deal}/cancel")
        assert refused.status_code == 409, refused.text
        assert "cancellation workflow" in refused.json()["detail"]
        after = topology.workflow(f"activation:{deal}")
        assert after["state"] == "parked"
        assert not [h for h in after["history"] if h["event"] in ("cancel_requested", "compensating")]
        [sub] = [s for s in topology.stripe_objects("subscription")
                 if s["id"] == after["external_ids"]["subscription_id"]]
        assert sub["status"] == "active"


class TestCompensationOfAnUnansweredOrder:
    def test_an_order_the_erp_made_without_answering_is_closed_on_cancel(self, topology: Topology):
        sku = _sku("SEAT")
        topology.item(sku)
        # NetSuite saves every sales order it is sent but each answer is lost.
        topology.netsuite.faults({"seed": 9, "rules": [{"route": "^PUT .*/salesOrder/", "error_after_rate": 1.0}]})
        try:
            deal = topology.win_deal([_line(sku)])
            topology.wait_for(f"activation:{deal}", lambda w: w["steps"][6]["attempts"] >= 2)
            [made] = [o for o in topology.netsuite.records("salesOrder") if o["fields"].get("otherRefNum") == deal]
            assert _post(topology, f"/v1/workflows/activation:{deal}/cancel").status_code == 202
            topology.wait_for(f"activation:{deal}", lambda w: any(h["event"] == "compensating" for h in w["history"]))
        finally:
            topology.netsuite.clear_faults()
        done = topology.wait_for(f"activation:{deal}", lambda w: w["state"] in ("compensated", "succeeded"))
        assert done["state"] == "compensated", done.get("exception")
        events = [h["event"] for h in done["history"] if h["step"] == "erp_sales_order"]
        assert events[-2:] == ["step_found", "step_undone"], events
        [closed] = [o for o in topology.netsuite.records("salesOrder") if o["id"] == made["id"]]
        assert all(line.get("isClosed") for line in closed["sublists"]["item"])
        [sub] = [s for s in topology.stripe_objects("subscription")
                 if s["id"] == done["external_ids"]["subscription_id"]]
        assert sub["status"] == "canceled"


class TestCompensationOfAnUnansweredCreate:
    """The subscription create reaches Stripe but its answer never comes back; then the deal is cancelled."""

    @staticmethod
    def _of_deal(topology: Topology, deal: str) -> list[dict]:
        return [s for s in topology.stripe_objects("subscription")
                if (s.get("metadata") or {}).get("revflow_opportunity_id") == deal]

    def _cancel_while_the_create_fails(self, topology: Topology, fault: dict) -> tuple[str, dict]:
        sku = _sku("SEAT")
        topology.item(sku)
        topology.stripe.faults({"seed": 3, "rules": [{"route": "^POST /v1/subscriptions$", **fault}]})
        try:
            deal = topology.win_deal([_line(sku)])
            topology.wait_for(f"activation:{deal}", lambda w: w["steps"][5]["attempts"] >= 2)
            assert _post(topology, f"/v1/workflows/activation:{deal}/cancel").status_code == 202
            done = topology.wait_for(f"activation:{deal}", lambda w: w["state"] in ("compensated", "succeeded"))
        finally:
            topology.stripe.clear_faults()
        assert done["business_status"] == "cancelled", done.get("exception")
        return deal, done

    def test_a_subscription_made_without_an_answer_is_found_and_cancelled(self, topology: Topology):
        deal, done = self._cancel_while_the_create_fails(topology, {"error_after_rate": 1.0})
        [sub] = self._of_deal(topology, deal)  # made by the first attempt, replayed by Stripe to the others
        assert sub["status"] == "canceled"
        step = next(s for s in done["steps"] if s["name"] == "billing_subscription")
        assert (step["status"], step["output"]["subscription_id"]) == ("undone", sub["id"])
        assert done["external_ids"]["subscription_id"] == sub["id"]
        events = [h["event"] for h in done["history"] if h["step"] == "billing_subscription"]
        assert events[-2:] == ["step_found", "step_undone"]

    def test_a_create_that_never_reached_the_vendor_leaves_nothing_to_cancel(self, topology: Topology):
        deal, done = self._cancel_while_the_create_fails(topology, {"error_rate": 1.0})
        assert self._of_deal(topology, deal) == []
        step = next(s for s in done["steps"] if s["name"] == "billing_subscription")
        assert step["status"] == "skipped"
        assert [h["step"] for h in done["history"] if h["event"] == "step_checked"] == ["billing_subscription"]
        assert not [h for h in done["history"] if h["event"] == "step_undone" and h["step"] == "billing_subscription"]


class TestResumeAfterRefusal:
    def test_a_step_refused_by_a_vendor_completes_on_resume_once_the_cause_is_gone(self, topology: Topology):
        """The resumed step sends the same write under the same idempotency key: the refusal was not stored
        (it changed nothing), so the write now runs, and runs once."""
        deal, parked = _win_while_refused(topology, topology.netsuite, "salesOrder", seed=2)
        assert parked["exception"]["step"] == "erp_sales_order", parked["exception"]
        assert _post(topology, f"/v1/workflows/activation:{deal}/resume").status_code == 202
        done = topology.wait_for(f"activation:{deal}",
                                 lambda w: w["resumes"] == 1 and w["state"] in ("succeeded", "parked"))
        assert done["state"] == "succeeded", done.get("exception")
        orders = [o for o in topology.netsuite.records("salesOrder")
                  if o["id"] == done["external_ids"]["sales_order_id"]]
        assert len(orders) == 1
