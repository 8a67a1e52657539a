"""One audience per token (RFC 8707), over real HTTP: the dev issuer as `revflow up` starts it, two services.

A token for one service must not open its siblings. The issuer names exactly one audience in every token and
refuses a request that leaves the choice to it; a service refuses a token issued for another one even when
the token's scopes would do.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar import get

from revflow.commands.token import token as token_command
from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.auth import requires
from services.runtime.auth.issuer import IssuerSettings, create_app
from services.runtime.settings import RuntimeSettings
from services.runtime.testing import RunningServer, free_port, serve_in_thread
from services.runtime.versioning import versioned_router
from tests.conftest import REDIS_URL

QUOTE_TO_CASH = ("revflow-quote_to_cash", "revflow-quote_to_cash-dev-secret")
"""A dev client allowed several services: crm, erp, billing, revrec."""
OPS_CONSOLE = ("revflow-ops_console", "revflow-ops_console-dev-secret")
"""A dev client allowed one service: quote_to_cash."""


@pytest.fixture(scope="module")
def issuer() -> Iterator[RunningServer]:
    port = free_port()
    with serve_in_thread(create_app(IssuerSettings(issuer_url=f"http://127.0.0.1:{port}")), port=port) as server:
        yield server


def service(name: str, issuer_url: str) -> Any:
    """A service built like every revflow service, named ``name`` (its audience), with one guarded route."""

    @get("/ping", guards=[requires(f"{name}:read")], sync_to_thread=False)
    def ping() -> dict[str, str]:
        return {"service": name}

    settings = RuntimeSettings(service_name=name, issuer_url=issuer_url, redis_url=REDIS_URL,
                               key_prefix="test:audience-no-writes:")
    return create_service_app(ServiceSpec(name=name, routers=[versioned_router(1, [ping])]), settings)


def grant(issuer: RunningServer, auth: tuple[str, str], **form: str | list[str]) -> httpx.Response:
    return httpx.post(f"{issuer.url}/oauth/token", data={"grant_type": "client_credentials", **form}, auth=auth)


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def invalid_target(response: httpx.Response) -> str:
    """The refusal's description, once it is checked to be an RFC 8707 ``invalid_target``."""
    assert response.status_code == 400, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "invalid_target"
    return str(response.json()["error_description"])


class TestIssuer:
    def test_no_audience_from_a_client_of_several_services_is_refused(self, issuer: RunningServer) -> None:
        description = invalid_target(grant(issuer, QUOTE_TO_CASH, scope="crm:read"))
        assert description.endswith("allowed audiences: crm, erp, billing, revrec")

    def test_no_audience_from_a_client_of_one_service_gets_that_one(self, issuer: RunningServer) -> None:
        response = grant(issuer, OPS_CONSOLE)
        assert response.status_code == 200, response.text
        assert claims(response.json()["access_token"])["aud"] == "quote_to_cash"

    @pytest.mark.parametrize("form", [{"audience": "crm erp"}, {"resource": ["crm", "erp"]},
                                      {"audience": "crm", "resource": "erp"}])
    def test_several_audiences_are_refused(self, form: dict[str, Any], issuer: RunningServer) -> None:
        description = invalid_target(grant(issuer, QUOTE_TO_CASH, **form))
        assert "one audience, not several" in description
        assert sorted(description.split("(")[1].split(")")[0].split(", ")) == ["crm", "erp"]

    def test_the_same_audience_named_twice_is_one(self, issuer: RunningServer) -> None:
        response = grant(issuer, QUOTE_TO_CASH, audience="crm", resource="crm")
        assert response.status_code == 200, response.text
        assert claims(response.json()["access_token"])["aud"] == "crm"


class TestScopesPerAudience:
    """A token carries only the scopes of its own audience, though the client holds scopes for several."""

    def test_a_token_lists_only_its_audience_s_scopes(self, issuer: RunningServer) -> None:
        response = grant(issuer, QUOTE_TO_CASH, audience="crm")
        assert response.status_code == 200, response.text
        assert sorted(claims(response.json()["access_token"])["scope"].split()) == ["crm:read", "crm:write"]
        assert sorted(response.json()["scope"].split()) == ["crm:read", "crm:write"]

    def test_requested_scopes_of_another_audience_are_not_granted(self, issuer: RunningServer) -> None:
        response = grant(issuer, QUOTE_TO_CASH, audience="crm", scope="crm:read erp:write")
        assert response.status_code == 200, response.text
        assert claims(response.json()["access_token"])["scope"] == "crm:read"
        assert response.json()["scope"] == "crm:read", "the answer says what was granted (RFC 6749 3.3)"

    def test_only_scopes_of_another_audience_is_invalid_scope(self, issuer: RunningServer) -> None:
        response = grant(issuer, QUOTE_TO_CASH, audience="crm", scope="erp:read erp:write")
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_scope"
        assert "audience crm" in response.json()["error_description"]


def test_a_token_for_one_service_is_refused_by_its_sibling(issuer: RunningServer) -> None:
    token = grant(issuer, QUOTE_TO_CASH, audience="crm").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with serve_in_thread(service("crm", issuer.url)) as crm, serve_in_thread(service("erp", issuer.url)) as erp:
        assert httpx.get(f"{crm.url}/v1/ping", headers=headers).json() == {"service": "crm"}
        refused = httpx.get(f"{erp.url}/v1/ping", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"] == "wrong audience"
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


class TestTokenCommand:
    def test_audience_is_required_for_a_client_of_several_services(self, issuer: RunningServer) -> None:
        result = CliRunner().invoke(token_command, ["--client", QUOTE_TO_CASH[0], "--issuer-url", issuer.url],
                                    env={"REVFLOW_CLIENT_SECRET": None})
        assert result.exit_code == 2, result.output
        assert "give --audience" in result.output
        assert "crm, erp, billing, revrec" in result.output

    def test_a_client_of_one_service_needs_none(self, issuer: RunningServer) -> None:
        result = CliRunner().invoke(token_command, ["--client", OPS_CONSOLE[0], "--issuer-url", issuer.url],
                                    env={"REVFLOW_CLIENT_SECRET": None})
        assert result.exit_code == 0, result.output
        assert claims(result.output.strip())["aud"] == "quote_to_cash"
