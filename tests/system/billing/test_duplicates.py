"""Duplicate safety: a write sent twice with one Idempotency-Key, or retried after the vendor committed it but
its answer was lost (the sandbox's after-handler fault), leaves exactly one object at the vendor."""

from __future__ import annotations

import pytest

from tests.system.billing.journeys import APRIL, customer, money, setup_subscription, subscription


def _lose_answers(vendor, route: str) -> None:
    """Every matching vendor call commits, then its answer is replaced by a gateway timeout."""
    vendor.faults({"seed": 1, "rules": [{"route": route, "error_after_rate": 1.0, "error_status": 504}]})


def _twice(billing, method, path, body):
    key = f"dup-{path}"
    first = billing.write(method, path, body, key)
    second = billing.write(method, path, body, key)
    assert first.status_code < 300, first.text
    assert second.json() == first.json() and second.headers.get("idempotent-replayed") == "true"
    return first.json()


class TestSameKeyTwice:
    def test_subscription(self, billing, vendor):
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        setup_subscription(billing)
        _twice(billing, "POST", "/v1/subscriptions", subscription("ACME-001"))
        assert len(vendor.objects("subscription")) == 2  # the setup's and this one

    def test_amendment_credit_note_refund(self, billing, vendor):
        vendor.freeze(APRIL)
        sub = setup_subscription(billing)
        _twice(billing, "POST", f"/v1/subscriptions/{sub['id']}/amendments",
               {"changes": [{"sku": "PLAT-SEAT", "quantity": 20}], "proration": "create_prorations",
                "effective_at": "2024-04-16T00:00:00Z"})
        assert len([i for i in vendor.objects("invoiceitem") if i["proration"]]) == 2
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        _twice(billing, "POST", "/v1/credit-notes",
               {"invoice_id": inv["id"], "lines": [{"description": "Credit", "amount": money(100)}]})
        _twice(billing, "POST", "/v1/refunds", {"invoice_id": inv["id"], "amount": money(100)})
        assert (len(vendor.objects("credit_note")), len(vendor.objects("refund"))) == (1, 1)


class TestRetryAfterVendorCommitted:
    @pytest.mark.parametrize("route", ["POST /v1/subscriptions$"])
    def test_subscription(self, billing, vendor, route):
        setup_subscription(billing)
        _lose_answers(vendor, route)
        lost = billing.write("POST", "/v1/subscriptions", subscription("ACME-001"), "retry-sub")
        assert lost.status_code in (502, 504) and lost.json()["owner"] == "integration"
        vendor.clear_faults()
        retried = billing.write("POST", "/v1/subscriptions", subscription("ACME-001"), "retry-sub")
        assert retried.status_code == 201, retried.text
        assert len(vendor.objects("subscription")) == 2  # the setup's and exactly one more

    def test_customer_upsert(self, billing, vendor):
        _lose_answers(vendor, "POST /v1/customers")
        assert billing.client.put("/v1/customers/ACME-001", json=customer()).status_code >= 500
        vendor.clear_faults()
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        assert len(vendor.objects("customer")) == 1

    def test_cancellation_credit_note_refund_finalize(self, billing, vendor):
        vendor.freeze(APRIL)
        sub = setup_subscription(billing)
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        writes = [("POST /v1/credit_notes$", "/v1/credit-notes",
                   {"invoice_id": inv["id"], "lines": [{"description": "Credit", "amount": money(100)}]}),
                  ("POST /v1/refunds$", "/v1/refunds", {"invoice_id": inv["id"], "amount": money(100)}),
                  ("DELETE /v1/subscriptions/", f"/v1/subscriptions/{sub['id']}/cancellations", {"at": "now"})]
        for route, path, body in writes:
            _lose_answers(vendor, route)
            assert billing.write("POST", path, body, f"k-{path}").status_code >= 500
            vendor.clear_faults()
            assert billing.write("POST", path, body, f"k-{path}").status_code < 300
        assert (len(vendor.objects("credit_note")), len(vendor.objects("refund"))) == (1, 1)
        assert [s["status"] for s in vendor.objects("subscription")] == ["canceled"]
        assert len(vendor.events("customer.subscription.deleted")) == 1
