"""Canonical round trips over real HTTP: what is written reads back the same, in exact minor units."""

from __future__ import annotations

import msgspec

from contracts.parties import Customer
from tests.system.erp.journeys import customer, money, sales_order, setup_order


def _canonical(body: dict) -> Customer:
    found = msgspec.convert(body, Customer)
    ids = {k: v for k, v in found.external_ids.items() if k != "erp"}
    return msgspec.structs.replace(found, created_at=None, external_ids=ids)


class TestCustomers:
    def test_upsert_reads_back_the_same_customer_once(self, erp, vendor):
        created = erp.ok("PUT", "/v1/customers/ACME-001", customer())
        again = erp.ok("PUT", "/v1/customers/ACME-001", customer())
        read = erp.ok("GET", "/v1/customers/ACME-001")
        assert _canonical(read) == _canonical(created) == _canonical({**customer(), "id": "ACME-001"})
        assert created["external_ids"]["erp"] == again["external_ids"]["erp"] == read["external_ids"]["erp"]
        [record] = vendor.records("customer")
        assert record["fields"]["externalId"] == "ACME-001" and record["fields"]["companyName"] == "Acme Corp"

    def test_a_change_updates_in_place(self, erp, vendor):
        erp.ok("PUT", "/v1/customers/ACME-001", customer())
        renamed = erp.ok("PUT", "/v1/customers/ACME-001", customer(name="Acme Renamed", email="new@acme.test"))
        assert renamed["name"] == "Acme Renamed" and renamed["contacts"][0]["email"] == "new@acme.test"
        assert len(vendor.records("customer")) == 1

    def test_unknown_key_is_a_404_problem(self, erp):
        response = erp.client.get("/v1/customers/NOPE-1")
        assert response.status_code == 404 and response.json()["code"] == "customer_missing"


class TestItems:
    def test_active_item_by_sku(self, erp, vendor):
        item_id = vendor.item("PLAT-SEAT")
        item = erp.ok("GET", "/v1/items/PLAT-SEAT")
        assert (item["sku"], item["active"], item["external_ids"]["erp"]) == ("PLAT-SEAT", True, item_id)
        assert item["name"] == "PLAT-SEAT (service)"


class TestSalesOrdersAndInvoices:
    def test_sales_order_round_trip_in_minor_units(self, erp, vendor):
        order = setup_order(erp, vendor)
        assert order["customer_key"] == "ACME-001" and order["opportunity_id"] == "0061x00000AbCdE"
        [line] = order["lines"]
        assert (line["sku"], line["quantity"], line["unit_amount"], line["amount"]) == (
            "PLAT-SEAT", 10, money(1234), money(12_340))
        assert (line["service_start"], line["service_end"]) == ("2024-04-01", "2025-03-31")
        assert order["total"] == money(12_340) and order["status"] == "Pending Billing"
        assert erp.ok("GET", f"/v1/sales-orders/{order['id']}") == order

    def test_invoice_from_sales_order_bills_it(self, erp, vendor):
        order = setup_order(erp, vendor)
        invoice = erp.ok("POST", "/v1/invoices", {"sales_order_id": order["id"], "billing_invoice_id": "in_1",
                                                  "issued_on": "2024-04-01", "due_on": "2024-05-01"})
        assert (invoice["customer_id"], invoice["status"], invoice["total"]) == ("ACME-001", "open", money(12_340))
        assert invoice["external_ids"] == {"erp": invoice["id"], "billing": "in_1"}
        assert [(li["product_sku"], li["amount"]) for li in invoice["lines"]] == [("PLAT-SEAT", money(12_340))]
        assert erp.ok("GET", f"/v1/invoices/{invoice['id']}") == invoice
        assert erp.ok("GET", f"/v1/sales-orders/{order['id']}")["status"] == "Billed"

    def test_sales_orders_are_found_by_the_opportunity_they_were_made_for(self, erp, vendor):
        order = setup_order(erp, vendor)
        assert erp.ok("GET", "/v1/sales-orders?opportunity=0061x00000AbCdE")["data"] == [order]
        assert erp.ok("GET", "/v1/sales-orders?opportunity=0061x00000NoNe0")["data"] == []
        response = erp.client.get("/v1/sales-orders")
        assert response.status_code == 400
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("opportunity", "required")]

    def test_a_closed_sales_order_shows_closed_and_bills_nothing_more(self, erp, vendor):
        order = setup_order(erp, vendor)
        closed = erp.ok("POST", f"/v1/sales-orders/{order['id']}/closure")
        assert (closed["id"], closed["status"], closed["total"]) == (order["id"], "Closed", order["total"])
        [stored] = [r for r in vendor.records("salesOrder") if r["id"] == order["id"]]
        assert [line.get("isClosed") for line in stored["sublists"]["item"]] == [True]
        assert erp.ok("POST", f"/v1/sales-orders/{order['id']}/closure") == closed  # closing again changes nothing
        refused = erp.write("POST", "/v1/invoices", {"sales_order_id": order["id"]})
        assert refused.status_code == 422 and "closed" in refused.json()["detail"], refused.text
        assert erp.client.post("/v1/sales-orders/999999/closure",
                               headers={"Idempotency-Key": "k-404"}).status_code == 404

    def test_a_product_netting_negative_is_posted_next_to_one_that_bills_more(self, erp, vendor):
        setup_order(erp, vendor)
        vendor.item("PLAT-ADDON")
        invoice = erp.ok("POST", "/v1/invoices", {"customer_key": "ACME-001", "currency": "USD", "lines": [
            {"sku": "PLAT-SEAT", "quantity": 1, "unit_amount": money(125_000)},
            {"sku": "PLAT-ADDON", "quantity": 1, "unit_amount": money(-35_000)}]})
        assert invoice["total"] == money(90_000)
        assert [(li["product_sku"], li["amount"]) for li in invoice["lines"]] == [
            ("PLAT-SEAT", money(125_000)), ("PLAT-ADDON", money(-35_000))]
        [stored] = [r for r in vendor.records("invoice") if r["id"] == invoice["id"]]
        assert stored["fields"]["total"] == 900.0

    def test_standalone_invoice_credit_memo_and_payment(self, erp, vendor):
        setup_order(erp, vendor)
        invoice = erp.ok("POST", "/v1/invoices", {"customer_key": "ACME-001", "currency": "USD",
                                                  "lines": sales_order()["lines"]})
        memo = erp.ok("POST", "/v1/credit-memos", {"invoice_id": invoice["id"], "reason": "order_change", "lines": [
            {"sku": "PLAT-SEAT", "description": "Service credit", "amount": money(340)}]})
        assert (memo["invoice_id"], memo["total"], memo["customer_id"]) == (invoice["id"], money(340), "ACME-001")
        paid = erp.ok("POST", "/v1/customer-payments", {"customer_key": "ACME-001", "invoice_id": invoice["id"],
                                                        "amount": money(12_000), "method": "wire"})
        assert paid["amount"] == money(12_000) and paid["status"] == "succeeded"
        after = erp.ok("GET", f"/v1/invoices/{invoice['id']}")
        assert after["status"] == "paid" and after["amount_paid"] == money(12_340)


class TestQueries:
    def test_select_pages_through_every_row(self, start_erp, vendor):
        erp = start_erp(vendor_page_size=2)  # five rows come back in three vendor pages
        for i in range(5):
            vendor.item(f"SKU-{i}")
        result = erp.ok("POST", "/v1/queries", {"q": "SELECT id, itemid FROM item ORDER BY id", "limit": 4})
        assert result["count"] == 4 and result["truncated"] is True
        everything = erp.ok("POST", "/v1/queries", {"q": "SELECT itemid FROM item ORDER BY id"})
        assert [r["itemid"] for r in everything["items"]] == [f"SKU-{i}" for i in range(5)]

    def test_only_select_is_accepted(self, erp):
        for q in ("DELETE FROM item", "SELECT 1 FROM item; DELETE FROM item", "UPDATE item SET itemid = 'x'"):
            response = erp.client.post("/v1/queries", json={"q": q})
            assert response.status_code == 400 and response.json()["errors"][0]["field"] == "q", q
