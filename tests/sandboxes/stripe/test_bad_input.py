"""Bad input gets Stripe's error body (4xx, ``error.type``), never a 500 or a stack trace."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

AUTH = {"Authorization": "Bearer sk_test_revflow_sandbox"}
FORM = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}

CASES = [
    ("POST", "/v1/customers", b"%%%&&&=", FORM),
    ("POST", "/v1/customers", b"\xff\xfe\x00garbage", FORM),
    ("POST", "/v1/customers", b"metadata=notahash", FORM),
    ("POST", "/v1/customers", b"metadata[a]=1&metadata[a][b]=2", FORM),
    ("POST", "/v1/customers", b"email[]=x", FORM),
    ("POST", "/v1/customers", b"surprise=1", FORM),
    ("POST", "/v1/customers", b'{"email": "json@x.test"}', {**AUTH, "Content-Type": "application/json"}),
    ("POST", "/v1/customers", b"a]b[=1", FORM),
    ("POST", "/v1/customers", b"tax_exempt=sometimes", FORM),
    ("POST", "/v1/customers", b"test_clock=clock_nope", FORM),
    ("POST", "/v1/prices", b"product=prod_x&currency=usd&unit_amount=abc", FORM),
    ("POST", "/v1/prices", b"currency=usd&unit_amount=5", FORM),
    ("POST", "/v1/products", b"name=", FORM),
    ("POST", "/v1/products", b"name=x&active=maybe", FORM),
    ("POST", "/v1/subscriptions", b"customer=cus_nope&items[0][price]=p", FORM),
    ("POST", "/v1/subscriptions", b"items=notalist", FORM),
    ("POST", "/v1/invoices/in_nope/pay", b"", FORM),
    ("POST", "/v1/credit_notes", b"invoice=in_nope&amount=5", FORM),
    ("POST", "/v1/refunds", b"amount=5", FORM),
    ("POST", "/v1/billing/meter_events", b"event_name=nothing&payload[value]=1", FORM),
    ("POST", "/v1/test_helpers/test_clocks", b"frozen_time=yesterday", FORM),
    ("POST", "/v1/webhook_endpoints", b"url=notaurl&enabled_events[]=*", FORM),
    ("GET", "/v1/customers?limit=1000", b"", AUTH),
    ("GET", "/v1/customers?limit=ten", b"", AUTH),
    ("GET", "/v1/customers?starting_after=cus_nope", b"", AUTH),
    ("GET", "/v1/customers?expand[]=", b"", AUTH),
    ("GET", "/v1/customers/search?query=bogus", b"", AUTH),
    ("GET", "/v1/customers/search?query=email:'a'%20AND%20name:'b'%20OR%20name:'c'", b"", AUTH),
    ("GET", "/v1/unknown_resource", b"", AUTH),
    ("PUT", "/v1/customers", b"", AUTH),
    ("GET", "/v1/customers", b"", {"Authorization": "Basic !!!"}),
    ("GET", "/v1/customers", b"", {}),
    ("POST", "/v1/customers", b"email=a@x.test", {**FORM, "Idempotency-Key": "k" * 300}),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), CASES,
                         ids=[f"{m} {p} {b[:20]!r}" for m, p, b, _ in CASES])
def test_stripe_error_body(server: Any, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
    response = httpx.request(method, f"{server.url}{path}", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert "Traceback" not in response.text


def test_basic_auth_works(server: Any) -> None:
    response = httpx.get(f"{server.url}/v1/customers", auth=("sk_test_curl_user", ""))
    assert response.status_code == 200 and response.json()["object"] == "list"
