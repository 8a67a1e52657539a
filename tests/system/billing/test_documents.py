"""Invoices (listed across vendor pages, read, finalized), credit notes, refunds and usage, canonically."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.system.billing.journeys import APRIL, catalog_item, customer, money, setup_subscription, subscription


class TestListInvoices:
    def test_every_page_is_read(self, start_billing, vendor):
        billing = start_billing(vendor_page_size=2)  # three invoices span two vendor pages
        vendor.freeze(APRIL)
        subs = [setup_subscription(billing)["id"] for _ in range(3)]
        listed = billing.ok("GET", "/v1/invoices?customer=ACME-001")["data"]
        assert sorted(inv["subscription_id"] for inv in listed) == sorted(subs)
        assert len({inv["id"] for inv in listed}) == 3
        only = billing.ok("GET", f"/v1/invoices?customer=ACME-001&subscription={subs[1]}")["data"]
        assert [inv["subscription_id"] for inv in only] == [subs[1]]

    def test_a_filter_is_required(self, billing):
        response = billing.client.get("/v1/invoices")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "customer"


class TestFinalizeInvoice:
    def test_draft_becomes_open_once(self, billing, vendor):
        created = billing.ok("PUT", "/v1/customers/ACME-001", customer())
        draft_id = vendor.draft_invoice(created["external_ids"]["billing"], 2500, "USD")
        draft = billing.ok("GET", f"/v1/invoices/{draft_id}")
        assert (draft["status"], draft["number"], draft["total"]) == ("draft", None, money(2500))
        final = billing.ok("POST", f"/v1/invoices/{draft_id}/finalization")
        assert final["status"] == "open" and final["number"] and final["finalized_at"]
        again = billing.ok("POST", f"/v1/invoices/{draft_id}/finalization")
        assert (again["status"], again["number"]) == ("open", final["number"])


class TestCreditNoteAndRefund:
    def test_credit_then_refund_a_paid_invoice(self, billing, vendor):
        vendor.freeze(APRIL)
        sub = setup_subscription(billing, card_from=vendor)
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        assert inv["status"] == "paid" and inv["amount_paid"] == money(1000)
        note = billing.ok("POST", "/v1/credit-notes", {
            "invoice_id": inv["id"], "reason": "product_unsatisfactory",
            "lines": [{"invoice_line_id": inv["lines"][0]["id"], "description": "Two seats unused",
                       "amount": money(200)}]})
        assert (note["invoice_id"], note["total"], note["reason"], note["customer_id"]) == (
            inv["id"], money(200), "product_unsatisfactory", "ACME-001")
        refund = billing.ok("POST", "/v1/refunds", {"invoice_id": inv["id"], "amount": money(300),
                                                    "reason": "requested_by_customer"})
        assert (refund["amount"], refund["status"], refund["invoice_id"]) == (money(300), "succeeded", inv["id"])
        assert refund["payment_id"]

    def test_refund_beyond_the_payment_is_refused(self, billing, vendor):
        vendor.freeze(APRIL)
        sub = setup_subscription(billing)
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        response = billing.write("POST", "/v1/refunds", {"invoice_id": inv["id"], "amount": money(5000)})
        assert response.status_code == 422 and response.json()["retryable"] is False


class TestReportUsage:
    def test_usage_is_recorded_once_per_report_id(self, billing, vendor):
        vendor.freeze(APRIL)
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        billing.ok("PUT", "/v1/catalog/items/API-CALLS", catalog_item(2, "usage", "API calls"))
        sub = billing.ok("POST", "/v1/subscriptions", subscription("ACME-001", "API-CALLS", 1, 2, "usage"))
        # Usage is reported after it happened: Chargebee refuses a usage_date later than the site's time.
        vendor.freeze(APRIL + 7200)
        at = datetime.fromtimestamp(APRIL + 3600, UTC).isoformat()
        report = {"id": "use-1", "subscription_id": sub["id"], "sku": "API-CALLS", "quantity": 1200,
                  "occurred_at": at}
        first = billing.ok("POST", "/v1/usage", report)
        second = billing.ok("POST", "/v1/usage", report)  # another Idempotency-Key, same report id
        assert first == second
        assert (first["quantity"], first["product_sku"], first["subscription_item_id"]) == (
            1200, "API-CALLS", sub["items"][0]["id"])
        assert vendor.count("usage") == 1

    def test_a_usage_price_change_takes_effect_where_the_vendor_can_bill_it(self, billing, vendor):
        """On 16 April (the customer's clock), a usage price from 16 April: Stripe takes it (usage before it is
        billed at the old price), Chargebee is refused naming the days that work (its term's usage is priced at the
        term's invoice). A price from 1 April, the term's first day: Chargebee takes it, Stripe is refused (it
        would switch now, billing the usage since 1 April at the old price)."""
        vendor.clocked_customer("ACME-001", APRIL)
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        billing.ok("PUT", "/v1/catalog/items/API-CALLS", catalog_item(2, "usage", "API calls"))
        sub = billing.ok("POST", "/v1/subscriptions", subscription("ACME-001", "API-CALLS", 1, 2, "usage"))
        vendor.advance_clock(APRIL + 15 * 86_400)

        def reprice(cents: int, effective_at: str):
            body = {"changes": [{"sku": "API-CALLS", "unit_amount": money(cents)}], "proration": "create_prorations",
                    "effective_at": effective_at}
            return billing.write("POST", f"/v1/subscriptions/{sub['id']}/amendments", body)

        def refused(response, code: str, *dates: str) -> None:
            problem = response.json()
            assert (response.status_code, problem["code"], problem["retryable"]) == (422, code, False), response.text
            assert problem["owner"] == "sales_ops" and all(d in problem["detail"] for d in dates), problem

        mid = reprice(3, "2024-04-16T00:00:00Z")
        if vendor.USAGE_PRICE_MID_PERIOD:
            assert mid.status_code == 200, mid.text
            assert mid.json()["subscription"]["items"][0]["unit_amount"] == money(3)
            refused(reprice(4, "2024-04-01T00:00:00Z"), "usage_price_backdated", "2024-04-01", "2024-04-16")
            assert billing.ok("GET", f"/v1/subscriptions/{sub['id']}")["items"][0]["unit_amount"] == money(3)
        else:
            refused(mid, "usage_price_mid_term", "2024-04-01", "2024-05-01")
            assert billing.ok("GET", f"/v1/subscriptions/{sub['id']}")["items"][0]["unit_amount"] == money(2)
            start = reprice(4, "2024-04-01T00:00:00Z")
            assert start.status_code == 200, start.text
            assert start.json()["subscription"]["items"][0]["unit_amount"] == money(4)

    def test_a_usage_price_dated_ahead_of_the_vendor_waits_for_its_day(self, billing, vendor):
        """A usage price from 20 April sent on 16 April (the customer's test clock): Stripe would switch it at once
        and bill 16 to 19 April's usage at the new price, so billing answers 409 ``effective_date_ahead`` (retry
        then) and changes nothing; sent again on 20 April with the same key, it is made. Chargebee refuses it as a
        mid-term usage price."""
        vendor.clocked_customer("ACME-001", APRIL)
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        billing.ok("PUT", "/v1/catalog/items/API-CALLS", catalog_item(2, "usage", "API calls"))
        sub = billing.ok("POST", "/v1/subscriptions", subscription("ACME-001", "API-CALLS", 1, 2, "usage"))
        vendor.advance_clock(APRIL + 15 * 86_400)
        body = {"changes": [{"sku": "API-CALLS", "unit_amount": money(3)}], "proration": "create_prorations",
                "effective_at": "2024-04-20T00:00:00Z"}
        key = f"reprice-{sub['id']}"
        early = billing.write("POST", f"/v1/subscriptions/{sub['id']}/amendments", body, key=key)
        problem = early.json()
        if not vendor.USAGE_PRICE_MID_PERIOD:
            assert (early.status_code, problem["code"]) == (422, "usage_price_mid_term"), early.text
            return
        assert (early.status_code, problem["code"], problem["retryable"]) == (409, "effective_date_ahead", True)
        assert "2024-04-16" in problem["detail"] and "2024-04-20" in problem["detail"]
        assert billing.ok("GET", f"/v1/subscriptions/{sub['id']}")["items"][0]["unit_amount"] == money(2)
        vendor.advance_clock(APRIL + 19 * 86_400)
        on_the_day = billing.write("POST", f"/v1/subscriptions/{sub['id']}/amendments", body, key=key)
        assert on_the_day.status_code == 200, on_the_day.text
        assert on_the_day.json()["subscription"]["items"][0]["unit_amount"] == money(3)

    @pytest.mark.parametrize("vendor", ["stripe"], indirect=True)
    def test_a_usage_price_change_on_a_classic_stripe_subscription_is_refused(self, billing, vendor):
        """A subscription made outside revflow in Stripe's classic billing mode (its default) would bill none of
        the usage before a metered price change: billing refuses the change, for billing ops to migrate it."""
        vendor.clocked_customer("ACME-001", APRIL)
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        billing.ok("PUT", "/v1/catalog/items/API-CALLS", catalog_item(2, "usage", "API calls"))
        billing.ok("POST", "/v1/subscriptions", subscription("ACME-001", "API-CALLS", 1, 2, "usage"))
        [flexible] = vendor.objects("subscription")
        classic = vendor.http.post("/v1/subscriptions", data={
            "customer": flexible["customer"], "items[0][price]": flexible["items"]["data"][0]["price"]["id"]},
        ).raise_for_status().json()
        assert classic["billing_mode"]["type"] == "classic"
        body = {"changes": [{"sku": "API-CALLS", "unit_amount": money(3)}], "proration": "create_prorations",
                "effective_at": "2024-04-01T00:00:00Z"}
        response = billing.write("POST", f"/v1/subscriptions/{classic['id']}/amendments", body)
        problem = response.json()
        assert (response.status_code, problem["code"], problem["owner"]) == (422, "billing_mode_classic",
                                                                             "billing_ops"), response.text
        assert f"/v1/subscriptions/{classic['id']}/migrate" in problem["detail"]
        assert billing.ok("GET", f"/v1/subscriptions/{classic['id']}")["items"][0]["unit_amount"] == money(2)

    def test_usage_on_a_licensed_item_is_refused(self, billing, vendor):
        sub = setup_subscription(billing)
        report = {"id": "use-2", "subscription_id": sub["id"], "sku": "PLAT-SEAT", "quantity": 1,
                  "occurred_at": "2024-04-02T00:00:00Z"}
        response = billing.write("POST", "/v1/usage", report)
        assert response.status_code == 422 and response.json()["code"] == "usage_item_missing"
