"""Amendments end to end: a mid-term upgrade and a downgrade with an add-on reach billing, the ERP, revenue, the CRM.

Each customer sits on a Stripe test clock started on the deal's first day, so its billing periods are the
calendar months of the contract; the tests move the clock as time passes. The upgrade is signed while the
activation is still unfinished (parked on a refused sales order), waits for it, and then completes. Every expected
amount is computed here from the deal, the change and the calendar (proration by days, revenue by exact days with
the largest remainder), never read back from the service under test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from tests.process.test_activation import monthly_exact_days
from tests.process.topology import Topology, cancel_while_answers_are_lost

YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)


def unix(day: str) -> int:
    return int(datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).timestamp())


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def seats(product: str, quantity: int = 10) -> dict:
    return {"sku": product, "quantity": quantity, "list": 10_000, "sale": 9_000, "start": "2025-01-01",
            "end": "2025-12-31", "frequency": "monthly", "description": "Seats"}


def post(topology: Topology, path: str, body: dict | None = None):
    return topology.process.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def clocked_deal(topology: Topology, lines: list[dict]) -> tuple[str, str]:
    """A customer on a test clock frozen on 2025-01-01 and its deal, won; returns (account key, deal)."""
    key = f"ACME-{uuid.uuid4().hex[:8].upper()}"
    topology.stripe.clocked_customer(key, unix("2025-01-01"))
    return key, topology.win_deal(lines, key=key)


def schedule_lines(topology: Topology, contract_id: str, obligation: str) -> dict[tuple[str, str], int]:
    view = topology.revrec.get(f"/v1/contracts/{contract_id}").json()
    schedule = next(s for s in view["schedules"] if s["obligation_id"] == obligation)
    found: dict[tuple[str, str], int] = {}
    for line in schedule["lines"]:
        slot = (line["accounting_period"], line.get("kind", "recognition"))
        found[slot] = found.get(slot, 0) + line["amount"]["amount_minor"]
    return found


def recognition(amounts: dict[str, int]) -> dict[tuple[str, str], int]:
    return {(month, "recognition"): amount for month, amount in amounts.items()}



def _changed_on_16_april(total: int, added: int) -> dict[tuple[str, str], int]:
    """The 2025 schedule of ``total`` (1 January..31 December, by exact days) changed prospectively on 16 April by
    ``added``: January to March and half of April as recognised, the unrecognised rest plus ``added`` spread over
    16 April..31 December."""
    original = monthly_exact_days(total, YEAR_START, YEAR_END)
    before_april = sum(original[m] for m in ("2025-01", "2025-02", "2025-03"))
    april_done = half_up(Fraction(original["2025-04"] * 15, 30))
    tail = monthly_exact_days(total - before_april - april_done + added, date(2025, 4, 16), YEAR_END)
    expected = {m: original[m] for m in ("2025-01", "2025-02", "2025-03")} | tail
    expected["2025-04"] = april_done + tail["2025-04"]
    return recognition(expected)

class TestUpgrade:
    def test_upgrade_signed_during_the_activation_waits_then_reaches_every_system(self, topology: Topology):
        product = sku("SEAT")
        # The seat item is not in NetSuite yet: the activation stops, unfinished, until finance creates it.
        _, deal = clocked_deal(topology, [seats(product)])
        blocked = topology.wait_for(f"activation:{deal}")
        assert (blocked["state"], blocked["business_status"]) == ("parked", "blocked_master_data")

        # Sales signs an upgrade from 10 to 15 seats from 16 April; it waits behind the unfinished activation.
        booked = blocked["input"]["opportunity"]["lines"][0]
        change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-04-16",
                  "currency": "USD", "reason": "Upgrade to 15 seats",
                  "changed_lines": [{"action": "update", "line_id": booked["id"],
                                     "line": {**booked, "quantity": 15, "service_start": "2025-04-16"}}]}
        started = post(topology, f"/v1/deals/{deal}/amendments", change)
        assert started.status_code == 202, started.text
        workflow_id = started.json()["id"]
        waiting = topology.wait_for(workflow_id, lambda w: w["state"] == "waiting")
        assert waiting["waiting_for"] == f"activation:{deal}"
        assert [s["status"] for s in waiting["steps"]] == ["pending"] * len(waiting["steps"])

        # Finance creates the item and resumes: the activation completes (billing's clock still on 1 January),
        # and the amendment then waits for billing to reach 16 April.
        topology.item(product)
        assert post(topology, f"/v1/workflows/activation:{deal}/resume").status_code == 202
        activated = topology.wait_for(f"activation:{deal}", lambda w: w["resumes"] == 1 and w["state"] in (
            "succeeded", "parked", "dead_lettered"))
        assert activated["state"] == "succeeded", activated.get("exception")
        topology.wait_for(workflow_id, lambda w: any(h["event"] == "waiting" and h["step"] == "plan"
                                                     for h in w["history"]))
        topology.stripe.advance_clock(unix("2025-04-16"))
        done = topology.wait_for(workflow_id, lambda w: w["state"] in ("succeeded", "parked", "dead_lettered"))
        assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]
        assert done["created_at"] < activated["completed_at"] < done["completed_at"]

        # Billing: 15 seats, and one invoice at once crediting 10 seats and charging 15 for 16..30 April.
        sub_id = activated["external_ids"]["subscription_id"]
        sub = topology.billing.get(f"/v1/subscriptions/{sub_id}").json()
        assert [(i["product_sku"], i["quantity"]) for i in sub["items"]] == [(product, 15)]
        left = Fraction((date(2025, 5, 1) - date(2025, 4, 16)).days, (date(2025, 5, 1) - date(2025, 4, 1)).days)
        credit, charge = -half_up(10 * 9_000 * left), half_up(15 * 9_000 * left)
        invoice = topology.billing.get(f"/v1/invoices/{done['external_ids']['amendment_invoice_id']}").json()
        assert sorted(line["amount"]["amount_minor"] for line in invoice["lines"]) == [credit, charge]
        assert invoice["total"]["amount_minor"] == credit + charge == 22_500

        # The ERP: that invoice posted once, by its own sync, for the net of the SKU.
        sync = topology.wait_for(f"invoice_sync:{invoice['id']}:{invoice['status']}")
        assert sync["state"] == "succeeded", sync.get("exception")
        erp_invoice = topology.erp.get(f"/v1/invoices/{sync['external_ids']['erp_invoice_id']}").json()
        assert erp_invoice["total"]["amount_minor"] == credit + charge
        assert sum(1 for i in topology.netsuite.records("invoice")
                   if i["id"] == sync["external_ids"]["erp_invoice_id"]) == 1

        # Revenue, prospectively: what is unrecognised on 16 April plus the added consideration (5 seats x 90.00 for
        # half of April and May..December) is spread over the remaining days.
        total = 10 * 9_000 * 12
        added = half_up(15 * 9_000 * (left + 8)) - half_up(10 * 9_000 * (left + 8))
        contract_id = activated["external_ids"]["revenue_contract_id"]
        assert schedule_lines(topology, contract_id, f"po-{product}") == _changed_on_16_april(total, added)
        view = topology.revrec.get(f"/v1/contracts/{contract_id}").json()
        [modification] = view["modifications"]
        assert (modification["kind"], modification["effective_date"]) == ("prospective", "2025-04-16")
        assert modification["added_consideration"]["amount_minor"] == added == 382_500
        assert view["contract"]["transaction_price"]["amount_minor"] == total + added

        # The CRM record shows the subscription and the status of the deal's latest invoice (the amendment's).
        finance = topology.salesforce.finance(deal)
        assert finance["subscription_id"] == sub_id
        assert finance["invoice_status"] == invoice["status"]

        # Starting the same amendment again changes nothing: the same workflow, still one proration invoice.
        again = post(topology, f"/v1/deals/{deal}/amendments", change)
        assert again.status_code == 202 and again.json()["id"] == workflow_id
        assert again.json()["created_at"] == done["created_at"]
        updates = [i for i in topology.stripe_objects("invoice")
                   if i.get("subscription") == sub_id and i.get("billing_reason") == "subscription_update"]
        assert len(updates) == 1


class TestDowngradeWithAddOn:
    def test_downgrade_and_add_on_on_the_next_invoice_with_catch_up_and_a_separate_contract(self, topology):
        product, support = sku("SEAT"), sku("SUPPORT")
        topology.item(product)
        topology.item(support)
        _, deal = clocked_deal(topology, [seats(product)])
        activated = topology.wait_for(f"activation:{deal}")
        assert activated["state"] == "succeeded", activated.get("exception")
        topology.stripe.advance_clock(unix("2025-07-01"))

        # From 1 July: 6 seats instead of 10, and premium support (200.00 a month) added for the rest of the term.
        booked = activated["input"]["opportunity"]["lines"][0]
        support_line = {"product_sku": support, "description": "Premium support", "quantity": 1,
                        "list_price": {"amount_minor": 20_000, "currency": "USD"},
                        "sale_price": {"amount_minor": 20_000, "currency": "USD"}, "service_start": "2025-07-01",
                        "service_end": "2025-12-31", "billing_frequency": "monthly"}
        change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-07-01",
                  "currency": "USD", "changed_lines": [
                      {"action": "update", "line_id": booked["id"],
                       "line": {**booked, "quantity": 6, "service_start": "2025-07-01"}},
                      {"action": "add", "line": support_line}]}
        started = post(topology, f"/v1/deals/{deal}/amendments?proration=create_prorations"
                                 "&revenue_treatment=cumulative_catch_up", change)
        assert started.status_code == 202, started.text
        done = topology.wait_for(started.json()["id"])
        assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]

        # Billing: the change is pending for the next invoice (a whole month: the change starts with the period).
        sub_id = activated["external_ids"]["subscription_id"]
        pending = sorted(i["amount"] for i in topology.stripe_objects("invoiceitem")
                         if i.get("subscription") == sub_id and i.get("proration"))
        assert pending == sorted([-10 * 9_000, 6 * 9_000, 20_000])
        assert not [i for i in topology.stripe_objects("invoice")  # nothing invoiced (nor posted to the ERP) yet
                    if i.get("subscription") == sub_id and i.get("billing_reason") == "subscription_update"]
        topology.stripe.advance_clock(unix("2025-08-01"))
        [august] = [i for i in topology.billing.get("/v1/invoices", params={"subscription": sub_id}).json()["data"]
                    if i["period_start"] == "2025-08-01"]
        assert august["total"]["amount_minor"] == 6 * 9_000 + 20_000 + (-10 * 9_000 + 6 * 9_000 + 20_000)

        # Revenue of the seats, by cumulative catch-up: the whole term restated at the new price, the difference for
        # January..June on one catch-up line in July.
        total = 10 * 9_000 * 12
        added = 6 * 9_000 * 6 - 10 * 9_000 * 6
        original = monthly_exact_days(total, YEAR_START, YEAR_END)
        restated = monthly_exact_days(total + added, YEAR_START, YEAR_END)
        first_half = [f"2025-0{m}" for m in range(1, 7)]
        expected = recognition({m: original[m] for m in first_half})
        expected |= recognition({m: a for m, a in restated.items() if m not in first_half})
        expected[("2025-07", "catch_up")] = sum(restated[m] for m in first_half) - sum(original[m] for m in first_half)
        contract_id = activated["external_ids"]["revenue_contract_id"]
        assert schedule_lines(topology, contract_id, f"po-{product}") == expected
        [modification] = topology.revrec.get(f"/v1/contracts/{contract_id}").json()["modifications"]
        assert modification["kind"] == "cumulative_catch_up"
        assert modification["catch_up"]["amount_minor"] == expected[("2025-07", "catch_up")] < 0

        # Support is a separate contract: 200.00 x 6 months from 1 July, by exact days.
        add_on = done["external_ids"][f"revenue_contract_id:{support}"]
        assert add_on != contract_id
        view = topology.revrec.get(f"/v1/contracts/{add_on}").json()
        assert view["contract"]["transaction_price"]["amount_minor"] == 20_000 * 6
        assert schedule_lines(topology, add_on, f"po-{support}") == recognition(
            monthly_exact_days(20_000 * 6, date(2025, 7, 1), YEAR_END))
        links = topology.process.get(f"/v1/deals/{deal}").json()["ids"]
        assert links[f"revenue_contract_id:{add_on}"] == add_on


def _activated_on_16_april(topology: Topology) -> tuple[str, dict]:
    """A 10-seat deal for 2025 activated on a Stripe test clock, which is then moved to 16 April."""
    product = sku("SEAT")
    topology.item(product)
    _, deal = clocked_deal(topology, [seats(product)])
    activated = topology.wait_for(f"activation:{deal}")
    assert activated["state"] == "succeeded", activated.get("exception")
    topology.stripe.advance_clock(unix("2025-04-16"))
    return deal, activated


class TestCorrectionOnTheSameDay:
    def test_a_second_amendment_effective_the_same_day_corrects_the_first(self, topology: Topology):
        """10 seats to 15 from 16 April, then (a correction signed the same day) 15 to 12 from 16 April. Billing
        ends on 12 seats; revenue is the unrecognised amount on 16 April plus both changes' consideration, spread
        over the remaining days: what one change to 12 seats would give, up to each change's own rounding."""
        deal, activated = _activated_on_16_april(topology)
        booked = activated["input"]["opportunity"]["lines"][0]
        product = booked["product_sku"]

        def amend(quantity: int) -> dict:
            change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-04-16",
                      "currency": "USD", "changed_lines": [{"action": "update", "line_id": booked["id"], "line": {
                          **booked, "quantity": quantity, "service_start": "2025-04-16"}}]}
            started = post(topology, f"/v1/deals/{deal}/amendments", change)
            assert started.status_code == 202, started.text
            done = topology.wait_for(started.json()["id"])
            assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]
            return done

        amend(15)
        amend(12)
        sub = topology.billing.get(f"/v1/subscriptions/{activated['external_ids']['subscription_id']}").json()
        assert [(i["product_sku"], i["quantity"]) for i in sub["items"]] == [(product, 12)]

        left = Fraction((date(2025, 5, 1) - date(2025, 4, 16)).days, (date(2025, 5, 1) - date(2025, 4, 1)).days)
        total = 10 * 9_000 * 12
        added = (half_up(15 * 9_000 * (left + 8)) - half_up(10 * 9_000 * (left + 8))
                 + half_up(12 * 9_000 * (left + 8)) - half_up(15 * 9_000 * (left + 8)))
        assert added == 153_000  # by hand: 2 seats more x 90.00 a month x 8.5 months left (half of April, May-Dec)
        contract_id = activated["external_ids"]["revenue_contract_id"]
        assert schedule_lines(topology, contract_id, f"po-{product}") == _changed_on_16_april(total, added)
        view = topology.revrec.get(f"/v1/contracts/{contract_id}").json()
        assert [m["effective_date"] for m in view["modifications"]] == ["2025-04-16", "2025-04-16"]
        assert view["contract"]["transaction_price"]["amount_minor"] == total + added


class TestCompensation:
    def test_a_change_billing_made_without_answering_is_put_back_when_the_amendment_is_cancelled(
            self, topology: Topology):
        deal, activated = _activated_on_16_april(topology)
        booked = activated["input"]["opportunity"]["lines"][0]
        sub_id = activated["external_ids"]["subscription_id"]

        def start() -> str:
            change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-04-16",
                      "currency": "USD", "changed_lines": [{"action": "update", "line_id": booked["id"],
                                                            "line": {**booked, "quantity": 15}}]}
            started = post(topology, f"/v1/deals/{deal}/amendments", change)
            assert started.status_code == 202, started.text
            return str(started.json()["id"])

        done = cancel_while_answers_are_lost(topology, sub_id, "billing_change", start, seed=5,
                                             made=lambda held: held["items"]["data"][0]["quantity"] == 15)
        assert {s["name"]: s["status"] for s in done["steps"]}["billing_change"] == "undone"
        assert topology.billing.get(f"/v1/subscriptions/{sub_id}").json()["items"][0]["quantity"] == 10

    def test_a_refused_backdated_amendment_is_cancelled_and_billing_is_put_back(self, topology: Topology):
        deal, activated = _activated_on_16_april(topology)
        booked = activated["input"]["opportunity"]["lines"][0]

        def amend(quantity: int, effective: str) -> dict:
            change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": effective,
                      "currency": "USD", "changed_lines": [{"action": "update", "line_id": booked["id"],
                                                            "line": {**booked, "quantity": quantity}}]}
            started = post(topology, f"/v1/deals/{deal}/amendments", change)
            assert started.status_code == 202, started.text
            return topology.wait_for(started.json()["id"])

        assert amend(15, "2025-04-16")["state"] == "succeeded"
        # A second change dated before the first one: billing takes it, revrec refuses to go back before 16 April.
        refused = amend(20, "2025-04-10")
        assert (refused["state"], refused["exception"]["step"]) == ("parked", "revenue"), refused.get("exception")
        sub_id = activated["external_ids"]["subscription_id"]
        assert topology.billing.get(f"/v1/subscriptions/{sub_id}").json()["items"][0]["quantity"] == 20

        assert post(topology, f"/v1/workflows/{refused['id']}/cancel").status_code == 202
        undone = topology.wait_for(refused["id"], lambda w: w["state"] in ("compensated", "succeeded") or any(
            h["event"] == "undo_failed" for h in w["history"]))
        assert (undone["state"], undone["business_status"]) == ("compensated", "cancelled"), undone.get("exception")
        assert {s["name"]: s["status"] for s in undone["steps"]}["billing_change"] == "undone"
        assert topology.billing.get(f"/v1/subscriptions/{sub_id}").json()["items"][0]["quantity"] == 15

        # The change's invoice and the reversal's net to nothing, in billing and in the ERP.
        both = [i for i in topology.stripe_objects("invoice") if i.get("subscription") == sub_id
                and i.get("subscription_proration_date") == unix("2025-04-10")]
        left = Fraction((date(2025, 5, 1) - date(2025, 4, 10)).days, 30)
        change = half_up(20 * 9_000 * left) - half_up(15 * 9_000 * left)
        assert sorted(i["total"] for i in both) == [-change, change]
        charged = next(i for i in both if i["total"] > 0)
        sync = topology.wait_for(f"invoice_sync:{charged['id']}:{charged['status']}")
        assert sync["state"] == "succeeded", sync.get("exception")
        erp_total = topology.erp.get(f"/v1/invoices/{sync['external_ids']['erp_invoice_id']}").json()["total"]
        memos = [m for m in topology.netsuite.records("creditMemo") if f"({deal})" in (m["fields"].get("memo") or "")]
        assert erp_total["amount_minor"] == change
        assert [Decimal(str(m["fields"]["total"])) * 100 for m in memos] == [change]


class TestRefusals:
    def test_an_amendment_of_a_deal_revflow_never_activated_waits_for_integration(self, topology: Topology):
        deal = f"006{uuid.uuid4().hex[:12]}"
        change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-04-16",
                  "currency": "USD", "changed_lines": [{"action": "remove", "line_id": "00k000000000001"}]}
        by_hand = post(topology, f"/v1/deals/{deal}/amendments", change)
        assert by_hand.status_code == 404 and by_hand.headers["content-type"].startswith("application/problem+json")
        # The CRM's event starts it all the same (as the trigger does): it stops for integration, owning the fix.
        started = post(topology, "/v1/workflows", {"kind": "amendment", "subject": deal, "input": {"amendment": change},
                                                   "id": f"amendment:{change['id']}"})
        assert started.status_code == 201, started.text
        parked = topology.wait_for(started.json()["id"])
        assert (parked["state"], parked["exception"]["code"]) == ("parked", "deal_not_activated")
        assert parked["exception"]["owner"] == "integration"

    def test_an_amendment_without_an_id_is_named_by_its_content(self, topology: Topology):
        deal = f"006NOID{uuid.uuid4().hex[:8].upper()}"
        # An activation the deal cannot pass (it parks in validate) makes the deal known; the amendments queue.
        queued = post(topology, "/v1/workflows", {"kind": "activation", "subject": deal,
                                                  "input": {"opportunity": {}, "customer": {}}})
        assert queued.status_code == 201, queued.text
        change = {"opportunity_id": deal, "effective_date": "2025-04-16", "currency": "USD",
                  "changed_lines": [{"action": "remove", "line_id": "00k000000000001"}]}
        first, again = (post(topology, f"/v1/deals/{deal}/amendments", change) for _ in range(2))
        assert first.status_code == again.status_code == 202, first.text
        assert first.json()["id"] == again.json()["id"] and first.json()["id"].startswith("amendment:am-")
        assert first.json()["input"]["amendment"]["id"] == first.json()["id"].removeprefix("amendment:")
        other = post(topology, f"/v1/deals/{deal}/amendments", {**change, "effective_date": "2025-04-17"})
        assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
        prorated = post(topology, f"/v1/deals/{deal}/amendments?proration=create_prorations", change)
        assert prorated.status_code == 202 and prorated.json()["id"] not in (first.json()["id"], other.json()["id"])
        bad = post(topology, f"/v1/deals/{deal}/amendments", {**change, "id": "no spaces"})
        assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["id"]

    def test_an_amendment_of_another_deal_is_a_validation_problem(self, topology: Topology):
        change = {"id": "AMD-1", "opportunity_id": "006OTHER", "effective_date": "2025-04-16", "currency": "USD",
                  "changed_lines": [{"action": "remove", "line_id": "00k000000000001"}]}
        response = post(topology, "/v1/deals/006THIS/amendments", change)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == ["opportunity_id"]
