"""Injected faults: an SDK client retrying with idempotency keys completes the story with no duplicates.

Faults are seeded, so a failing run replays the same faults. With retries enabled the SDK puts a
``chargebee-idempotency-key`` on every idempotent POST and keeps it across its retries of 5xx and 429; a
fault injected after the handler ran (the answer is lost) is exactly where the key prevents a duplicate.
"""

from __future__ import annotations

from typing import Any

import chargebee
import httpx
import pytest
from chargebee import Chargebee

from tests.sandboxes.chargebee.conftest import DAY, START, seed_catalog

FAULTS = {"seed": 5, "rules": [{
    "route": "^(POST|GET) /api/v2/", "error_rate": 0.1, "error_after_rate": 0.1, "rate_limit_rate": 0.05,
    "burst_length": 2, "retry_after": 0,
}]}


def _story(cb: Chargebee, admin: httpx.Client) -> None:
    seed_catalog(cb)
    customer = cb.Customer.create({"first_name": "Chaos", "email": "chaos@acme.test"}).customer
    sub = cb.Subscription.create_with_items(customer.id, {"subscription_items": [
        {"item_price_id": "plan-a-usd-monthly"}, {"item_price_id": "api-calls-usd-monthly"}]})
    cb.Invoice.record_payment(sub.invoice.id, {"transaction": {"payment_method": "cash"}})
    admin.post("/__sandbox/time_travel", json={"advance_seconds": 15 * DAY}).raise_for_status()
    cb.Subscription.update_for_items(sub.subscription.id, {"subscription_items": [
        {"item_price_id": "plan-b-usd-monthly"}]})
    cb.Usage.create(sub.subscription.id, {"item_price_id": "api-calls-usd-monthly", "quantity": "10",
                                          "usage_date": START + 15 * DAY})
    (due,) = cb.Invoice.list({"status": {"is": "payment_due"}}).list
    paid = cb.Invoice.record_payment(due.invoice.id, {"transaction": {"payment_method": "cash"}})
    note = cb.CreditNote.create({"reference_invoice_id": paid.invoice.id, "total": 500, "type": "refundable"})
    cb.CreditNote.record_refund(note.credit_note.id, {"transaction": {"payment_method": "cash",
                                                                      "date": START + 15 * DAY}})
    cb.Subscription.cancel_for_items(sub.subscription.id, {"end_of_term": True})


class TestRetryingClient:
    def test_story_completes_without_duplicates(self, make_cb: Any, cb_admin: httpx.Client) -> None:
        cb_admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        _story(make_cb(retries=8), cb_admin)
        injected = cb_admin.get("/__sandbox/faults").json()["injected"]
        kinds = {k for fault in injected for k in ("error", "error_after", "rate_limited")
                 if fault[k] is not None}
        assert kinds == {"error", "error_after", "rate_limited"}, injected
        counts = cb_admin.get("/__sandbox/state").json()["counts"]
        expected = {"customer": 1, "item_family": 1, "item": 4, "item_price": 4, "subscription": 1, "invoice": 2,
                    "credit_note": 2, "usage": 1, "transaction": 3}
        assert {k: counts[k] for k in expected} == expected

    def test_without_retries_the_faults_surface(self, make_cb: Any, cb_admin: httpx.Client) -> None:
        cb_admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        with pytest.raises(chargebee.APIError) as caught:
            for _ in range(40):
                make_cb().Customer.list()
        assert caught.value.api_error_code in ("internal_error", "api_request_limit_exceeded")

    def test_same_seed_same_faults(self, cb_admin: httpx.Client) -> None:
        def run() -> list[int]:
            cb_admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
            return [cb_admin.get("/api/v2/customers", auth=("k", "")).status_code for _ in range(30)]

        first = run()
        assert first == run() and {500, 429} <= set(first)
