"""A wrong token secret: NetSuite's 401 INVALID_LOGIN becomes a clear, non-retryable problem owned by integration."""

from __future__ import annotations


def test_wrong_token_secret_is_a_clear_problem(start_erp, vendor):
    erp = start_erp(netsuite_token_secret="not-the-secret")
    response = erp.client.get("/v1/customers/ACME-001")
    assert response.status_code == 502, response.text
    problem = response.json()
    assert (problem["code"], problem["retryable"], problem["owner"]) == ("INVALID_LOGIN", False, "integration")
    assert "token-based-authentication" in problem["detail"] and "not-the-secret" not in response.text
