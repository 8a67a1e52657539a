"""Subscriptions: create, amend mid-term under each proration policy, renew, cancel — canonically, per vendor.

The sandbox's clock is frozen at 2024-04-01T00:00:00Z before the subscription is created, so the first
period is April (30 days) and the amendment's ``effective_at`` of 2024-04-16T00:00:00Z is exactly halfway.
An amendment is recorded a day after it took effect (the clock is moved to 2024-04-17), so prorating as of
``effective_at`` is visibly not prorating as of the moment of the call; both vendors take a change dated in
the past of the current period (Stripe's ``proration_date``, Chargebee's backdated ``changes_scheduled_at``).
"""

from __future__ import annotations

from tests.system.billing.journeys import APRIL, HALF, customer, money, setup_subscription, subscription

HALFWAY = "2024-04-16T00:00:00Z"


def _at_april(vendor, billing, **kwargs):
    vendor.freeze(APRIL)
    return setup_subscription(billing, **kwargs)


class TestCreateSubscription:
    def test_canonical_subscription(self, billing, vendor):
        sub = _at_april(vendor, billing)
        assert sub["customer_id"] == "ACME-001" and sub["status"] == "active" and sub["currency"] == "USD"
        assert (sub["start_date"], sub["current_period_start"], sub["current_period_end"]) == (
            "2024-04-01", "2024-04-01", "2024-04-30")
        assert sub["end_date"] is None and sub["opportunity_id"] == "0061x00000AbCdE"
        [item] = sub["items"]
        assert (item["product_sku"], item["quantity"], item["unit_amount"], item["billing_frequency"]) == (
            "PLAT-SEAT", 10, money(100), "monthly")
        assert billing.ok("GET", f"/v1/subscriptions/{sub['id']}") == sub

    def test_first_invoice_bills_the_first_period(self, billing, vendor):
        sub = _at_april(vendor, billing)
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        assert inv["total"] == money(1000) and inv["customer_id"] == "ACME-001"
        assert (inv["lines"][0]["period_start"], inv["lines"][0]["period_end"]) == ("2024-04-01", "2024-04-30")

    def test_a_deal_price_below_list(self, billing, vendor):
        sub = _at_april(vendor, billing)
        deal = {"customer_key": "ACME-001", "items": [{"sku": "PLAT-SEAT", "quantity": 3, "billing_frequency":
                                                        "monthly", "unit_amount": money(80)}]}
        other = billing.ok("POST", "/v1/subscriptions", deal)
        assert other["items"][0]["unit_amount"] == money(80) and other["id"] != sub["id"]

    def test_unknown_sku_is_a_master_data_problem(self, billing, vendor):
        _at_april(vendor, billing)
        body = {"customer_key": "ACME-001", "items": [{"sku": "NOPE", "quantity": 1, "billing_frequency": "monthly",
                                                       "unit_amount": money(100)}]}
        response = billing.write("POST", "/v1/subscriptions", body)
        assert response.status_code == 422
        problem = response.json()
        assert (problem["code"], problem["owner"], problem["retryable"]) == ("sku_missing", "finance_ops", False)
        assert "NOPE" in problem["detail"]


class TestAmendSubscription:
    def _amend(self, billing, vendor, sub, proration, **change):
        vendor.freeze(HALF + 86_400)
        body = {"changes": [{"sku": "PLAT-SEAT", **change}], "proration": proration, "effective_at": HALFWAY}
        return billing.ok("POST", f"/v1/subscriptions/{sub['id']}/amendments", body)

    def test_quantity_upgrade_halfway_prorates_as_documented(self, billing, vendor):
        sub = _at_april(vendor, billing, quantity=10, amount=100)
        result = self._amend(billing, vendor, sub, "create_prorations", quantity=20)
        assert result["subscription"]["items"][0]["quantity"] == 20
        assert sorted(line["amount"]["amount_minor"] for line in result["pending_lines"]) == [-500, 1000]
        assert all(line["period_start"] == "2024-04-16" and line["period_end"] == "2024-04-30"
                   for line in result["pending_lines"])
        assert result["invoice"] is None

    def test_price_upgrade_halfway_prorates_as_documented(self, billing, vendor):
        sub = _at_april(vendor, billing, quantity=1, amount=1000)
        result = self._amend(billing, vendor, sub, "create_prorations", unit_amount=money(2000))
        assert result["subscription"]["items"][0]["unit_amount"] == money(2000)
        assert sorted(line["amount"]["amount_minor"] for line in result["pending_lines"]) == [-500, 1000]

    def test_always_invoice_bills_the_difference_now(self, billing, vendor):
        sub = _at_april(vendor, billing, quantity=10, amount=100)
        result = self._amend(billing, vendor, sub, "always_invoice", quantity=20)
        assert result["pending_lines"] == [] and vendor.billed_now(result["invoice"]["id"]) == 500
        documented = vendor.ALWAYS_INVOICE  # how the vendor documents presenting the 5 USD: see the harness
        assert result["invoice"]["total"] == money(documented["total"])
        assert sorted(line["amount"]["amount_minor"] for line in result["invoice"]["lines"]) == documented["lines"]

    def test_none_changes_without_prorating(self, billing, vendor):
        sub = _at_april(vendor, billing, quantity=10, amount=100)
        result = self._amend(billing, vendor, sub, "none", quantity=20)
        assert result["subscription"]["items"][0]["quantity"] == 20
        assert (result["pending_lines"], result["invoice"]) == ([], None)


class TestRenewAndCancel:
    def test_cancel_at_term_end_then_renew(self, billing, vendor):
        sub = _at_april(vendor, billing)
        ending = billing.ok("POST", f"/v1/subscriptions/{sub['id']}/cancellations", {"at": "term_end"})
        assert (ending["status"], ending["end_date"]) == ("active", "2024-04-30")
        renewed = billing.ok("POST", f"/v1/subscriptions/{sub['id']}/renewals", {"term_end": "2025-03-31"})
        assert (renewed["status"], renewed["end_date"]) == ("active", "2025-03-31")

    def test_cancel_now(self, billing, vendor):
        sub = _at_april(vendor, billing)
        vendor.freeze(HALF)
        canceled = billing.ok("POST", f"/v1/subscriptions/{sub['id']}/cancellations", {"at": "now"})
        assert canceled["status"] == "canceled" and canceled["canceled_at"].startswith("2024-04-16T00:00:00")
        assert canceled["end_date"] == "2024-04-16"

    def test_renewing_a_canceled_subscription_is_refused(self, billing, vendor):
        sub = _at_april(vendor, billing)
        billing.ok("POST", f"/v1/subscriptions/{sub['id']}/cancellations", {"at": "now"})
        response = billing.write("POST", f"/v1/subscriptions/{sub['id']}/renewals", {"term_end": "2025-03-31"})
        assert response.status_code == 422 and response.json()["retryable"] is False

    def test_unknown_subscription_is_404(self, billing):
        response = billing.client.get("/v1/subscriptions/sub_nope")
        assert response.status_code == 404 and response.json()["code"] == "resource_missing"


class TestListSubscriptions:
    def test_every_page_every_status_and_the_deals_filter(self, start_billing, vendor):
        billing = start_billing(vendor_page_size=2)  # three subscriptions span two vendor pages
        vendor.freeze(APRIL)
        first, second = setup_subscription(billing), setup_subscription(billing)
        other_deal = dict(subscription("ACME-001"), opportunity_id="0061x00000ZzZzZ")
        third = billing.ok("POST", "/v1/subscriptions", other_deal)
        billing.ok("POST", f"/v1/subscriptions/{first['id']}/cancellations", {"at": "now"})
        billing.ok("PUT", "/v1/customers/OTHER-002", customer())
        billing.ok("POST", "/v1/subscriptions", subscription("OTHER-002"))

        listed = billing.ok("GET", "/v1/subscriptions?customer=ACME-001")["data"]
        assert sorted(s["id"] for s in listed) == sorted([first["id"], second["id"], third["id"]])
        assert {s["id"]: s["status"] for s in listed}[first["id"]] == "canceled"
        of_deal = billing.ok("GET", "/v1/subscriptions?customer=ACME-001&opportunity=0061x00000ZzZzZ")["data"]
        assert [s["id"] for s in of_deal] == [third["id"]]
        assert billing.ok("GET", "/v1/subscriptions?customer=ACME-001&opportunity=0061x00000NoNe0")["data"] == []

    def test_the_customer_is_required_and_an_unknown_one_is_404(self, billing):
        response = billing.client.get("/v1/subscriptions")
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        assert (error["field"], error["source"], error["message"]) == ("customer", "query", "required")
        response = billing.client.get("/v1/subscriptions?customer=NOBODY-9")
        assert response.status_code == 404, response.text
