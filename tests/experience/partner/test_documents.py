"""What a partner reads about its deals: customers, subscriptions, invoices, credit notes, and usage it reports.

The deal here was won by sales in the CRM and activated by the real chain; it belongs to tenant ``tenant-a``
through the partner API's tenant index (as a submitted order would). Every figure the partner sees is read
live from the process API, and shaped per major: v1 in minor units, v2 as decimal strings.
"""

from __future__ import annotations

import uuid

import pytest

from tests.experience.partner.conftest import seed_deal, wait_until


@pytest.fixture(scope="module")
def deal(topology, partner_prefix, replicas):
    return seed_deal(topology, partner_prefix, "tenant-a", usage=True)


class TestCustomers:
    def test_the_customer_of_the_deal(self, partners, deal):
        [customer] = [c for c in partners("partner-a").ok("GET", "/v1/customers", params={"limit": 100})["data"]
                      if c["id"] == deal["customer_id"]]
        assert customer["name"] == deal["name"] and customer["order_ids"] == [deal["order_id"]]
        assert customer["billing_address"]["country"] == "US"


class TestSubscriptions:
    def test_the_subscription_the_order_became(self, partners, deal):
        a = partners("partner-a")
        [v1] = a.ok("GET", "/v1/subscriptions", params={"order_id": deal["order_id"]})["data"]
        [v2] = a.ok("GET", "/v2/subscriptions", params={"order_id": deal["order_id"]}, replica=1)["data"]
        assert v1["id"] == v2["id"] == deal["activation"]["external_ids"]["subscription_id"]
        assert v1["status"] == "active" and (v1["start_date"], v1["end_date"]) == ("2025-01-01", "2025-12-31")
        assert [i["unit_amount"] for i in v1["items"]] == [{"amount_minor": 9_000, "currency": "USD"},
                                                           {"amount_minor": 4, "currency": "USD"}]
        assert [i["unit_amount"] for i in v2["items"]] == [{"amount": "90.00", "currency": "USD"},
                                                           {"amount": "0.04", "currency": "USD"}]


class TestInvoices:
    def test_list_and_fetch_in_both_majors(self, partners, deal):
        a = partners("partner-a")
        invoices = wait_until(lambda: a.ok("GET", "/v1/invoices", params={"order_id": deal["order_id"]})["data"],
                              what="the deal's first invoice")
        first = invoices[-1]
        assert first["order_id"] == deal["order_id"] and first["customer_id"] == deal["customer_id"]
        assert first["subscription_id"] == deal["activation"]["external_ids"]["subscription_id"]
        total = sum(line["amount"]["amount_minor"] for line in first["lines"])
        assert first["total"]["amount_minor"] == total > 0
        assert first["amount_due"]["amount_minor"] == total - first["amount_paid"]["amount_minor"]

        fetched = a.ok("GET", f"/v1/invoices/{first['id']}", replica=1)
        assert fetched == first
        v2 = a.ok("GET", f"/v2/invoices/{first['id']}")
        whole, cents = divmod(total, 100)
        assert v2["total"] == {"amount": f"{whole}.{cents:02d}", "currency": "USD"}
        assert "amount_minor" not in str(v2)
        assert a.get("/v2/invoices/in_doesnotexist").status_code == 404

    def test_cursor_pages_cover_every_invoice_once(self, partners, deal):
        a = partners("partner-a")
        everything = [i["id"] for i in a.ok("GET", "/v2/invoices", params={"limit": 100})["data"]]
        assert everything
        seen, cursor = [], None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = a.ok("GET", "/v2/invoices", params=params, replica=len(seen) % 2)
            seen += [i["id"] for i in page["data"]]
            assert page["has_more"] is (page["next_cursor"] is not None)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == everything
        bad = a.get("/v2/invoices", params={"cursor": "bm90LWEtY3Vyc29y"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"


class TestUsage:
    def test_records_count_once_and_reach_billing(self, partners, deal, topology):
        a = partners("partner-a")
        usage_sku = deal["skus"][1]
        records = [{"id": f"u-{uuid.uuid4().hex[:8]}", "order_id": deal["order_id"], "sku": usage_sku,
                    "quantity": 100 * day, "occurred_at": f"2025-03-{day:02d}T08:00:00Z"} for day in (1, 2)]
        first = a.ok("POST", "/v2/usage", status=202, json={"records": records})
        assert (first["accepted"], first["duplicates"]) == (2, 0)
        again = a.ok("POST", "/v1/usage", status=202, json={"records": records}, replica=1)
        assert (again["accepted"], again["duplicates"]) == (0, 2)
        for record in records:  # each became one usage workflow in the process tier, keyed by tenant and id
            done = topology.wait_for(f"usage:tenant-a:{record['id']}", timeout=120)
            assert done["state"] == "succeeded", done.get("exception")

        stray = a.post("/v2/usage", {"records": [{**records[0], "id": "u-stray", "sku": "NOT-ON-ORDER"}]})
        assert stray.status_code == 422 and stray.json()["code"] == "sku_not_on_order"
        unknown = a.post("/v2/usage", {"records": [{**records[0], "id": "u-x", "order_id": "NO-SUCH-ORDER"}]})
        assert unknown.status_code == 404


class TestCreditNotes:
    def test_a_credit_finance_issued_shows_on_the_partner_side(self, partners, deal, topology):
        a = partners("partner-a")
        invoice = wait_until(lambda: a.ok("GET", "/v1/invoices", params={"order_id": deal["order_id"]})["data"],
                             what="an invoice to credit")[-1]
        invoice_sync = topology.workflow_id_of_invoice(invoice["id"])
        assert topology.wait_for(invoice_sync, timeout=120)["state"] == "succeeded"
        credit = topology.process.post("/v1/credits", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
            "opportunity_id": deal["opportunity_id"], "invoice_id": invoice["id"],
            "amount": {"amount_minor": 1_250, "currency": "USD"}, "reason": "product_unsatisfactory"})
        assert credit.status_code == 202, credit.text
        done = topology.wait_for(credit.json()["id"], timeout=120)
        assert done["state"] == "succeeded", done.get("exception")

        [v1] = a.ok("GET", "/v1/credit-notes", params={"order_id": deal["order_id"]})["data"]
        [v2] = a.ok("GET", "/v2/credit-notes", replica=1, params={"order_id": deal["order_id"]})["data"]
        assert v1["id"] == v2["id"] and v1["invoice_id"] == invoice["id"]
        assert v1["total"] == {"amount_minor": 1_250, "currency": "USD"}
        assert v2["total"] == {"amount": "12.50", "currency": "USD"}
        assert v1["reason"] == "product_unsatisfactory" and v1["refunded"] is False
