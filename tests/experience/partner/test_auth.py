"""Who may call the partner API: a partner client's token for this API, unexpired, bound to a tenant.

Every refusal is an RFC 9457 problem with an RFC 6750 challenge, and says nothing about the resource asked
for: a refused request learns nothing about what exists.
"""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

ROUTES = [("GET", "/v1/orders"), ("GET", "/v2/invoices/in_123"), ("POST", "/v2/orders"),
          ("GET", "/v1/webhooks"), ("POST", "/v1/usage")]


def _call(url: str, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, url + path, headers={**headers, "Idempotency-Key": "k-1"}, json={}, timeout=30)


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 401 and problem["type"].endswith("/unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "data" not in problem


class TestRefusedTokens:
    @pytest.mark.parametrize(("method", "path"), ROUTES)
    def test_missing_token(self, replicas, method, path):
        _assert_unauthorized(_call(replicas[0], method, path, None))

    @pytest.mark.parametrize(("method", "path"), ROUTES)
    def test_expired_token(self, replicas, partner_issuer, method, path):
        response = _call(replicas[1], method, path, partner_issuer.expired_token("partner-a"))
        _assert_unauthorized(response)
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    @pytest.mark.parametrize(("method", "path"), ROUTES)
    def test_token_for_another_audience(self, replicas, partner_issuer, method, path):
        token = partner_issuer.token("quote_to_cash:read", audience="quote_to_cash", client_id="partner-wide",
                                     secret="partner-wide-secret")
        response = _call(replicas[0], method, path, token)
        _assert_unauthorized(response)
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    def test_token_signed_by_another_key(self, replicas, partner_issuer):
        genuine = partner_issuer.partner_token("partner-a")
        claims = jwt.decode(genuine, ECKey.import_key(partner_issuer.keys["keys"][0])).claims
        header = {"alg": "ES256", "kid": partner_issuer.keys["keys"][0]["kid"], "typ": "at+jwt"}
        forged = jwt.encode(header, claims, ECKey.generate_key("P-256"), algorithms=["ES256"])
        _assert_unauthorized(_call(replicas[0], "GET", "/v1/orders", forged))

    def test_garbage_token(self, replicas):
        _assert_unauthorized(_call(replicas[1], "GET", "/v2/orders", "not-a-jwt"))


class TestTenantBinding:
    def test_token_without_tenant_is_forbidden(self, replicas, partner_issuer):
        token = partner_issuer.partner_token("partner-internal")
        response = _call(replicas[0], "GET", "/v2/customers", token)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "tenant" in response.json()["detail"]

    def test_read_only_token_cannot_write(self, replicas, partner_issuer):
        token = partner_issuer.partner_token("partner-a", scope="partner:read")
        assert _call(replicas[0], "GET", "/v2/webhooks", token).status_code == 200
        response = _call(replicas[0], "POST", "/v2/webhooks", token)
        assert response.status_code == 403, response.text
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]

    def test_valid_partner_token_is_served(self, replicas, partner_issuer):
        token = partner_issuer.partner_token("partner-a")
        for url in replicas:
            assert _call(url, "GET", "/v2/webhooks", token).status_code == 200


class TestPublicPages:
    def test_docs_and_schema_need_no_token(self, replicas):
        docs = httpx.get(f"{replicas[0]}/docs", timeout=30)
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert "/schema/openapi.json" in docs.text
        schema = httpx.get(f"{replicas[0]}/schema/openapi.json", timeout=30).json()
        assert schema["info"]["title"] == "partner"
        assert {"/v1/orders", "/v2/orders", "/v2/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"} <= set(
            schema["paths"])
