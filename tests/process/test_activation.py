"""Activation end to end: a deal won in the CRM sandbox reaches every system, once, with the right numbers.

Process -> system APIs -> sandboxes over real HTTP with a real Redis. Expected revenue is computed here by
hand from the deal (relative-SSP allocation, actual days, largest remainder), never read from revrec.
"""

from __future__ import annotations

import uuid
from datetime import date
from fractions import Fraction

from tests.process.figures import largest_remainder, monthly_exact_days
from tests.process.topology import Topology

ANNUAL = {"sku": "PLAT-ANNUAL", "quantity": 10, "list": 10_000, "sale": 9_000, "start": "2025-01-01",
          "end": "2025-12-31", "frequency": "monthly", "description": "Platform, annual term billed monthly"}
SETUP = {"sku": "SETUP", "quantity": 1, "list": 200_000, "sale": 150_000, "start": "2025-01-01",
         "end": "2025-01-01", "frequency": "one_time", "description": "Implementation"}
USAGE = {"sku": "API-CALLS", "quantity": 1, "list": 5, "sale": 4, "start": "2025-01-01", "end": "2025-12-31",
         "frequency": "usage", "description": "API calls"}


def schedule_of(view: dict, obligation: str) -> dict[str, int]:
    schedule = next(s for s in view["schedules"] if s["obligation_id"] == obligation)
    return {line["accounting_period"]: line["amount"]["amount_minor"] for line in schedule["lines"]}


class TestActivation:
    def test_three_line_deal_reaches_every_system_once(self, topology: Topology):
        for sku in ("PLAT-ANNUAL", "SETUP", "API-CALLS"):
            topology.item(sku)
        deal = topology.win_deal([ANNUAL, SETUP, USAGE])
        topology.salesforce.flush_push()
        topology.pull()  # push and pull both announce the close: still one workflow
        done = topology.wait_for(f"activation:{deal}")
        assert (done["state"], done["business_status"]) == ("succeeded", "completed"), done.get("exception")
        assert [s["status"] for s in done["steps"]] == ["done"] * len(done["steps"])

        # One customer, subscription and sales order at the vendors.
        customer_key = done["input"]["customer"]["id"]
        customers = [c for c in topology.netsuite.records("customer") if c["fields"].get("externalId") == customer_key]
        assert len(customers) == 1, customers
        ids = done["external_ids"]
        subs = [s for s in topology.stripe_objects("subscription") if s["customer"] == ids["billing_customer_id"]]
        assert [s["id"] for s in subs] == [ids["subscription_id"]]
        orders = [o for o in topology.netsuite.records("salesOrder") if o["fields"].get("entity", {}).get("id")
                  == customers[0]["id"]]
        assert [o["id"] for o in orders] == [ids["sales_order_id"]]

        # The sales order books 10 seats x 90.00 x 12 months and the 1,500.00 setup; usage is billed in arrears.
        order = topology.erp.get(f"/v1/sales-orders/{done['external_ids']['sales_order_id']}").json()
        assert order["total"] == {"amount_minor": 10 * 9_000 * 12 + 150_000, "currency": "USD"}

        # Revenue: 12,300.00 allocated by relative SSP (12,000.00 : 2,000.00 : 0), schedules by actual days.
        contract_id = done["external_ids"]["revenue_contract_id"]
        view = topology.revrec.get(f"/v1/contracts/{contract_id}").json()
        annual, setup = largest_remainder(1_230_000, [Fraction(1_200_000), Fraction(200_000)])
        allocations = {a["obligation_id"]: a["amount"]["amount_minor"] for a in view["contract"]["allocations"]}
        assert allocations == {"po-PLAT-ANNUAL": annual, "po-SETUP": setup, "po-API-CALLS": 0}
        assert schedule_of(view, "po-PLAT-ANNUAL") == monthly_exact_days(annual, date(2025, 1, 1), date(2025, 12, 31))
        assert schedule_of(view, "po-SETUP") == {"2025-01": setup}

        # The first invoice reached the ERP and revrec, and sales sees the finance status in Salesforce.
        [first] = done["steps"][-2]["output"]["invoices"]
        sync = topology.wait_for(topology.workflow_id_of_invoice(first))
        assert sync["state"] == "succeeded", sync.get("exception")
        erp_invoices = [i for i in topology.netsuite.records("invoice")]
        assert sum(1 for i in erp_invoices if i["id"] == sync["external_ids"]["erp_invoice_id"]) == 1
        billed = topology.revrec.get(f"/v1/contracts/{contract_id}").json()["billings"]
        assert [b["id"] for b in billed if b["kind"] == "invoice"] == [first]
        view = topology.process.get(f"/v1/deals/{deal}").json()
        assert view["business_status"] == "completed" and view["ids"]["subscription_id"] == ids["subscription_id"]
        assert view["revenue_contract"]["contract"]["id"] == contract_id
        assert first in [i["id"] for i in view["invoices"]]
        assert {w["kind"] for w in view["workflows"]} == {"activation", "invoice_sync"}
        finance = topology.salesforce.finance(deal)
        assert finance["subscription_id"] == done["external_ids"]["subscription_id"]
        assert finance["invoice_status"] in ("open", "paid")


class TestPriceAboveList:
    def test_a_line_sold_above_list_activates_and_takes_its_share_of_the_premium(self, topology: Topology):
        """Seats at 90.00 against a list of 100.00 and support uplifted to 250.00 against 200.00 (a renewal
        price, say). 12 x (10 x 90.00 + 250.00) = 13,800.00 over SSPs of 12,000.00 and 2,400.00 (14,400.00):
        relative SSP gives the seats 11,500.00 and support 2,300.00, each spread over 2025 by exact days."""
        seats, support = f"SEAT-{uuid.uuid4().hex[:6].upper()}", f"SUPPORT-{uuid.uuid4().hex[:6].upper()}"
        for sku in (seats, support):
            topology.item(sku)
        deal = topology.win_deal([
            {**ANNUAL, "sku": seats},
            {"sku": support, "quantity": 1, "list": 20_000, "sale": 25_000, "start": "2025-01-01",
             "end": "2025-12-31", "frequency": "monthly", "description": "Premium support"}])
        done = topology.wait_for(f"activation:{deal}")
        assert done["state"] == "succeeded", done.get("exception")
        sub = topology.billing.get(f"/v1/subscriptions/{done['external_ids']['subscription_id']}").json()
        assert sorted((i["product_sku"], i["unit_amount"]["amount_minor"]) for i in sub["items"]) == sorted(
            [(seats, 9_000), (support, 25_000)])
        view = topology.revrec.get(f"/v1/contracts/{done['external_ids']['revenue_contract_id']}").json()
        assert view["contract"]["transaction_price"]["amount_minor"] == 1_380_000
        year = (date(2025, 1, 1), date(2025, 12, 31))
        assert schedule_of(view, f"po-{seats}") == monthly_exact_days(1_150_000, *year)
        assert schedule_of(view, f"po-{support}") == monthly_exact_days(230_000, *year)
