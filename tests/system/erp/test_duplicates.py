"""Duplicate safety: a write sent twice with one Idempotency-Key, or retried after NetSuite committed it but its
answer was lost (the sandbox's after-handler fault), leaves exactly one record in NetSuite."""

from __future__ import annotations

import pytest

from services.runtime.events import Consumer
from services.runtime.redis import KeySpace
from tests.system.erp.journeys import customer, journal, money, sales_order, setup_order

CREDIT_MEMO = "POST /services/rest/record/v1/invoice/[^/]+/!transform/creditMemo$"
PAYMENT = "PUT /services/rest/record/v1/customerPayment/"


def _lose_answers(vendor, route: str) -> None:
    """Every matching NetSuite call commits, then its answer is replaced by a 500."""
    vendor.faults({"seed": 1, "rules": [{"route": route, "error_after_rate": 1.0, "error_status": 500}]})


def _invoiced(erp, vendor) -> dict:
    """A sales order billed by an invoice (12,340.00 USD); returns the invoice."""
    order = setup_order(erp, vendor)
    return erp.ok("POST", "/v1/invoices", {"sales_order_id": order["id"]})


def _memo(invoice: dict) -> dict:
    return {"invoice_id": invoice["id"], "reason": "order_change",
            "lines": [{"sku": "PLAT-SEAT", "description": "Service credit", "amount": money(340)}]}


def _payment(invoice: dict) -> dict:
    return {"customer_key": "ACME-001", "invoice_id": invoice["id"], "amount": money(12_000), "method": "wire"}


async def _posted(redis, key_prefix: str) -> list:
    seen = []

    async def collect(event) -> None:
        seen.append(event)

    consumer = Consumer(redis, KeySpace(key_prefix), "erp", group="test", name="t1", handler=collect)
    while (await consumer.run_once()).processed:
        pass
    return seen


class TestSameKeyTwice:
    def test_each_write_twice_makes_one_record(self, erp, vendor):
        order = setup_order(erp, vendor)
        writes = [("/v1/sales-orders", sales_order()), ("/v1/invoices", {"sales_order_id": order["id"]}),
                  ("/v1/journal-entries", journal())]
        for path, body in writes:
            first = erp.write("POST", path, body, f"dup-{path}")
            second = erp.write("POST", path, body, f"dup-{path}")
            assert first.status_code == 201, first.text
            assert second.json() == first.json() and second.headers.get("idempotent-replayed") == "true"
        counts = [len(vendor.records(t)) for t in ("salesOrder", "invoice", "journalEntry")]
        assert counts == [2, 1, 1]  # the setup's order and one more

    def test_credit_memo_and_payment_twice_make_one_each(self, erp, vendor):
        invoice = _invoiced(erp, vendor)
        for path, body in [("/v1/credit-memos", _memo(invoice)), ("/v1/customer-payments", _payment(invoice))]:
            first = erp.write("POST", path, body, f"dup-{path}")
            second = erp.write("POST", path, body, f"dup-{path}")
            assert first.status_code == 201, first.text
            assert second.json() == first.json() and second.headers.get("idempotent-replayed") == "true"
        assert [len(vendor.records(t)) for t in ("creditMemo", "customerPayment")] == [1, 1]
        assert erp.ok("GET", f"/v1/invoices/{invoice['id']}")["amount_paid"] == money(12_340)


class TestRetryAfterVendorCommitted:
    @pytest.mark.parametrize(("route", "rtype"), [("PUT /services/rest/record/v1/salesOrder/", "salesOrder"),
                                                  ("PUT /services/rest/record/v1/journalEntry/", "journalEntry")])
    def test_upserted_write(self, erp, vendor, route, rtype):
        setup_order(erp, vendor)
        before = len(vendor.records(rtype))
        path, body = ("/v1/sales-orders", sales_order()) if rtype == "salesOrder" else ("/v1/journal-entries",
                                                                                        journal())
        _lose_answers(vendor, route)
        lost = erp.write("POST", path, body, "retry-1")
        assert lost.status_code == 502 and lost.json()["owner"] == "integration"
        vendor.clear_faults()
        assert erp.write("POST", path, body, "retry-1").status_code == 201
        assert len(vendor.records(rtype)) == before + 1

    async def test_invoice_transform_is_announced_once(self, erp, vendor, redis, key_prefix):
        order = setup_order(erp, vendor)
        _lose_answers(vendor, "POST /services/rest/record/v1/salesOrder/.*/!transform/invoice")
        body = {"sales_order_id": order["id"], "billing_invoice_id": "in_42", "issued_on": "2024-04-03"}
        assert erp.write("POST", "/v1/invoices", body, "retry-inv").status_code >= 500
        vendor.clear_faults()
        first = erp.write("POST", "/v1/invoices", body, "retry-inv")
        assert first.status_code == 201, first.text
        assert erp.write("POST", "/v1/invoices", body, "retry-inv").json() == first.json()
        assert len(vendor.records("invoice")) == 1
        events = await _posted(redis, key_prefix)
        assert [(e.type, e.subject) for e in events] == [("revflow.erp.invoice.posted.v1", "in_42")]
        assert events[0].data["erp_invoice_id"] == first.json()["id"]
        assert events[0].data["accounting_period"] == "2024-04"

    def test_customer_upsert(self, erp, vendor):
        _lose_answers(vendor, "PUT /services/rest/record/v1/customer/")
        assert erp.client.put("/v1/customers/ACME-001", json=customer()).status_code >= 500
        vendor.clear_faults()
        erp.ok("PUT", "/v1/customers/ACME-001", customer())
        assert len(vendor.records("customer")) == 1

    def test_credit_memo(self, erp, vendor):
        invoice = _invoiced(erp, vendor)
        _lose_answers(vendor, CREDIT_MEMO)
        lost = erp.write("POST", "/v1/credit-memos", _memo(invoice), "retry-memo")
        assert lost.status_code >= 500 and lost.json()["owner"] == "integration", lost.text
        assert len(vendor.records("creditMemo")) == 1  # made although every answer was lost
        vendor.clear_faults()
        memo = erp.write("POST", "/v1/credit-memos", _memo(invoice), "retry-memo")
        assert memo.status_code == 201, memo.text
        assert (memo.json()["invoice_id"], memo.json()["total"]) == (invoice["id"], money(340))
        assert [m["id"] for m in vendor.records("creditMemo")] == [memo.json()["id"]]

    def test_customer_payment(self, erp, vendor):
        invoice = _invoiced(erp, vendor)
        _lose_answers(vendor, PAYMENT)
        lost = erp.write("POST", "/v1/customer-payments", _payment(invoice), "retry-pay")
        assert lost.status_code >= 500 and lost.json()["owner"] == "integration", lost.text
        assert len(vendor.records("customerPayment")) == 1  # received although every answer was lost
        vendor.clear_faults()
        paid = erp.write("POST", "/v1/customer-payments", _payment(invoice), "retry-pay")
        assert paid.status_code == 201, paid.text
        assert [p["id"] for p in vendor.records("customerPayment")] == [paid.json()["id"]]
        assert erp.ok("GET", f"/v1/invoices/{invoice['id']}")["amount_paid"] == money(12_000)  # applied once
