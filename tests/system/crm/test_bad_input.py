"""Bad input never gets a 500: every refusal is a documented problem naming what was wrong."""

from __future__ import annotations

import pytest

from tests.system.crm.journeys import account, money

CASES = [
    ("PUT", "/v1/accounts/ACME-001", b"{not json", 400, "malformed-body"),
    ("PUT", "/v1/accounts/ACME-001", {**account(), "currency": "usd"}, 400, "validation"),
    ("PUT", "/v1/accounts/bad%20key", account(), 400, "validation"),
    ("PUT", "/v1/accounts/ACME-001", {**account(), "billing_address": {"city": "x"}}, 400, "validation"),
    ("GET", "/v1/opportunities/bad-id!", None, 400, "validation"),
    ("GET", "/v1/opportunities?stage=won", None, 400, "validation"),
    ("PUT", "/v1/opportunities/0060000000000AA/finance-status", {"invoice_status": "maybe"}, 400, "validation"),
    ("PUT", "/v1/opportunities/0060000000000AA/finance-status", {"extra": 1}, 400, "validation"),
    ("PUT", "/v1/opportunities/0060000000000AA/finance-status", {"revenue_recognized": money(-5)}, 400,
     "validation"),
    ("PUT", "/v1/opportunities/0060000000000AA/finance-status", {}, 404, "not-found"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "slug"), CASES,
                         ids=[f"{c[0]} {c[1]} {c[4]}" for c in CASES])
def test_refused_with_a_problem(crm, method, path, body, status, slug):
    if isinstance(body, bytes):
        response = crm.client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    else:
        response = crm.client.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(f"/{slug}")


CONTACT = {"name": "Dana Whitfield", "email": "ap@acme.example"}
FIELD_CASES = [
    ("PUT", "/v1/accounts/ACME-001/contacts/dana", {**CONTACT, "email": "not-an-email"}, "email", "body"),
    ("PUT", "/v1/accounts/ACME-001/contacts/dana", {"email": "ap@acme.example"}, "name", "body"),
    ("PUT", "/v1/accounts/ACME-001/contacts/dana", {**CONTACT, "name": "   "}, "name", "body"),
    ("PUT", "/v1/accounts/ACME-001/contacts/dana", {**CONTACT, "roles": ["boss"]}, "roles.0", "body"),
    ("PUT", "/v1/accounts/ACME-001/contacts/bad%20key", CONTACT, "contact_key", "path"),
    ("PUT", "/v1/accounts/bad%20key/contacts/dana", CONTACT, "key", "path"),
    ("GET", "/v1/accounts/bad%20key/contacts", None, "key", "path"),
    ("GET", "/v1/products/bad%20sku", None, "sku", "path"),
    ("GET", "/v1/contracts/bad-id!", None, "contract_id", "path"),
    ("GET", "/v1/accounts/bad%20key/contracts", None, "key", "path"),
]


def test_refused_with_a_problem_naming_the_field(crm, vendor):
    # One test per CRM for every case: each is refused before the CRM is called, so a server per case buys nothing.
    crm.ok("PUT", "/v1/accounts/ACME-001", account())
    for method, path, body, field, source in FIELD_CASES:
        response = crm.client.request(method, path, json=body)
        assert response.status_code == 400, (method, path, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert problem["type"].endswith("/validation"), (method, path, problem)
        assert [(e["field"], e["source"]) for e in problem["errors"]] == [(field, source)], (method, path, problem)
    assert vendor.contacts() == []


def test_tokens_and_scopes_are_enforced(crm, issuer):
    assert crm.client.get("/v1/accounts/ACME-001", headers={"Authorization": ""}).status_code == 401
    reader = issuer.token("crm:read", audience="crm")
    response = crm.client.put("/v1/accounts/ACME-001", json=account(), headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 403
    for kind in ("closed-won", "closed-lost"):
        assert crm.client.post(f"/v1/sync/{kind}", headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    contact = crm.client.put("/v1/accounts/ACME-001/contacts/dana", json=CONTACT,
                             headers={"Authorization": f"Bearer {reader}"})
    assert contact.status_code == 403
    nobody = issuer.token("crm:write", audience="crm")  # a crm token without crm:read
    for path in ("/v1/opportunities/006000000000000AAA/amendments", "/v1/accounts/ACME-001/contacts", "/v1/products",
                 "/v1/products/PLAT-SEAT", "/v1/contracts/800000000000000AAA", "/v1/accounts/ACME-001/contracts"):
        assert crm.client.get(path, headers={"Authorization": f"Bearer {nobody}"}).status_code == 403, path
