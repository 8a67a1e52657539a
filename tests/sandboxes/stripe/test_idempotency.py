"""``Idempotency-Key`` with Stripe's semantics (VENDORS.md 1.5), on the wire."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

AUTH = {"Authorization": "Bearer sk_test_revflow_sandbox"}


@pytest.fixture
def http(server: Any) -> Any:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as client:
        yield client


def _count(admin: httpx.Client, kind: str) -> int:
    return admin.get("/__sandbox/state").json()["counts"][kind]


class TestReplay:
    def test_same_key_same_params_replays_first_response(self, http: httpx.Client, admin: httpx.Client) -> None:
        headers = {"Idempotency-Key": "create-acme"}
        first = http.post("/v1/customers", data={"email": "a@acme.test"}, headers=headers)
        second = http.post("/v1/customers", data={"email": "a@acme.test"}, headers=headers)
        assert first.status_code == second.status_code == 200
        assert second.content == first.content
        assert second.headers["idempotent-replayed"] == "true"
        assert second.headers["request-id"] == first.headers["request-id"]
        assert _count(admin, "customer") == 1

    def test_other_params_get_idempotency_error(self, http: httpx.Client) -> None:
        headers = {"Idempotency-Key": "k-2"}
        http.post("/v1/customers", data={"email": "a@acme.test"}, headers=headers).raise_for_status()
        reused = http.post("/v1/customers", data={"email": "b@acme.test"}, headers=headers)
        assert reused.status_code == 400
        assert reused.json()["error"]["type"] == "idempotency_error"

    def test_other_path_with_same_key_is_an_error(self, http: httpx.Client) -> None:
        headers = {"Idempotency-Key": "k-3"}
        http.post("/v1/products", data={"name": "X"}, headers=headers).raise_for_status()
        assert http.post("/v1/customers", data={"name": "X"}, headers=headers).status_code == 400

    def test_validation_failure_is_not_saved(self, http: httpx.Client, admin: httpx.Client) -> None:
        headers = {"Idempotency-Key": "k-4"}
        bad = http.post("/v1/prices", data={"currency": "usd"}, headers=headers)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "parameter_missing"
        product = http.post("/v1/products", data={"name": "X"}).json()["id"]
        good = http.post("/v1/prices", data={"currency": "usd", "product": product, "unit_amount": "5"},
                         headers=headers)
        assert good.status_code == 200 and good.json()["object"] == "price"

    def test_error_after_execution_began_is_replayed(self, http: httpx.Client) -> None:
        customer = http.post("/v1/customers", data={"email": "d@acme.test"}).json()["id"]
        http.post("/v1/invoiceitems", data={"customer": customer, "amount": "900", "currency": "usd"})
        invoice = http.post("/v1/invoices", data={"customer": customer,
                                                  "pending_invoice_items_behavior": "include"}).json()["id"]
        http.post(f"/v1/invoices/{invoice}/finalize").raise_for_status()
        headers = {"Idempotency-Key": "pay-1"}
        data = {"payment_method": "pm_card_chargeDeclined"}
        first = http.post(f"/v1/invoices/{invoice}/pay", data=data, headers=headers)
        again = http.post(f"/v1/invoices/{invoice}/pay", data=data, headers=headers)
        assert first.status_code == again.status_code == 402
        assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
        assert http.get(f"/v1/invoices/{invoice}").json()["attempt_count"] == 1

    def test_keys_are_scoped_per_api_key(self, http: httpx.Client, admin: httpx.Client) -> None:
        headers = {"Idempotency-Key": "shared"}
        http.post("/v1/customers", data={"email": "a@x.test"}, headers=headers).raise_for_status()
        other = {**headers, "Authorization": "Bearer sk_test_other_account"}
        assert http.post("/v1/customers", data={"email": "b@x.test"}, headers=other).status_code == 200
        assert _count(admin, "customer") == 2

    def test_events_record_the_key(self, http: httpx.Client) -> None:
        http.post("/v1/customers", data={"email": "e@x.test"}, headers={"Idempotency-Key": "evt-key"})
        event = http.get("/v1/events", params={"type": "customer.created"}).json()["data"][0]
        assert event["request"]["idempotency_key"] == "evt-key"
