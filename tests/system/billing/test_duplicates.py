"""Duplicate safety: a write sent twice with one Idempotency-Key, or retried after the vendor committed it but
its answer was lost (the sandbox's after-handler fault), leaves exactly one object at the vendor.

Writes that change an object rather than create one (a renewal, a finalization) are counted by the events the
vendor records for them: a write the vendor ran twice would record its events twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.system.billing.journeys import (
    APRIL,
    HALF,
    catalog_item,
    customer,
    money,
    setup_subscription,
    subscription,
)

ROUTES = {
    "stripe": {"subscription.update": r"^POST /v1/subscriptions/[^/]+$",
               "invoice.finalize": r"^POST /v1/invoices/[^/]+/finalize$",
               "usage.report": r"^POST /v1/billing/meter_events$",
               "catalog.create": r"^POST /v1/(products|prices)$"},
    "chargebee": {"subscription.update": r"^POST /api/v2/subscriptions/[^/]+/(update_for_items|"
                                         r"remove_scheduled_cancellation)$",
                  "invoice.finalize": r"^POST /api/v2/invoices/[^/]+/close$",
                  "usage.report": r"^POST /api/v2/subscriptions/[^/]+/usages$",
                  "catalog.create": r"^POST /api/v2/(item_families|items|item_prices)$"},
}
"""Fault targets of the operations the vendor harnesses do not name, per vendor."""
RENEWAL_EVENTS = {"stripe": ["customer.subscription.updated"],
                  "chargebee": ["subscription_changed", "subscription_scheduled_cancellation_removed"]}
"""The events one renewal of a subscription scheduled to cancel records at each vendor."""


def _lose_answers(vendor, operation: str) -> None:
    """Every vendor call of ``operation`` commits, then its answer is replaced by a gateway timeout."""
    route = vendor.ROUTES.get(operation) or ROUTES[vendor.vendor][operation]
    vendor.faults({"seed": 1, "rules": [{"route": route, "error_after_rate": 1.0, "error_status": 504}]})


def _renewal_events(vendor) -> list[str]:
    """The type of every event of the kinds a renewal records, as the vendor holds them so far."""
    return sorted(kind for kind in RENEWAL_EVENTS[vendor.vendor] for _ in vendor.events(kind))


def _ending_subscription(billing, vendor) -> dict:
    """A subscription from April, scheduled to cancel at its term end (so a renewal changes it)."""
    vendor.freeze(APRIL)
    sub = setup_subscription(billing)
    billing.ok("POST", f"/v1/subscriptions/{sub['id']}/cancellations", {"at": "term_end"})
    return sub


def _draft(billing, vendor) -> str:
    """A draft invoice made in the vendor's UI for revflow's customer."""
    created = billing.ok("PUT", "/v1/customers/ACME-001", customer())
    return vendor.draft_invoice(created["external_ids"]["billing"], 2500, "USD")


def _usage_subscription(billing, vendor) -> dict:
    """A usage-priced subscription and a report of usage that happened an hour before the vendor's now."""
    vendor.freeze(APRIL)
    billing.ok("PUT", "/v1/customers/ACME-001", customer())
    billing.ok("PUT", "/v1/catalog/items/API-CALLS", catalog_item(2, "usage", "API calls"))
    sub = billing.ok("POST", "/v1/subscriptions", subscription("ACME-001", "API-CALLS", 1, 2, "usage"))
    vendor.freeze(APRIL + 7200)  # Chargebee refuses usage dated after the site's time
    return {"id": "use-1", "subscription_id": sub["id"], "sku": "API-CALLS", "quantity": 1200,
            "occurred_at": datetime.fromtimestamp(APRIL + 3600, UTC).isoformat()}


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

    def test_renewal_and_finalization(self, billing, vendor):
        sub = _ending_subscription(billing, vendor)
        before = _renewal_events(vendor)
        renewed = _twice(billing, "POST", f"/v1/subscriptions/{sub['id']}/renewals", {"term_end": "2025-03-31"})
        assert (renewed["status"], renewed["end_date"]) == ("active", "2025-03-31")
        assert _renewal_events(vendor) == sorted(before + RENEWAL_EVENTS[vendor.vendor])  # renewed once
        draft = _draft(billing, vendor)
        finalized = len(vendor.vendor_events("invoice.finalized"))
        final = _twice(billing, "POST", f"/v1/invoices/{draft}/finalization", None)
        assert final["status"] == "open" and len(vendor.vendor_events("invoice.finalized")) == finalized + 1

    def test_usage_and_catalogue_sync(self, billing, vendor):
        report = _usage_subscription(billing, vendor)
        assert _twice(billing, "POST", "/v1/usage", report)["quantity"] == 1200
        assert vendor.count("usage") == 1
        products, prices = vendor.count("product"), vendor.count("price")
        first = billing.write("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item(), "dup-sync")
        second = billing.write("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item(), "dup-sync")
        assert first.status_code == 200 and second.json() == first.json()
        assert (vendor.count("product"), vendor.count("price")) == (products + 1, prices + 1)


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

    def test_credit_note_refund_cancellation(self, billing, vendor):
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

    def test_renewal(self, billing, vendor):
        sub = _ending_subscription(billing, vendor)
        before = _renewal_events(vendor)
        path = f"/v1/subscriptions/{sub['id']}/renewals"
        _lose_answers(vendor, "subscription.update")
        lost = billing.write("POST", path, {"term_end": "2025-03-31"}, "retry-renew")
        assert lost.status_code >= 500, lost.text
        assert _renewal_events(vendor) != before  # the vendor did renew, only its answer was lost
        vendor.clear_faults()
        renewed = billing.write("POST", path, {"term_end": "2025-03-31"}, "retry-renew")
        assert renewed.status_code == 200, renewed.text
        assert (renewed.json()["status"], renewed.json()["end_date"]) == ("active", "2025-03-31")
        assert _renewal_events(vendor) == sorted(before + RENEWAL_EVENTS[vendor.vendor])  # renewed once

    def test_amendment(self, billing, vendor):
        vendor.freeze(APRIL)
        sub = setup_subscription(billing)
        vendor.freeze(HALF + 86_400)
        path = f"/v1/subscriptions/{sub['id']}/amendments"
        body = {"changes": [{"sku": "PLAT-SEAT", "quantity": 20}], "proration": "create_prorations",
                "effective_at": "2024-04-16T00:00:00Z"}
        _lose_answers(vendor, "subscription.update")
        assert billing.write("POST", path, body, "retry-amend").status_code >= 500
        assert vendor.count("proration_line") == 2  # amended although every answer was lost
        vendor.clear_faults()
        amended = billing.write("POST", path, body, "retry-amend")
        assert amended.status_code == 200, amended.text
        assert sorted(line["amount"]["amount_minor"] for line in amended.json()["pending_lines"]) == [-500, 1000]
        assert vendor.count("proration_line") == 2  # one credit and one charge, not two of each

    def test_finalization(self, billing, vendor):
        draft = _draft(billing, vendor)
        finalized = len(vendor.vendor_events("invoice.finalized"))
        _lose_answers(vendor, "invoice.finalize")
        assert billing.write("POST", f"/v1/invoices/{draft}/finalization", None, "retry-fin").status_code >= 500
        assert len(vendor.vendor_events("invoice.finalized")) == finalized + 1  # finalized, the answer lost
        vendor.clear_faults()
        final = billing.write("POST", f"/v1/invoices/{draft}/finalization", None, "retry-fin")
        assert final.status_code == 200, final.text
        assert final.json()["status"] == "open" and final.json()["number"]
        assert len(vendor.vendor_events("invoice.finalized")) == finalized + 1
        assert billing.ok("GET", f"/v1/invoices/{draft}")["number"] == final.json()["number"]

    def test_usage(self, billing, vendor):
        report = _usage_subscription(billing, vendor)
        _lose_answers(vendor, "usage.report")
        assert billing.write("POST", "/v1/usage", report, "retry-usage").status_code >= 500
        assert vendor.count("usage") == 1  # recorded although every answer was lost
        vendor.clear_faults()
        recorded = billing.write("POST", "/v1/usage", report, "retry-usage")
        assert recorded.status_code < 300 and recorded.json()["quantity"] == 1200, recorded.text
        assert vendor.count("usage") == 1

    def test_catalogue_sync(self, billing, vendor):
        _lose_answers(vendor, "catalog.create")
        statuses = []
        for _ in range(5):  # each sync creates the next missing object and loses the answer, until none is missing
            statuses.append(billing.client.put("/v1/catalog/items/PLAT-SEAT", json=catalog_item()).status_code)
            if statuses[-1] < 500:
                break
        vendor.clear_faults()
        assert statuses[-1] == 200 and len(statuses) >= 3, statuses  # at least the product and the price were lost
        synced = billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item())
        assert [p["unit_amount"] for p in synced["prices"]] == [money(100)] and synced["retired_price_ids"] == []
        assert (vendor.count("product"), vendor.count("price")) == (1, 1)
