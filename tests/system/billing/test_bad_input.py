"""Bad input never gets a 500: every refusal is a documented problem naming what was wrong."""

from __future__ import annotations

import pytest

from tests.system.billing.journeys import customer, money, subscription

CASES = [
    ("PUT", "/v1/customers/ACME-001", b"{not json", 400, "malformed-body"),
    ("PUT", "/v1/customers/ACME-001", {**customer(), "currency": "usd"}, 400, "validation"),
    ("PUT", "/v1/customers/bad%20key", customer(), 400, "validation"),
    ("PUT", "/v1/catalog/items/PLAT-SEAT", {"name": "x", "prices": [
        {"currency": "USD", "billing_frequency": "monthly", "unit_amount": money(1, "EUR")}]}, 400, "validation"),
    ("POST", "/v1/subscriptions", {**subscription("ACME-001"), "items": []}, 400, "validation"),
    ("POST", "/v1/subscriptions", {**subscription("ACME-001"), "extra": 1}, 400, "validation"),
    ("POST", "/v1/subscriptions", subscription("ACME-001", "SETUP", 1, 50000, "one_time"), 400, "validation"),
    ("POST", "/v1/subscriptions", subscription("NO-SUCH-CUSTOMER"), 404, "not-found"),
    ("POST", "/v1/subscriptions/sub_x/amendments", {"changes": [{"sku": "A"}], "proration": "none"}, 400,
     "validation"),
    ("POST", "/v1/subscriptions/sub_x/cancellations", {"at": "yesterday"}, 400, "validation"),
    ("POST", "/v1/refunds", {"amount": money(100)}, 400, "validation"),
    ("POST", "/v1/credit-notes", {"invoice_id": "in_x", "lines": [{"description": "x", "amount": money(-1)}]}, 400,
     "validation"),
    ("POST", "/v1/invoices/in_nope/finalization", None, 404, "not-found"),
    ("POST", "/v1/usage", {"id": "u", "subscription_id": "\u001c../x", "sku": "A", "quantity": 1,
                           "occurred_at": "2024-04-01T00:00:00Z"}, 400, "validation"),
    ("POST", "/v1/usage", {"id": "u", "subscription_id": "sub_x", "sku": "A", "quantity": 1,
                           "occurred_at": "2024-04-01T00:00:00"}, 400, "validation"),
]


PATH_LIKE_IDS = [
    ("/v1/usage", "subscription_id", {"id": "u", "sku": "A", "quantity": 1, "occurred_at": "2024-04-01T00:00:00Z"}),
    ("/v1/credit-notes", "invoice_id", {"lines": [{"description": "x", "amount": money(100)}]}),
    ("/v1/refunds", "invoice_id", {"amount": money(100)}),
    ("/v1/refunds", "payment_id", {"amount": money(100)}),
]


@pytest.mark.parametrize("bad_id", ["/", "a/b", "..", "in_1?x=1", "in_1#", " in_1", "in%2F1"])
@pytest.mark.parametrize(("path", "field", "body"), PATH_LIKE_IDS, ids=[f"{c[0]} {c[1]}" for c in PATH_LIKE_IDS])
def test_an_id_that_would_address_another_vendor_path_is_refused(billing, vendor, path, field, body, bad_id):
    # Such an id would be sent in the vendor's URL path: "/" reaches the collection (it used to answer 500).
    response = billing.write("POST", path, {**body, field: bad_id})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(("method", "path", "body", "status", "slug"), CASES, ids=[f"{c[0]} {c[1]} {c[4]}"
                                                                                  for c in CASES])
def test_refused_with_a_problem(billing, method, path, body, status, slug):
    headers = {"Idempotency-Key": "bad-1"}
    if isinstance(body, bytes):
        response = billing.client.request(method, path, content=body, headers={**headers,
                                                                                "Content-Type": "application/json"})
    else:
        response = billing.client.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(f"/{slug}")


def test_writes_need_an_idempotency_key(billing):
    response = billing.client.post("/v1/subscriptions", json=subscription("ACME-001"))
    assert response.status_code == 400 and response.json()["type"].endswith("/idempotency-key-missing")


def test_tokens_and_scopes_are_enforced(billing, issuer):
    assert billing.client.get("/v1/customers/ACME-001", headers={"Authorization": ""}).status_code == 401
    reader = issuer.token("billing:read", audience="billing")
    response = billing.client.put("/v1/customers/ACME-001", json=customer(),
                                  headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 403
