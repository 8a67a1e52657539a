"""The system-of-record map: declared, validated at start-up, and enforced when a follower's value drifts.

The committed map gives every canonical object one owner; the process API refuses to start on a map that gives an
object two owners or none, naming the object. During an amendment, a price someone changed directly in billing
(Stripe), or seats added there, are not what the CRM booked: the amendment stops before billing, the ERP or
revrec is written, and a drift exception owned by the team the map names shows both values and the fix.
"""

from __future__ import annotations

import uuid

import msgspec
import pytest

from contracts.system_of_record import CANONICAL_OBJECTS, SystemOfRecordError, load_map, parse_map
from services.process.quote_to_cash.app import create_app
from services.process.quote_to_cash.settings import QuoteToCashSettings
from tests.process.test_amendment import clocked_deal, post, seats, sku
from tests.process.topology import Topology


def committed() -> dict:
    return msgspec.json.decode(msgspec.json.encode(load_map()))


class TestStartupValidation:
    def test_the_committed_map_gives_every_canonical_object_exactly_one_owner(self):
        objects = [entry["object"] for entry in committed()["objects"]]
        assert sorted(objects) == sorted(CANONICAL_OBJECTS)

    def test_an_object_with_two_owners_refuses_start_and_names_the_object(self):
        raw = committed()
        raw["objects"].append({"object": "invoice", "owner": "erp", "team": "finance_ops"})
        with pytest.raises(SystemOfRecordError) as refused:
            create_app(QuoteToCashSettings(), system_of_record=parse_map(raw))
        assert "object 'invoice' has 2 owners (billing, erp)" in str(refused.value)

    def test_an_object_without_an_owner_refuses_start_and_names_the_object(self, tmp_path):
        raw = committed()
        raw["objects"] = [e for e in raw["objects"] if e["object"] != "revenue_schedule"]
        path = tmp_path / "sor.yaml"
        path.write_text(msgspec.yaml.encode(raw).decode())
        with pytest.raises(SystemOfRecordError, match="object 'revenue_schedule' has no owner"):
            create_app(QuoteToCashSettings(), system_of_record=str(path))

    def test_an_unknown_system_is_refused(self):
        raw = committed()
        raw["objects"][0]["owner"] = "spreadsheet"
        with pytest.raises(SystemOfRecordError, match="'customer' is owned by unknown system 'spreadsheet'"):
            create_app(QuoteToCashSettings(), system_of_record=parse_map(raw))

    def test_the_api_serves_the_map_it_started_with(self, topology: Topology):
        served = topology.process.get("/v1/system-of-record")
        assert served.status_code == 200, served.text
        assert served.json() == committed()
        subscription = next(e for e in served.json()["objects"] if e["object"] == "subscription")
        assert (subscription["owner"], subscription["fields"]["unit_price"]) == (
            "billing", {"owner": "crm", "team": "sales_ops"})


def stripe_price_change(topology: Topology, subscription_id: str, unit_amount: int) -> None:
    """Someone changes the seat price straight in Stripe: a copy of the item's price at another amount, swapped in."""
    http = topology.stripe.http
    sub = http.get(f"/v1/subscriptions/{subscription_id}").raise_for_status().json()
    item = sub["items"]["data"][0]
    copied = {f"metadata[{k}]": v for k, v in (item["price"].get("metadata") or {}).items()}
    price = http.post("/v1/prices", data={"product": item["price"]["product"], "currency": "usd",
                                          "unit_amount": unit_amount, "recurring[interval]": "month", **copied})
    price.raise_for_status()
    http.post(f"/v1/subscriptions/{subscription_id}", data={
        "items[0][id]": item["id"], "items[0][price]": price.json()["id"], "proration_behavior": "none",
    }).raise_for_status()


def stripe_quantity_change(topology: Topology, subscription_id: str, quantity: int) -> None:
    """Someone adds seats straight in Stripe, without a CRM amendment."""
    http = topology.stripe.http
    sub = http.get(f"/v1/subscriptions/{subscription_id}").raise_for_status().json()
    item = sub["items"]["data"][0]
    http.post(f"/v1/subscriptions/{subscription_id}", data={
        "items[0][id]": item["id"], "items[0][quantity]": quantity, "proration_behavior": "none",
    }).raise_for_status()


def revenue_terms(topology: Topology, contract_id: str) -> dict:
    """The revenue contract without its billing documents (payments land there on their own schedule)."""
    view = topology.revrec.get(f"/v1/contracts/{contract_id}").json()
    return {k: v for k, v in view.items() if k != "billings"}


class TestDrift:
    def test_a_price_changed_in_billing_is_not_propagated_and_parks_as_drift_owned_by_sales_ops(
            self, topology: Topology):
        product = sku("SEAT")
        topology.item(product)
        _, deal = clocked_deal(topology, [seats(product)])
        activated = topology.wait_for(f"activation:{deal}")
        assert activated["state"] == "succeeded", activated.get("exception")
        sub_id = activated["external_ids"]["subscription_id"]
        contract_id = activated["external_ids"]["revenue_contract_id"]
        # The activation's own invoices reach the ERP first (by their syncs), so what follows is the amendment's doing.
        for invoice in topology.billing.get("/v1/invoices", params={"subscription": sub_id}).json()["data"]:
            sync = topology.wait_for(topology.workflow_id_of_invoice(invoice["id"]))
            assert sync["state"] == "succeeded", sync.get("exception")
        revenue_before = revenue_terms(topology, contract_id)
        erp_invoices_before = topology.netsuite.records("invoice")

        # Someone sets the seat price to 70.00 in Stripe; the CRM booked 90.00.
        stripe_price_change(topology, sub_id, 7_000)
        booked = activated["input"]["opportunity"]["lines"][0]
        change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-01-16",
                  "currency": "USD", "reason": "Upgrade to 12 seats",
                  "changed_lines": [{"action": "update", "line_id": booked["id"],
                                     "line": {**booked, "quantity": 12, "service_start": "2025-01-16"}}]}
        started = post(topology, f"/v1/deals/{deal}/amendments", change)
        assert started.status_code == 202, started.text
        parked = topology.wait_for(started.json()["id"])

        assert parked["state"] == "parked", parked["history"][-3:]
        exception = parked["exception"]
        assert (exception["code"], exception["owner"], exception["step"]) == ("drift", "sales_ops", "plan"), exception
        assert f"{product} unit price: crm (owner) books 9000, billing holds 7000" in exception["reason"]
        assert "put the crm's value back" in exception["fix"] and "unit price" in exception["fix"]
        listed = topology.process.get("/v1/exceptions", params={"owner": "sales_ops"}).json()["data"]
        assert any(e["workflow_id"] == parked["id"] and e["code"] == "drift" for e in listed)

        # Nothing followed the billing-side price: billing not amended, the ERP and revrec untouched.
        sub = topology.billing.get(f"/v1/subscriptions/{sub_id}").json()
        assert [(i["quantity"], i["unit_amount"]["amount_minor"]) for i in sub["items"]] == [(10, 7_000)]
        assert revenue_terms(topology, contract_id) == revenue_before
        assert topology.netsuite.records("invoice") == erp_invoices_before
        assert not [s for s in parked["steps"] if s["name"] in ("billing_change", "erp_adjustment", "revenue")
                    and s["status"] != "pending"]

    def test_an_amendment_where_billing_holds_the_crm_price_is_not_drift(self, topology: Topology):
        product = sku("SEAT")
        topology.item(product)
        _, deal = clocked_deal(topology, [seats(product)])
        activated = topology.wait_for(f"activation:{deal}")
        assert activated["state"] == "succeeded", activated.get("exception")
        booked = activated["input"]["opportunity"]["lines"][0]
        change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-01-16",
                  "currency": "USD", "reason": "Reprice to 80.00",
                  "changed_lines": [{"action": "update", "line_id": booked["id"], "line": {
                      **booked, "sale_price": {"amount_minor": 8_000, "currency": "USD"},
                      "service_start": "2025-01-16"}}]}
        started = post(topology, f"/v1/deals/{deal}/amendments", change)
        done = topology.wait_for(started.json()["id"])
        assert done["state"] == "succeeded", done.get("exception")
        sub = topology.billing.get(f"/v1/subscriptions/{activated['external_ids']['subscription_id']}").json()
        assert [i["unit_amount"]["amount_minor"] for i in sub["items"]] == [8_000]

    def test_seats_added_in_billing_are_quantity_drift_and_nothing_follows(self, topology: Topology):
        product = sku("SEAT")
        topology.item(product)
        _, deal = clocked_deal(topology, [seats(product)])
        activated = topology.wait_for(f"activation:{deal}")
        assert activated["state"] == "succeeded", activated.get("exception")
        sub_id = activated["external_ids"]["subscription_id"]
        contract_id = activated["external_ids"]["revenue_contract_id"]
        for invoice in topology.billing.get("/v1/invoices", params={"subscription": sub_id}).json()["data"]:
            assert topology.wait_for(topology.workflow_id_of_invoice(invoice["id"]))["state"] == "succeeded"
        revenue_before = revenue_terms(topology, contract_id)
        erp_invoices_before = topology.netsuite.records("invoice")
        booked = activated["input"]["opportunity"]["lines"][0]

        stripe_quantity_change(topology, sub_id, booked["quantity"] + 4)  # the CRM booked 10 seats
        change = {"id": f"AMD-{uuid.uuid4().hex[:8]}", "opportunity_id": deal, "effective_date": "2025-01-16",
                  "currency": "USD", "reason": "Reprice to 80.00",
                  "changed_lines": [{"action": "update", "line_id": booked["id"], "line": {
                      **booked, "sale_price": {"amount_minor": 8_000, "currency": "USD"},
                      "service_start": "2025-01-16"}}]}
        parked = topology.wait_for(post(topology, f"/v1/deals/{deal}/amendments", change).json()["id"])

        assert parked["state"] == "parked", parked["history"][-3:]
        exception = parked["exception"]
        assert (exception["code"], exception["owner"], exception["step"]) == ("drift", "sales_ops", "plan"), exception
        expected = f"{product} quantity: crm (owner) books {booked['quantity']}, billing holds {booked['quantity'] + 4}"
        assert expected in exception["reason"], exception["reason"]
        assert "unit price" not in exception["reason"]  # the price billing holds is still the CRM's
        sub = topology.billing.get(f"/v1/subscriptions/{sub_id}").json()
        assert [(i["quantity"], i["unit_amount"]["amount_minor"]) for i in sub["items"]] == [
            (booked["quantity"] + 4, booked["sale_price"]["amount_minor"])]
        assert revenue_terms(topology, contract_id) == revenue_before
        assert topology.netsuite.records("invoice") == erp_invoices_before
