"""Bad input never gets a 500: every refusal is a documented problem naming what was wrong."""

from __future__ import annotations

import pytest

from tests.system.erp.journeys import customer, journal, money, sales_order

_LINE = {"sku": "PLAT-SEAT", "quantity": 1, "unit_amount": money(100)}
CASES = [
    ("PUT", "/v1/customers/ACME-001", b"{not json", 400, "malformed-body"),
    ("PUT", "/v1/customers/ACME-001", {**customer(), "currency": "usd"}, 400, "validation"),
    ("PUT", "/v1/customers/bad%20key", customer(), 400, "validation"),
    ("GET", "/v1/invoices/abc", None, 400, "validation"),
    ("GET", "/v1/sales-orders/999999", None, 404, "not-found"),
    ("GET", "/v1/invoices/999999", None, 404, "not-found"),
    ("POST", "/v1/sales-orders", {**sales_order(), "lines": []}, 400, "validation"),
    ("POST", "/v1/sales-orders", {**sales_order(), "extra": 1}, 400, "validation"),
    ("POST", "/v1/sales-orders", {**sales_order(), "lines": [{**_LINE, "unit_amount": money(1, "EUR")}]}, 400,
     "validation"),
    ("POST", "/v1/sales-orders", {**sales_order(), "lines": [{**_LINE, "quantity": 0}]}, 400, "validation"),
    ("POST", "/v1/sales-orders", sales_order("NO-SUCH-CUSTOMER"), 404, "not-found"),
    ("POST", "/v1/invoices", {"sales_order_id": "1", "customer_key": "ACME-001"}, 400, "validation"),
    ("POST", "/v1/invoices", {"customer_key": "ACME-001"}, 400, "validation"),
    ("POST", "/v1/invoices", {"sales_order_id": "999999"}, 404, "not-found"),
    ("POST", "/v1/invoices", {"customer_key": "ACME-001", "currency": "USD", "lines": [
        {**_LINE, "unit_amount": money(300)}, {**_LINE, "unit_amount": money(-301)}]}, 400, "validation"),
    ("POST", "/v1/sales-orders", {**sales_order(), "lines": [{**_LINE, "unit_amount": money(-1)}]}, 400,
     "validation"),
    ("POST", "/v1/credit-memos", {"invoice_id": "1", "lines": [{"sku": "A", "description": "x",
                                                               "amount": money(-1)}]}, 400, "validation"),
    ("POST", "/v1/customer-payments", {"customer_key": "ACME-001", "amount": money(0)}, 400, "validation"),
    ("POST", "/v1/journal-entries", {**journal(), "lines": journal()["lines"][:1]}, 400, "validation"),
    ("POST", "/v1/journal-entries", {**journal(), "entry_date": "2024-13-01"}, 400, "validation"),
    ("POST", "/v1/queries", {"q": "SELECT * FROM nowhere"}, 422, "business-rule"),
    ("POST", "/v1/queries", {"q": "SELECT id FROM item", "limit": 0}, 400, "validation"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "slug"), CASES,
                         ids=[f"{c[0]} {c[1]} {c[4]}" for c in CASES])
def test_refused_with_a_problem(erp, vendor, method, path, body, status, slug):
    vendor.item("PLAT-SEAT")
    headers = {"Idempotency-Key": "bad-1"}
    if isinstance(body, bytes):
        response = erp.client.request(method, path, content=body,
                                      headers={**headers, "Content-Type": "application/json"})
    else:
        response = erp.client.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(f"/{slug}")


def test_writes_need_an_idempotency_key(erp):
    response = erp.client.post("/v1/sales-orders", json=sales_order())
    assert response.status_code == 400 and response.json()["type"].endswith("/idempotency-key-missing")


def test_tokens_and_scopes_are_enforced(erp, issuer):
    assert erp.client.get("/v1/customers/ACME-001", headers={"Authorization": ""}).status_code == 401
    reader = issuer.token("erp:read", audience="erp")
    response = erp.client.put("/v1/customers/ACME-001", json=customer(),
                              headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 403


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/sales-orders", sales_order("NO-SUCH-CUSTOMER")),
    ("/v1/invoices", {"customer_key": "NO-SUCH-CUSTOMER", "currency": "USD", "lines": [_LINE]}),
    ("/v1/customer-payments", {"customer_key": "NO-SUCH-CUSTOMER", "amount": money(100)}),
], ids=["sales order", "standalone invoice", "payment"])
def test_a_write_for_an_unknown_customer_names_the_customer_and_writes_nothing(erp, vendor, path, body):
    vendor.item("PLAT-SEAT")
    response = erp.client.post(path, json=body, headers={"Idempotency-Key": "unknown-customer-1"})
    assert response.status_code == 404, response.text
    problem = response.json()
    assert (problem["code"], problem["owner"]) == ("customer_missing", "integration")
    assert "NO-SUCH-CUSTOMER" in problem["detail"]
    assert not vendor.records("salesOrder") and not vendor.records("invoice")
    assert not vendor.records("customerPayment")
