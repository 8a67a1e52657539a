"""Injected faults: a retrying SDK client completes the story, and the state holds no duplicates.

Faults are seeded, so a failing run replays the same faults. The SDK retries 5xx and 429s marked
``Stripe-Should-Retry: true``, reusing its auto-generated ``Idempotency-Key``; faults injected after the
handler ran (the response is lost) are exactly where idempotency prevents duplicates.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe
from stripe import _http_client

FAULTS = {"seed": 3, "rules": [{
    "route": "^(POST|GET|DELETE) /v1/", "error_rate": 0.1, "error_after_rate": 0.1, "rate_limit_rate": 0.05,
    "burst_length": 2, "retry_after": 1, "latency_ms": 1, "jitter_ms": 3,
}]}


@pytest.fixture(autouse=True)
def _fast_sdk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK sleeps at least 0.5 s between retries; the sandbox needs no real backoff to be faithful.
    monkeypatch.setattr(_http_client.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(_http_client.HTTPClient, "MAX_DELAY", 0.05)


def _story(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "chaos@acme.test"})
    product = client.v1.products.create(params={"name": "Seats"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1000,
                                            "recurring": {"interval": "month"}})
    sub = client.v1.subscriptions.create(params={"customer": customer.id,
                                                 "items": [{"price": price.id, "quantity": 3}]})
    client.v1.subscriptions.update(sub.id, params={"items": [{"id": sub["items"].data[0].id, "quantity": 5}]})
    invoice = client.v1.invoices.create(params={"customer": customer.id, "subscription": sub.id,
                                                "pending_invoice_items_behavior": "include"})
    client.v1.invoices.finalize_invoice(invoice.id)
    paid = client.v1.invoices.pay(invoice.id)
    note = client.v1.credit_notes.create(params={"invoice": paid.id, "amount": 100, "refund_amount": 100})
    assert client.v1.refunds.retrieve(note.refund).amount == 100
    assert client.v1.customers.retrieve(customer.id).email == "chaos@acme.test"


class TestRetryingClient:
    def test_story_completes_without_duplicates(self, make_client: Any, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        _story(make_client(retries=8))
        injected = admin.get("/__sandbox/faults").json()["injected"]
        kinds = {k for fault in injected for k in ("error", "error_after", "rate_limited") if fault[k]}
        assert kinds == {"error", "error_after", "rate_limited"}, injected
        counts = admin.get("/__sandbox/state").json()["counts"]
        expected = {"customer": 1, "product": 1, "price": 1, "subscription": 1, "invoice": 2, "credit_note": 1,
                    "refund": 1, "charge": 2, "invoiceitem": 2}
        assert {k: counts[k] for k in expected} == expected

    def test_without_retries_the_faults_surface(self, make_client: Any, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        with pytest.raises((stripe.APIError, stripe.RateLimitError)):
            for _ in range(40):
                make_client().v1.customers.list()

    def test_same_seed_same_faults(self, admin: httpx.Client, server: Any) -> None:
        def run() -> list[int]:
            admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
            auth = {"Authorization": "Bearer sk_test_x"}
            return [httpx.get(f"{server.url}/v1/customers", headers=auth).status_code for _ in range(30)]

        assert run() == run()


class TestTimeouts:
    def test_timeout_hangs_then_sdk_gives_up(self, admin: httpx.Client, server: Any) -> None:
        admin.post("/__sandbox/faults", json={"route": "GET /v1/products$", "timeout_rate": 1.0,
                                              "hang_seconds": 5}).raise_for_status()
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{server.url}/v1/products", headers={"Authorization": "Bearer sk_test_x"}, timeout=0.3)
        ok = httpx.get(f"{server.url}/v1/customers", headers={"Authorization": "Bearer sk_test_x"})
        assert ok.status_code == 200

    def test_latency_is_added(self, admin: httpx.Client, server: Any) -> None:
        admin.post("/__sandbox/faults", json={"latency_ms": 150}).raise_for_status()
        response = httpx.get(f"{server.url}/v1/customers", headers={"Authorization": "Bearer sk_test_x"})
        assert response.elapsed.total_seconds() >= 0.15

    def test_bad_config_is_refused(self, admin: httpx.Client) -> None:
        assert admin.post("/__sandbox/faults", json={"error_rat": 1}).status_code == 400
        assert admin.post("/__sandbox/faults", json={"route": "("}).status_code == 400
