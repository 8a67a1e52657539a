"""Duplicate safety: a write sent twice with one Idempotency-Key, or retried after the vendor committed it but
its answer was lost (the sandbox's after-handler fault), leaves exactly one object at the vendor."""

from __future__ import annotations

from tests.system.billing.journeys import APRIL, HALF, customer, money, setup_subscription, subscription


def _lose_answers(vendor, operation: str) -> None:
    """Every vendor call of ``operation`` commits, then its answer is replaced by a gateway timeout."""
    vendor.faults({"seed": 1, "rules": [{"route": vendor.ROUTES[operation], "error_after_rate": 1.0,
                                         "error_status": 504}]})


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
        assert vendor.count("subscription") == 2  # the setup's and this one

    def test_amendment_credit_note_refund(self, billing, vendor):
        vendor.freeze(APRIL)
        sub = setup_subscription(billing, card_from=vendor)
        vendor.freeze(HALF + 86_400)  # recorded a day after it took effect
        _twice(billing, "POST", f"/v1/subscriptions/{sub['id']}/amendments",
               {"changes": [{"sku": "PLAT-SEAT", "quantity": 20}], "proration": "create_prorations",
                "effective_at": "2024-04-16T00:00:00Z"})
        assert vendor.count("proration_line") == 2
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        _twice(billing, "POST", "/v1/credit-notes",
               {"invoice_id": inv["id"], "lines": [{"description": "Credit", "amount": money(100)}]})
        _twice(billing, "POST", "/v1/refunds", {"invoice_id": inv["id"], "amount": money(100)})
        assert (vendor.count("credit_note"), vendor.count("refund")) == (1 + vendor.CREDIT_NOTES_PER_REFUND, 1)


class TestRetryAfterVendorCommitted:
    def test_subscription(self, billing, vendor):
        setup_subscription(billing)
        _lose_answers(vendor, "subscription.create")
        lost = billing.write("POST", "/v1/subscriptions", subscription("ACME-001"), "retry-sub")
        assert lost.status_code in (502, 504) and lost.json()["owner"] == "integration"
        vendor.clear_faults()
        retried = billing.write("POST", "/v1/subscriptions", subscription("ACME-001"), "retry-sub")
        assert retried.status_code == 201, retried.text
        assert vendor.count("subscription") == 2  # the setup's and exactly one more

    def test_customer_upsert(self, billing, vendor):
        _lose_answers(vendor, "customer.create")
        assert billing.client.put("/v1/customers/ACME-001", json=customer()).status_code >= 500
        vendor.clear_faults()
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        assert vendor.count("customer") == 1

    def test_cancellation_credit_note_refund_finalize(self, billing, vendor):
        vendor.freeze(APRIL)
        sub = setup_subscription(billing, card_from=vendor)
        [inv] = billing.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]
        writes = [("credit_note.create", "/v1/credit-notes",
                   {"invoice_id": inv["id"], "lines": [{"description": "Credit", "amount": money(100)}]}),
                  ("refund.create", "/v1/refunds", {"invoice_id": inv["id"], "amount": money(100)}),
                  ("subscription.cancel", f"/v1/subscriptions/{sub['id']}/cancellations", {"at": "now"})]
        for operation, path, body in writes:
            _lose_answers(vendor, operation)
            assert billing.write("POST", path, body, f"k-{path}").status_code >= 500
            vendor.clear_faults()
            assert billing.write("POST", path, body, f"k-{path}").status_code < 300
        assert (vendor.count("credit_note"), vendor.count("refund")) == (1 + vendor.CREDIT_NOTES_PER_REFUND, 1)
        assert vendor.subscription_statuses() == ["canceled"]
        assert len(vendor.vendor_events("subscription.canceled")) == 1
