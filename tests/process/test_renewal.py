"""Renewal end to end: a deal for 2025 is renewed in November for 2026 with more seats at a new price.

The renewal opportunity is entered and won in the Salesforce sandbox, linked to the deal it renews; the test
starts the renewal through the process API with the renewed event's payload (under the id the CRM event would
use, so one workflow runs either way). The customer sits on a Stripe test clock started on 1 January 2025, which
the test moves through November, December and into January. Expected amounts are computed here from the deals.
"""

from __future__ import annotations

from datetime import date

from tests.process.test_activation import monthly_exact_days
from tests.process.test_cancellation import activated_deal, post, schedule, unix
from tests.process.topology import Topology, cancel_while_answers_are_lost

OLD_PER_MONTH, NEW_PER_MONTH = 10 * 9_000, 12 * 9_500


def invoice_of_period(topology: Topology, subscription_id: str, month_start: str) -> dict:
    invoices = topology.billing.get("/v1/invoices", params={"subscription": subscription_id}).json()["data"]
    [found] = [i for i in invoices if any(line["period_start"] == month_start for line in i["lines"])]
    return found


def renewal_won_in_november(topology: Topology) -> tuple[dict, str, dict]:
    """An activated 2025 deal and its renewal, won on 15 November: 12 seats at 95.00 (list 100.00) a month for 2026.

    Returns the activation, the renewal's id and the renewed event's payload.
    """
    activated = activated_deal(topology)
    deal = activated["subject"]
    product = activated["input"]["opportunity"]["lines"][0]["product_sku"]
    customer = activated["input"]["customer"]
    topology.stripe.advance_clock(unix("2025-11-15"))
    renewal = topology.salesforce.create_deal(customer["id"], "Acme Corp renewal 2026", [
        {"sku": product, "quantity": 12, "list": 10_000, "sale": 9_500, "start": "2026-01-01",
         "end": "2026-12-31", "frequency": "monthly"}], "2025-11-15", renews=deal)
    topology.salesforce.win(renewal)
    opportunity = topology.crm.get(f"/v1/opportunities/{renewal}").json()
    return activated, renewal, {"opportunity": opportunity, "customer": customer, "closed_at": "2025-11-15T12:00:00Z"}


class TestRenewal:
    def test_renewal_is_a_new_contract_and_the_new_term_bills_the_new_prices(self, topology: Topology):
        activated, renewal, payload = renewal_won_in_november(topology)
        deal, ids = activated["subject"], activated["external_ids"]
        product = activated["input"]["opportunity"]["lines"][0]["product_sku"]
        started = post(topology, f"/v1/deals/{deal}/renewals", payload)
        assert started.status_code == 202, started.text
        assert started.json()["id"] == f"renewal:{renewal}"
        done = topology.wait_for(f"renewal:{renewal}")
        assert done["state"] == "succeeded", done.get("exception") or done["history"][-3:]

        # Billing: the same subscription now runs to the end of 2026.
        sub_id = ids["subscription_id"]
        sub = topology.billing.get(f"/v1/subscriptions/{sub_id}").json()
        assert (sub["status"], sub["end_date"]) == ("active", "2026-12-31")

        # The ERP: a sales order for the new term, 12 seats x 95.00 x 12 months.
        order = topology.erp.get(f"/v1/sales-orders/{done['external_ids']['sales_order_id']}").json()
        assert order["total"] == {"amount_minor": NEW_PER_MONTH * 12, "currency": "USD"}
        assert order["opportunity_id"] == renewal

        # Revenue: a new contract for 2026 by exact days; the 2025 contract is untouched.
        new_contract = done["external_ids"]["revenue_contract_id"]
        assert new_contract != ids["revenue_contract_id"]
        view = topology.revrec.get(f"/v1/contracts/{new_contract}").json()
        assert view["contract"]["transaction_price"]["amount_minor"] == NEW_PER_MONTH * 12
        assert schedule(topology, new_contract, f"po-{product}") == monthly_exact_days(
            NEW_PER_MONTH * 12, date(2026, 1, 1), date(2026, 12, 31))
        assert schedule(topology, ids["revenue_contract_id"], f"po-{product}") == monthly_exact_days(
            OLD_PER_MONTH * 12, date(2025, 1, 1), date(2025, 12, 31))
        assert topology.revrec.get(f"/v1/contracts/{ids['revenue_contract_id']}").json()["modifications"] == []

        # Until the old term's last period the subscription stays with the renewed deal, at the old prices.
        term = topology.wait_for(f"renewal_term:{renewal}", lambda w: w["state"] == "waiting")
        assert term["subject"] == renewal
        renewal_ids = topology.process.get(f"/v1/deals/{renewal}").json()["ids"]
        assert renewal_ids["revenue_contract_id"] == new_contract and "subscription_id" not in renewal_ids

        # December: the renewal takes the subscription over and sets the new term's seats and price.
        topology.stripe.advance_clock(unix("2025-12-10"))
        term = topology.wait_for(f"renewal_term:{renewal}")
        assert term["state"] == "succeeded", term.get("exception") or term["history"][-3:]
        sub = topology.billing.get(f"/v1/subscriptions/{sub_id}").json()
        assert [(i["product_sku"], i["quantity"], i["unit_amount"]["amount_minor"]) for i in sub["items"]] == [
            (product, 12, 9_500)]
        assert topology.process.get(f"/v1/deals/{renewal}").json()["ids"]["subscription_id"] == sub_id
        assert topology.salesforce.finance(renewal)["subscription_id"] == sub_id
        assert invoice_of_period(topology, sub_id, "2025-12-01")["total"]["amount_minor"] == OLD_PER_MONTH

        # January 2026 is billed at the renewal's terms, with no proration; one subscription throughout.
        topology.stripe.advance_clock(unix("2026-01-02"))
        january = invoice_of_period(topology, sub_id, "2026-01-01")
        assert [line["amount"]["amount_minor"] for line in january["lines"]] == [NEW_PER_MONTH]
        billing_customer = activated["external_ids"]["billing_customer_id"]
        assert [s["id"] for s in topology.stripe_objects("subscription") if s["customer"] == billing_customer] == [
            sub_id]

    def test_a_renewal_that_leaves_a_gap_goes_back_to_sales_ops(self, topology: Topology):
        activated = activated_deal(topology)
        deal = activated["subject"]
        opportunity = {**activated["input"]["opportunity"], "id": f"{deal}R", "renews_opportunity_id": deal,
                       "lines": [{**line, "service_start": "2026-02-01", "service_end": "2026-12-31"}
                                 for line in activated["input"]["opportunity"]["lines"]]}
        payload = {"opportunity": opportunity, "customer": activated["input"]["customer"],
                   "closed_at": "2025-11-15T12:00:00Z"}
        started = post(topology, f"/v1/deals/{deal}/renewals", payload)
        assert started.status_code == 202, started.text
        parked = topology.wait_for(started.json()["id"])
        assert (parked["business_status"], parked["exception"]["owner"]) == ("pending_validation", "sales_ops")
        assert "must start on 2026-01-01" in parked["exception"]["reason"]


class TestCancelledRenewal:
    def test_a_renewal_billing_made_without_answering_is_put_back_when_the_renewal_is_cancelled(
            self, topology: Topology):
        activated, renewal, payload = renewal_won_in_november(topology)
        deal, sub_id = activated["subject"], activated["external_ids"]["subscription_id"]

        def start() -> str:
            assert post(topology, f"/v1/deals/{deal}/renewals", payload).status_code == 202
            return f"renewal:{renewal}"

        cancel_while_answers_are_lost(topology, sub_id, "billing_renewal", start, seed=6,
                                      made=lambda held: held["metadata"]["revflow_term_end"] == "2026-12-31")
        [stripe_sub] = [s for s in topology.stripe_objects("subscription") if s["id"] == sub_id]
        assert stripe_sub["metadata"]["revflow_term_end"] == "2025-12-31"
