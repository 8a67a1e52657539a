"""Bad input never reaches a 500: every rejection is a problem+json naming the field and the reason."""

from __future__ import annotations

import uuid

import httpx
import pytest

PROBLEM = "application/problem+json"


def _post(example, headers, content: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.post(f"{example.url}/v1/accounts", content=content,
                      headers={**headers, "Content-Type": content_type, "Idempotency-Key": uuid.uuid4().hex})


def _assert_problem(response: httpx.Response, status: int, type_suffix: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"].endswith(type_suffix) and body["status"] == status, body
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    assert "Traceback" not in response.text
    return body


class TestBodyProblems:
    def test_malformed_json(self, example, write_headers):
        _assert_problem(_post(example, write_headers, b'{"name": "Acme",'), 400, "/malformed-body")

    def test_not_utf8(self, example, write_headers):
        _assert_problem(_post(example, write_headers, b'{"name": "\xff\xfe"}'), 400, "/malformed-body")

    def test_wrong_type_names_the_field(self, example, write_headers):
        body = _assert_problem(_post(example, write_headers,
                                     b'{"name": 42, "email": "ap@acme.test", "currency": "USD"}'),
                               400, "/validation")
        assert body["errors"] == [{"field": "name", "source": "body", "message": "Expected `str`, got `int`"}]

    def test_missing_field_names_the_field(self, example, write_headers):
        body = _assert_problem(_post(example, write_headers, b'{"name": "Acme", "currency": "USD"}'),
                               400, "/validation")
        assert body["errors"][0]["field"] == "email"
        assert "missing required field" in body["errors"][0]["message"]

    def test_unknown_field_is_refused_and_named(self, example, write_headers):
        body = _assert_problem(_post(example, write_headers,
                                     b'{"name": "A", "email": "a@b.co", "currency": "USD", "credit": 1}'),
                               400, "/validation")
        assert body["errors"][0]["field"] == "credit"

    def test_constraint_violation_names_the_field(self, example, write_headers):
        body = _assert_problem(_post(example, write_headers,
                                     b'{"name": "A", "email": "a@b.co", "currency": "usd"}'), 400, "/validation")
        assert body["errors"][0]["field"] == "currency"

    def test_oversized_body_is_413(self, example, write_headers):
        huge = b'{"name": "' + b"a" * 2_000_000 + b'", "email": "a@b.co", "currency": "USD"}'
        _assert_problem(_post(example, write_headers, huge), 413, "/payload-too-large")

    def test_nothing_was_written_by_rejected_requests(self, example, write_headers):
        _post(example, write_headers, b'{"name": 42}')
        listed = httpx.get(f"{example.url}/v1/accounts", headers=write_headers)
        assert listed.status_code == 200 and listed.json()["data"] == []


class TestRoutingProblems:
    def test_unknown_route_is_404_problem(self, example, write_headers):
        _assert_problem(httpx.get(f"{example.url}/v1/nope", headers=write_headers), 404, "/not-found")

    def test_wrong_method_is_405_problem(self, example, write_headers):
        _assert_problem(httpx.put(f"{example.url}/v1/ping", headers=write_headers), 405, "/method-not-allowed")

    @pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=101", "cursor=-1"])
    def test_bad_query_parameter_is_named(self, example, write_headers, query):
        body = _assert_problem(httpx.get(f"{example.url}/v1/accounts?{query}", headers=write_headers),
                               400, "/validation")
        assert body["errors"][0]["field"] == query.split("=")[0]
        assert body["errors"][0]["source"] == "query"

    def test_unknown_query_parameter_is_refused_and_named(self, example, write_headers):
        body = _assert_problem(httpx.get(f"{example.url}/v1/accounts?limt=5", headers=write_headers),
                               400, "/validation")
        assert body["errors"][0]["field"] == "limt" and body["errors"][0]["source"] == "query"
        assert "cursor, limit" in body["errors"][0]["message"]

    def test_repeated_single_value_parameter_is_refused_and_named(self, example, write_headers):
        body = _assert_problem(httpx.get(f"{example.url}/v1/accounts?limit=5&limit=6", headers=write_headers),
                               400, "/validation")
        assert body["errors"][0]["field"] == "limit" and body["errors"][0]["source"] == "query"
        assert "more than once" in body["errors"][0]["message"]

    def test_bad_path_parameter_is_400(self, example, write_headers):
        body = _assert_problem(httpx.get(f"{example.url}/v1/accounts/not-an-id", headers=write_headers),
                               400, "/validation")
        assert body["errors"][0]["field"] == "account_id"

    def test_missing_account_is_404_problem(self, example, write_headers):
        body = _assert_problem(httpx.get(f"{example.url}/v1/accounts/acct_{'0' * 20}", headers=write_headers),
                               404, "/not-found")
        assert "acct_" in body["detail"]


class TestHeaderAndLabelSafety:
    def test_path_values_cannot_inject_into_deprecation_headers(self, example, write_headers):
        for raw in ("x%3E%3B%20rel%3D%22evil%22", "x%0d%0aSet-Cookie:%20a=b"):
            response = httpx.get(f"{example.url}/v1/account-lookup/{raw}", headers=write_headers)
            assert response.status_code == 400
            assert "link" not in response.headers and "set-cookie" not in response.headers
