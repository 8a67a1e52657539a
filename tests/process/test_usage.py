"""Usage end to end: a month of usage records reaches billing as meter events and revrec as usage revenue.

A deal with a platform line and a usage-priced API line (4 cents a call) is won in the CRM sandbox and
activated. The usage collector then reports March 2025 a day at a time, in two overlapping batches and one
resent record: Stripe holds one meter event per record with the record's quantity, and revrec recognises
quantity x unit price in March, each record once. Expected totals are computed here from the records sent.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.process.topology import Topology

UNIT_PRICE = 4


def _sku(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6].upper()}"


def _report(topology: Topology, body: object, status: int = 202) -> dict:
    response = topology.process.post("/v1/usage", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == status, response.text
    return response.json()


def _activated_deal(topology: Topology, usage_sku: str) -> dict:
    platform = _sku("PLAT")
    topology.item(platform)
    topology.item(usage_sku)
    deal = topology.win_deal([
        {"sku": platform, "quantity": 5, "list": 10_000, "sale": 9_000, "start": "2025-01-01", "end": "2025-12-31",
         "frequency": "monthly"},
        {"sku": usage_sku, "quantity": 1, "list": 5, "sale": UNIT_PRICE, "start": "2025-01-01", "end": "2025-12-31",
         "frequency": "usage", "description": "API calls"}])
    done = topology.wait_for(f"activation:{deal}")
    assert done["state"] == "succeeded", done.get("exception")
    return done


def _record(deal: str, sku: str, day: int) -> dict:
    return {"id": f"{deal}-{sku}-2025-03-{day:02d}", "opportunity_id": deal, "sku": sku,
            "quantity": 1_000 + 37 * day, "occurred_at": f"2025-03-{day:02d}T12:00:00Z"}


class TestMonthOfUsage:
    def test_each_record_billed_and_recognised_once(self, topology: Topology):
        sku = _sku("API-CALLS")
        activation = _activated_deal(topology, sku)
        deal = activation["subject"]
        records = [_record(deal, sku, day) for day in range(1, 32)]
        first = _report(topology, records[:20])
        second = _report(topology, records[14:])  # days 15 to 20 again: the collector resent them
        resent = _report(topology, records[3])  # one record on its own, reported a third time
        assert (first["created"], first["repeated"]) == (20, 0)
        assert (second["created"], second["repeated"]) == (11, 6)
        assert (resent["created"], resent["repeated"]) == (0, 1)
        assert resent["data"][0]["workflow_id"] == first["data"][3]["workflow_id"]
        for accepted in first["data"] + second["data"]:
            done = topology.wait_for(accepted["workflow_id"])
            assert done["state"] == "succeeded", (accepted, done.get("exception"))

        # Stripe: one meter event per record, for this customer, carrying the record's quantity.
        customer = activation["external_ids"]["billing_customer_id"]
        events = [e for e in topology.stripe_objects("meter_event") if customer in e["payload"].values()]
        assert sorted(e["identifier"] for e in events) == sorted(r["id"] for r in records)
        quantities = {e["identifier"]: int(next(v for k, v in e["payload"].items() if v != customer))
                      for e in events}
        assert sum(quantities.values()) == sum(r["quantity"] for r in records)

        # Revrec: March usage revenue is every call at 4 cents, once; nothing elsewhere.
        view = topology.revrec.get(f"/v1/contracts/{activation['external_ids']['revenue_contract_id']}").json()
        [schedule] = [s for s in view["schedules"] if s["obligation_id"] == f"po-{sku}"]
        revenue = {line["accounting_period"]: line["amount"]["amount_minor"] for line in schedule["lines"]
                   if line["amount"]["amount_minor"]}
        assert revenue == {"2025-03": UNIT_PRICE * sum(r["quantity"] for r in records)}
        measured = [m for m in view["measurements"] if m["obligation_id"] == f"po-{sku}"]
        assert len(measured) == len(records)

    def test_a_record_id_reported_again_with_other_values_is_refused(self, topology: Topology):
        sku = _sku("API-CALLS")
        deal = _activated_deal(topology, sku)["subject"]
        record = _record(deal, sku, 1)
        accepted = _report(topology, record)
        changed = {**record, "quantity": record["quantity"] + 1}
        _report(topology, changed, status=409)
        _report(topology, [record, changed], status=400)  # the same id twice in one batch, with two quantities
        done = topology.wait_for(accepted["data"][0]["workflow_id"])
        assert done["state"] == "succeeded", done.get("exception")
        assert done["input"]["quantity"] == record["quantity"]
        events = [e for e in topology.stripe_objects("meter_event") if e["identifier"] == record["id"]]
        assert len(events) == 1


class TestRefusedUsage:
    def test_usage_the_deal_cannot_bill_ends_refused_writes_nothing_and_holds_nothing(self, topology: Topology):
        """Units of the platform (not a usage line), and API calls of 2024 (before the line's 2025 term), are each
        refused before anything is written; a good record reported after them is billed and recognised."""
        sku = _sku("API-CALLS")
        activation = _activated_deal(topology, sku)
        deal = activation["subject"]
        platform = next(line["product_sku"] for line in activation["input"]["opportunity"]["lines"]
                    if line["product_sku"] != sku)
        wrong_product = {**_record(deal, platform, 2), "id": f"{deal}-platform"}
        too_early = {**_record(deal, sku, 3), "id": f"{deal}-early", "occurred_at": "2024-12-31T12:00:00Z"}
        good = _record(deal, sku, 4)
        started = _report(topology, [wrong_product, too_early])["data"]
        expected = {wrong_product["id"]: "sku_not_metered: ", too_early["id"]: "usage_before_term: "}
        for row in started:
            ended = topology.wait_for(row["workflow_id"])
            assert (ended["state"], ended["business_status"]) == ("compensated", "cancelled"), (ended["input"], [
                (s["name"], s.get("output")) for s in ended["steps"]])
            [refused] = [h for h in ended["history"] if h["event"] == "refused"]
            assert refused["detail"].startswith(expected[ended["input"]["id"]]), refused
        done = topology.wait_for(_report(topology, good)["data"][0]["workflow_id"])
        assert done["state"] == "succeeded", done.get("exception")

        # Finance ops lists what was refused, with the reason, apart from what went through or was cancelled.
        def listed(refused: str) -> dict[str, dict]:
            page = topology.process.get("/v1/workflows", params={"kind": "usage", "subject": deal,
                                                                 "refused": refused}).json()
            return {row["id"]: row for row in page["data"]}
        refused_rows = listed("true")
        assert set(refused_rows) == {row["workflow_id"] for row in started}
        assert {row["refusal"]["code"] for row in refused_rows.values()} == {"sku_not_metered", "usage_before_term"}
        assert all(row["refusal"]["owner"] and row["refusal"]["reason"] for row in refused_rows.values())
        assert done["id"] in listed("false") and done["id"] not in refused_rows and done["refusal"] is None
        identifiers = {e["identifier"] for e in topology.stripe_objects("meter_event")}
        assert good["id"] in identifiers and not {wrong_product["id"], too_early["id"]} & identifiers

    def test_usage_of_a_deal_revflow_never_saw_is_refused_and_starts_nothing(self, topology: Topology):
        # Its workflow would stand first in that deal's queue and hold the deal's activation when it came.
        sku = _sku("API-CALLS")
        known = _activated_deal(topology, sku)["subject"]
        stranger = f"006NEVER{uuid.uuid4().hex[:8].upper()}"
        good, unknown = _record(known, sku, 2), _record(stranger, sku, 2)

        alone = _report(topology, unknown, status=409)
        assert (alone["code"], [e["field"] for e in alone["errors"]]) == ("deal_not_known", ["opportunity_id"])
        assert stranger in alone["detail"]
        _report(topology, [good, unknown], status=409)  # one record of the batch cannot start: none does
        for record in (good, unknown):
            assert topology.process.get(f"/v1/workflows/usage:{record['id']}").status_code == 404

        accepted = _report(topology, good)
        assert accepted["created"] == 1
        assert topology.wait_for(accepted["data"][0]["workflow_id"])["state"] == "succeeded"


class TestPayAsYouGo:
    def test_a_deal_of_usage_only_activates_without_an_order_and_bills_its_usage(self, topology: Topology):
        """Nothing is booked up front, so the ERP gets no sales order (it would have no line); the subscription
        meters the calls and revrec recognises them as they are reported."""
        sku = _sku("API-CALLS")
        topology.item(sku)
        deal = topology.win_deal([{"sku": sku, "quantity": 1, "list": 5, "sale": UNIT_PRICE, "start": "2025-01-01",
                                   "end": "2025-12-31", "frequency": "usage", "description": "API calls"}],
                                 name="Pay As You Go Ltd")
        done = topology.wait_for(f"activation:{deal}")
        assert (done["state"], done["business_status"]) == ("succeeded", "completed"), done.get("exception")
        assert "sales_order_id" not in done["external_ids"]
        customer = next(c for c in topology.netsuite.records("customer")
                        if c["fields"].get("externalId") == done["input"]["customer"]["id"])
        assert not [o for o in topology.netsuite.records("salesOrder")
                    if o["fields"].get("entity", {}).get("id") == customer["id"]]
        [sub] = [s for s in topology.stripe_objects("subscription")
                 if s["customer"] == done["external_ids"]["billing_customer_id"]]
        assert [item["price"]["recurring"]["usage_type"] for item in sub["items"]["data"]] == ["metered"]

        records = [_record(deal, sku, day) for day in (2, 9, 16)]
        for accepted in _report(topology, records)["data"]:
            assert topology.wait_for(accepted["workflow_id"])["state"] == "succeeded"
        view = topology.revrec.get(f"/v1/contracts/{done['external_ids']['revenue_contract_id']}").json()
        [schedule] = view["schedules"]
        revenue = {line["accounting_period"]: line["amount"]["amount_minor"] for line in schedule["lines"]
                   if line["amount"]["amount_minor"]}
        assert revenue == {"2025-03": UNIT_PRICE * sum(r["quantity"] for r in records)}


def _platform_with_metered_calls(topology: Topology) -> tuple[dict, str, str]:
    """A 2025 deal of 5 platform seats (monthly) and API calls at 4 cents (usage), its customer on a Stripe test
    clock from 1 January, activated: the activation, the deal and the calls' SKU."""
    from tests.process.test_amendment import clocked_deal

    platform, calls = _sku("PLAT"), _sku("API-CALLS")
    topology.item(platform)
    topology.item(calls)
    _, deal = clocked_deal(topology, [
        {"sku": platform, "quantity": 5, "list": 10_000, "sale": 9_000, "start": "2025-01-01",
         "end": "2025-12-31", "frequency": "monthly"},
        {"sku": calls, "quantity": 1, "list": 5, "sale": UNIT_PRICE, "start": "2025-01-01", "end": "2025-12-31",
         "frequency": "usage", "description": "API calls"}])
    activation = topology.wait_for(f"activation:{deal}")
    assert activation["state"] == "succeeded", activation.get("exception")
    return activation, deal, calls


def _used(topology: Topology, deal: str, sku: str, quantity: int, day: str) -> None:
    """Report ``quantity`` units of ``sku`` used at noon on ``day``; its workflow must complete."""
    record = {"id": f"{deal}-{day}", "opportunity_id": deal, "sku": sku, "quantity": quantity,
              "occurred_at": f"{day}T12:00:00Z"}
    done = topology.wait_for(_report(topology, record)["data"][0]["workflow_id"])
    assert done["state"] == "succeeded", done.get("exception")


def _repriced(topology: Topology, activation: dict, sku: str, cents: int, effective: str) -> str:
    """Amend the activated deal's usage line of ``sku`` to ``cents`` a unit from ``effective``; the workflow id."""
    from tests.process.test_amendment import post

    deal = activation["input"]["opportunity"]["id"]
    usage_line = next(line for line in activation["input"]["opportunity"]["lines"] if line["product_sku"] == sku)
    change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": effective,
              "currency": "USD", "reason": f"usage repriced from {effective}",
              "changed_lines": [{"action": "update", "line_id": usage_line["id"],
                                 "line": {**usage_line, "sale_price": {"amount_minor": cents, "currency": "USD"},
                                          "service_start": effective}}]}
    started = post(topology, f"/v1/deals/{deal}/amendments", change)
    assert started.status_code == 202, started.text
    return started.json()["id"]


def _april_billed_and_recognised(topology: Topology, activation: dict, calls: str, *, switch: str) -> None:
    """May's invoice bills April's 1,000 calls before ``switch`` at 4 cents and 600 from it at 3 (58.00), and revrec
    recognises the same 58.00 in April."""
    from tests.process.test_amendment import schedule_lines

    sub_id = activation["external_ids"]["subscription_id"]
    invoices = topology.billing.get("/v1/invoices", params={"subscription": sub_id}).json()["data"]
    may = next(i for i in invoices if (i.get("issued_on") or "") == "2025-05-01")
    usage = sorted((line["period_start"], line["period_end"], line["amount"]["amount_minor"])
                   for line in may["lines"] if line.get("product_sku") == calls)
    day_before = (date.fromisoformat(switch) - timedelta(days=1)).isoformat()
    assert usage == [("2025-04-01", day_before, 1_000 * UNIT_PRICE), (switch, "2025-04-30", 600 * 3)]
    contract_id = activation["external_ids"]["revenue_contract_id"]
    assert schedule_lines(topology, contract_id, f"po-{calls}") == {("2025-04", "recognition"): 5_800}


class TestUsagePriceAmended:
    def test_a_new_usage_price_bills_and_recognises_usage_from_its_effective_date(self, topology: Topology):
        """API calls at 4 cents, amended to 3 cents from 16 April 2025 (the customer sits on a Stripe test clock
        from 1 January). 1,000 calls on 10 April (before) and 600 on 20 April (after): May's first invoice bills
        1,000 x 4 = 40.00 and 600 x 3 = 18.00 for April's usage, and revrec recognises the same 58.00 in April.
        Before, billing charged the new price while revenue kept the old one (64.00)."""
        from tests.process.test_amendment import unix

        activation, deal, calls = _platform_with_metered_calls(topology)
        topology.stripe.advance_clock(unix("2025-04-16"))
        _used(topology, deal, calls, 1_000, "2025-04-10")

        amended = topology.wait_for(_repriced(topology, activation, calls, 3, "2025-04-16"))
        assert amended["state"] == "succeeded", amended.get("exception") or amended["history"][-3:]

        topology.stripe.advance_clock(unix("2025-04-21"))
        _used(topology, deal, calls, 600, "2025-04-20")
        topology.stripe.advance_clock(unix("2025-05-01") + 60)

        _april_billed_and_recognised(topology, activation, calls, switch="2025-04-16")
        view = topology.revrec.get(f"/v1/contracts/{activation['external_ids']['revenue_contract_id']}").json()
        [modification] = view["modifications"]
        assert (modification["obligation_id"], modification["effective_date"], modification["unit_price_minor"]) == (
            f"po-{calls}", "2025-04-16", "3")

    def test_a_new_usage_price_dated_ahead_waits_for_its_day_and_lets_earlier_usage_pass(self, topology: Topology):
        """API calls at 4 cents, amended on 16 April to 3 cents from 20 April. Stripe would switch the price at once,
        so the amendment waits for 20 April; 1,000 calls of 17 April, reported on the 18th while it waits, do not
        queue behind it (they belong to the old price) and are billed at 4 cents; 600 calls of the 25th at 3. May's
        invoice bills 40.00 + 18.00 for April, and revrec recognises the same 58.00. Before, the price switched on
        the 16th and the 17th's calls were billed at 3 cents (30.00), 10.00 short of the contract."""
        from tests.process.test_amendment import unix

        activation, deal, calls = _platform_with_metered_calls(topology)
        topology.stripe.advance_clock(unix("2025-04-16"))
        amendment_id = _repriced(topology, activation, calls, 3, "2025-04-20")
        waiting = topology.wait_for(amendment_id, lambda w: any(
            h["event"] == "waiting" and h["step"] == "billing_change" for h in w["history"]))
        assert waiting["state"] == "waiting", waiting["state"]

        topology.stripe.advance_clock(unix("2025-04-18"))
        _used(topology, deal, calls, 1_000, "2025-04-17")
        assert topology.wait_for(amendment_id, lambda w: True)["state"] == "waiting"  # it ran ahead of the amendment

        topology.stripe.advance_clock(unix("2025-04-20"))
        amended = topology.wait_for(amendment_id, timeout=120)
        assert amended["state"] == "succeeded", amended.get("exception") or amended["history"][-3:]
        topology.stripe.advance_clock(unix("2025-04-26"))
        _used(topology, deal, calls, 600, "2025-04-25")
        topology.stripe.advance_clock(unix("2025-05-01") + 60)

        _april_billed_and_recognised(topology, activation, calls, switch="2025-04-20")
