"""Bad input gets NetSuite's error body (4xx, ``o:errorDetails``), never a 500 or a stack trace."""

from __future__ import annotations

import pytest

from tests.sandboxes.netsuite.signing import NetSuiteHttp

STRICT = {"X-NetSuite-PropertyNameValidation": "Error"}
CASES = [
    ("POST", "/record/v1/customer", ["not", "an", "object"], None, {}),
    ("POST", "/record/v1/customer", {"companyName": {"nested": 1}}, None, {}),
    ("POST", "/record/v1/customer", {"companyName": "A", "surprise": 1}, None, STRICT),
    ("POST", "/record/v1/customer", {}, None, {}),
    ("POST", "/record/v1/customer", {"companyName": "A", "isInactive": "yes"}, None, {}),
    ("POST", "/record/v1/customer", {"companyName": "A", "subsidiary": "1"}, None, {}),
    ("POST", "/record/v1/nosuchtype", {"a": 1}, None, {}),
    ("POST", "/record/v1/salesOrder", {"entity": {"id": "1"}}, None, {}),
    ("POST", "/record/v1/salesOrder", {"entity": {"id": True}, "item": {"items": []}}, None, {}),
    ("POST", "/record/v1/salesOrder", {"entity": {"id": "1"}, "item": "lines"}, None, {}),
    ("POST", "/record/v1/salesOrder", {"entity": {"id": "1"}, "item": {"items": ["x"]}}, None, {}),
    ("POST", "/record/v1/salesOrder", {"entity": {"id": "1"}, "tranDate": "31/01/2025",
                                       "item": {"items": [{"item": {"id": "1"}}]}}, None, {}),
    ("POST", "/record/v1/invoice", {"entity": {"id": "1"}, "item": {"items": [{"quantity": "many"}]}}, None, {}),
    ("POST", "/record/v1/journalEntry", {"line": {"items": [{"debit": 5}]}}, None, {}),
    ("POST", "/record/v1/journalEntry", {"line": {"items": [{"account": {"id": "1"}, "debit": 1e300}]}}, None, {}),
    ("POST", "/record/v1/customerPayment", {"customer": {"id": "1"}, "payment": -5}, None, {}),
    ("POST", "/record/v1/salesOrder/1/!transform/journalEntry", {}, None, {}),
    ("GET", "/record/v1/customer/abc", None, None, {}),
    ("GET", "/record/v1/customer/1/nosublist", None, None, {}),
    ("GET", "/record/v1/customer", None, {"limit": "0"}, {}),
    ("GET", "/record/v1/customer", None, {"offset": "-1"}, {}),
    ("GET", "/record/v1/customer", None, {"q": "email IS x"}, {}),
    ("PUT", "/record/v1/customer/1", {"companyName": "A"}, None, {}),
    ("PUT", "/record/v1/customer/eid:X", {"companyName": "A", "externalId": "Y"}, None, {}),
    ("DELETE", "/record/v1/customer/99", None, None, {}),
    ("POST", "/query/v1/suiteql", {"q": "SELECT nope FROM customer"}, None, {"Prefer": "transient"}),
    ("POST", "/query/v1/suiteql", {"q": "DELETE FROM customer"}, None, {"Prefer": "transient"}),
    ("POST", "/query/v1/suiteql", {"q": 42}, None, {"Prefer": "transient"}),
    ("POST", "/query/v1/suiteql", {"q": "SELECT id FROM customer"}, {"limit": "5000"}, {"Prefer": "transient"}),
    ("POST", "/query/v1/suiteql", {"q": "SELECT 1/0 FROM account"}, None, {"Prefer": "transient"}),
    ("GET", "/record/v2/customer", None, None, {}),
    ("POST", "/query/v1/suiteql/extra", {}, None, {}),
]


@pytest.mark.parametrize(("method", "path", "body", "params", "headers"), CASES,
                         ids=[f"{m} {p} {str(b)[:30]}" for m, p, b, _, _ in CASES])
def test_netsuite_error_body(ns: NetSuiteHttp, method: str, path: str, body: object, params: dict | None,
                             headers: dict[str, str]) -> None:
    ns.request("POST", "/record/v1/customer", json_body={"companyName": "Seed"})
    ns.request("POST", "/record/v1/nonInventorySaleItem", json_body={"itemId": "SKU"})
    response = ns.request(method, path, json_body=body, params=params, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    details = response.json()["o:errorDetails"]
    assert details[0]["detail"] and details[0]["o:errorCode"]
    assert "Traceback" not in response.text


def test_malformed_json_body(ns: NetSuiteHttp) -> None:
    request = ns.build("POST", "/record/v1/customer")
    raw = b'{"companyName": '
    signed = ns.signer.authorization("POST", str(request.url), raw)
    response = ns.http.post(str(request.url), content=raw, headers={"Authorization": signed,
                                                                    "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_CONTENT"
