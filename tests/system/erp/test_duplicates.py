"""Duplicate safety: a write sent twice with one Idempotency-Key, or retried after NetSuite committed it but its
answer was lost (the sandbox's after-handler fault), leaves exactly one record in NetSuite."""

from __future__ import annotations

import pytest

from services.runtime.events import Consumer
from services.runtime.redis import KeySpace
from tests.system.erp.journeys import customer, journal, sales_order, setup_order


def _lose_answers(vendor, route: str) -> None:
    """Every matching NetSuite call commits, then its answer is replaced by a 500."""
    vendor.faults({"seed": 1, "rules": [{"route": route, "error_after_rate": 1.0, "error_status": 500}]})


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
