"""The built-in issuer over real HTTP: client-credentials grant, errors on the OAuth wire, JWKS, metadata.

The issuer runs with its documented dev clients (no client configured), as `revflow up` starts it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from joserfc import jws

from revflow.commands.token import token as token_command
from services.runtime.auth import AccessTokenVerifier
from services.runtime.auth.issuer import IssuerSettings, create_app
from services.runtime.auth.issuer.clients import DEV_SCOPES, load_clients
from services.runtime.settings import from_env
from services.runtime.testing import RunningServer, free_port, serve_in_thread

DEV = ("revflow-dev", "revflow-dev-secret")
ADMIN = "issuer-admin-secret"


@pytest.fixture(scope="module")
def issuer() -> Iterator[RunningServer]:
    port = free_port()
    settings = IssuerSettings(issuer_url=f"http://127.0.0.1:{port}", admin_secret=ADMIN)
    with serve_in_thread(create_app(settings), port=port) as server:
        yield server


def grant(issuer: RunningServer, auth: tuple[str, str] | None = DEV, **form: str) -> httpx.Response:
    return httpx.post(f"{issuer.url}/oauth/token", data={"grant_type": "client_credentials", **form}, auth=auth)


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    compact = jws.extract_compact(token.encode())
    return dict(compact.headers()), json.loads(compact.payload)


def oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


class TestClientAuthentication:
    def test_basic(self, issuer: RunningServer) -> None:
        response = grant(issuer, audience="billing")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        # nothing requested: all allowed for the audience
        assert sorted(body["scope"].split()) == sorted(s for s in DEV_SCOPES if s.startswith("billing:"))
        assert response.headers["cache-control"] == "no-store"

    def test_form_post(self, issuer: RunningServer) -> None:
        response = grant(issuer, auth=None, client_id=DEV[0], client_secret=DEV[1], audience="crm")
        assert response.status_code == 200, response.text
        assert parts(response.json()["access_token"])[1]["client_id"] == DEV[0]

    def test_basic_credentials_are_form_urlencoded(self, issuer: RunningServer) -> None:
        raw = base64.b64encode(b"revflow-dev:revflow%2Ddev%2Dsecret").decode()
        response = httpx.post(f"{issuer.url}/oauth/token", data={"grant_type": "client_credentials", "audience": "crm"},
                              headers={"Authorization": f"Basic {raw}"})
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("auth", [("revflow-dev", "wrong"), ("nobody", "revflow-dev-secret")])
    def test_wrong_secret_or_unknown_client_is_invalid_client(self, auth: tuple[str, str],
                                                              issuer: RunningServer) -> None:
        response = grant(issuer, auth=auth)
        oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"] == 'Basic realm="revflow"'

    def test_wrong_form_secret_is_invalid_client(self, issuer: RunningServer) -> None:
        oauth_error(grant(issuer, auth=None, client_id=DEV[0], client_secret="wrong"), 401, "invalid_client")

    def test_no_client_authentication_is_invalid_client(self, issuer: RunningServer) -> None:
        oauth_error(grant(issuer, auth=None, client_id=DEV[0]), 401, "invalid_client")

    def test_two_methods_at_once_is_invalid_request(self, issuer: RunningServer) -> None:
        oauth_error(grant(issuer, client_id=DEV[0], client_secret=DEV[1]), 400, "invalid_request")


class TestGrant:
    def test_unsupported_grant_type(self, issuer: RunningServer) -> None:
        response = httpx.post(f"{issuer.url}/oauth/token", data={"grant_type": "password"}, auth=DEV)
        oauth_error(response, 400, "unsupported_grant_type")

    def test_missing_grant_type(self, issuer: RunningServer) -> None:
        oauth_error(httpx.post(f"{issuer.url}/oauth/token", data={}, auth=DEV), 400, "invalid_request")

    def test_json_body_is_invalid_request(self, issuer: RunningServer) -> None:
        response = httpx.post(f"{issuer.url}/oauth/token", json={"grant_type": "client_credentials"}, auth=DEV)
        oauth_error(response, 400, "invalid_request")

    def test_scope_is_narrowed_to_the_allowed_ones(self, issuer: RunningServer) -> None:
        auth = ("revflow-ops_console", "revflow-ops_console-dev-secret")
        response = grant(issuer, auth, scope="quote_to_cash:read billing:write")
        assert response.status_code == 200, response.text
        assert response.json()["scope"] == "quote_to_cash:read"
        assert parts(response.json()["access_token"])[1]["scope"] == "quote_to_cash:read"

    def test_only_disallowed_scopes_is_invalid_scope(self, issuer: RunningServer) -> None:
        auth = ("revflow-ops_console", "revflow-ops_console-dev-secret")
        oauth_error(grant(issuer, auth, scope="billing:write"), 400, "invalid_scope")

    @pytest.mark.parametrize(("form", "aud"), [({"audience": "billing"}, "billing"),
                                               ({"resource": "crm"}, "crm")])
    def test_audience_or_resource_selects_aud(self, form: dict[str, str], aud: Any, issuer: RunningServer) -> None:
        response = grant(issuer, **form)
        assert parts(response.json()["access_token"])[1]["aud"] == aud

    def test_disallowed_audience_is_invalid_target(self, issuer: RunningServer) -> None:
        auth = ("revflow-crm_panel", "revflow-crm_panel-dev-secret")
        oauth_error(grant(issuer, auth, audience="billing"), 400, "invalid_target")

    def test_partner_token_carries_its_tenant(self, issuer: RunningServer) -> None:
        response = grant(issuer, ("partner-acme", "partner-acme-dev-secret"))
        claims = parts(response.json()["access_token"])[1]
        assert (claims["tenant"], claims["aud"], claims["sub"]) == ("acme", "partner", "partner-acme")


class TestIssuedToken:
    async def test_verifies_against_the_published_jwks(self, issuer: RunningServer) -> None:
        token = grant(issuer, scope="billing:read", audience="billing").json()["access_token"]
        header, claims = parts(token)
        assert (header["alg"], header["typ"]) == ("ES256", "at+jwt")
        assert claims["exp"] - claims["iat"] == 900
        assert claims["nbf"] == claims["iat"]
        verifier = AccessTokenVerifier.from_issuer(issuer.url, audience="billing")
        principal = await verifier.verify(token)
        assert (principal.subject, principal.client_id, principal.scopes) == (DEV[0], DEV[0], {"billing:read"})
        assert principal.token_id == claims["jti"]

    def test_jwks_holds_public_keys_only(self, issuer: RunningServer) -> None:
        keys = httpx.get(f"{issuer.url}/.well-known/jwks.json").json()["keys"]
        assert keys
        assert all(key["kty"] == "EC" and "d" not in key and key["kid"] for key in keys)

    def test_metadata(self, issuer: RunningServer) -> None:
        meta = httpx.get(f"{issuer.url}/.well-known/oauth-authorization-server").json()
        assert meta["issuer"] == issuer.url
        assert meta["token_endpoint"] == f"{issuer.url}/oauth/token"
        assert meta["jwks_uri"] == f"{issuer.url}/.well-known/jwks.json"
        assert meta["grant_types_supported"] == ["client_credentials"]
        assert meta["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
        assert set(meta["scopes_supported"]) == set(DEV_SCOPES)

    def test_health(self, issuer: RunningServer) -> None:
        assert httpx.get(f"{issuer.url}/health").json() == {"status": "ok"}


class TestRotation:
    def test_rotate_needs_the_admin_secret(self, issuer: RunningServer) -> None:
        response = httpx.post(f"{issuer.url}/admin/rotate", headers={"Authorization": "Bearer wrong"})
        assert response.status_code == 401
        assert response.json()["detail"] == "admin secret required"

    def test_rotate_publishes_a_new_kid_and_signs_with_it(self, issuer: RunningServer) -> None:
        before = {key["kid"] for key in httpx.get(f"{issuer.url}/.well-known/jwks.json").json()["keys"]}
        kid = httpx.post(f"{issuer.url}/admin/rotate", headers={"Authorization": f"Bearer {ADMIN}"}).json()["kid"]
        after = {key["kid"] for key in httpx.get(f"{issuer.url}/.well-known/jwks.json").json()["keys"]}
        assert kid not in before
        assert after == before | {kid}
        assert parts(grant(issuer, audience="crm").json()["access_token"])[0]["kid"] == kid

    def test_rotation_is_off_without_an_admin_secret(self) -> None:
        with serve_in_thread(create_app(IssuerSettings())) as server:
            assert httpx.post(f"{server.url}/admin/rotate", headers={"Authorization": "Bearer x"}).status_code == 404


class TestConfiguration:
    def test_clients_from_the_environment(self) -> None:
        clients = [{"client_id": "c1", "client_secret": "s1", "scopes": ["a:read"], "audiences": ["a"]}]
        environ = {"REVFLOW_ISSUER_CLIENTS": json.dumps(clients), "REVFLOW_ISSUER_URL": "http://issuer:8100",
                   "REVFLOW_ISSUER_TOKEN_TTL_SECONDS": "60"}
        settings = from_env(IssuerSettings, "REVFLOW_ISSUER_", environ)
        assert (settings.issuer_url, settings.token_ttl_seconds) == ("http://issuer:8100", 60)
        assert list(load_clients(settings)) == ["c1"]

    def test_clients_from_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "clients.json"
        path.write_text(json.dumps([{"client_id": "c2", "client_secret": "s2", "tenant": "t"}]))
        assert load_clients(IssuerSettings(clients_file=str(path)))["c2"].tenant == "t"


class TestTokenCommand:
    def test_prints_a_token_for_a_dev_client(self, issuer: RunningServer) -> None:
        result = CliRunner().invoke(token_command, ["--client", "revflow-dev", "--scope", "crm:read",
                                                    "--audience", "crm", "--issuer-url", issuer.url],
                                    env={"REVFLOW_CLIENT_SECRET": None})
        assert result.exit_code == 0, result.output
        claims = parts(result.output.strip())[1]
        assert (claims["scope"], claims["aud"]) == ("crm:read", "crm")

    def test_wrong_secret_fails_with_the_reason(self, issuer: RunningServer) -> None:
        result = CliRunner().invoke(token_command, ["--client", "revflow-dev", "--secret", "nope",
                                                    "--issuer-url", issuer.url])
        assert result.exit_code == 1
        assert "HTTP 401 unknown client or wrong secret" in result.output
