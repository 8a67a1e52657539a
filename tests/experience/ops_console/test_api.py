"""The console's JSON API (``/v1``): the pages' data for the page script (session) and for programs (token).

Programs need a token for audience ``ops_console`` with ``ops_console:read``. The session's issuer serves no
such client, so those cases use a second issuer that does, with the console verifying its tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from litestar.testing import TestClient

from services.experience.ops_console.app import create_app
from services.runtime.auth.issuer.app import create_app as create_issuer
from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings
from services.runtime.auth.verify import AccessTokenVerifier
from services.runtime.testing import free_port, serve_in_thread
from tests.conftest import Issuer
from tests.experience.ops_console.harness import Console, console_settings


@pytest.fixture(scope="module")
def console_issuer() -> Iterator[Issuer]:
    """An issuer that serves tokens for the console: one reader, one client without the read scope."""
    port = free_port()
    settings = IssuerSettings(issuer_url=f"http://127.0.0.1:{port}", clients=(
        ClientConfig(client_id="ops-reader", client_secret="reader-secret", scopes=("ops_console:read",),
                     audiences=("ops_console",)),
        ClientConfig(client_id="ops-writer", client_secret="writer-secret", scopes=("ops_console:write",),
                     audiences=("ops_console",))))
    with serve_in_thread(create_issuer(settings), port=port) as server:
        yield Issuer(server.url)


@pytest.fixture(scope="module")
def blocked(console: Console) -> str:
    deal, _ = console.blocked_deal()
    return deal


class TestSessionCallers:
    def test_without_a_session_or_token_the_answer_is_a_401_problem(self, console: Console):
        with console.browser() as anonymous:
            response = anonymous.get("/v1/pipeline")
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].startswith("Bearer")

    def test_me_lists_the_roles_and_what_they_allow(self, console: Console):
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            assert browser.get("/v1/me").json() == {"username": "viewer", "name": "Vic Tanaka", "roles": ["viewer"],
                                                    "may": []}
        with console.browser() as browser:
            console.sign_in("billing", browser)
            assert browser.get("/v1/me").json()["may"] == ["replay"]

    def test_the_pipeline_is_the_process_pipeline(self, console: Console, blocked: str):
        expected = console.topology.process.get("/v1/deals", params={"business_status": "blocked_master_data"}).json()
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            body = browser.get("/v1/pipeline", params={"business_status": "blocked_master_data"}).json()
        assert body["counts"] == expected["counts"] and body["total"] == expected["total"]
        assert blocked in [row["opportunity_id"] for row in body["data"]]

    def test_the_deal_timeline_and_its_status_revision_match_the_page(self, console: Console, blocked: str):
        record = console.topology.workflow(f"activation:{blocked}")
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            deal = browser.get(f"/v1/deals/{blocked}").json()
            status = browser.get(f"/v1/deals/{blocked}/status").json()
            page = browser.get(f"/deals/{blocked}").text
        [flow] = deal["workflows"]
        assert [s["name"] for s in flow["steps"]] == [s["name"] for s in record["steps"]]
        assert (flow["exception"]["owner"], flow["exception"]["fix"]) == ("finance_ops", record["exception"]["fix"])
        assert status["business_status"] == "blocked_master_data" and status["settled"] is True
        assert re.search(rf'data-revision="{status["revision"]}"', page)
        assert status["revision"] == deal["revision"]

    def test_an_unknown_deal_is_a_404_problem(self, console: Console):
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            response = browser.get("/v1/deals/006NOSUCHDEAL/status")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_a_bad_revenue_range_is_a_400_problem(self, console: Console):
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            assert browser.get("/v1/revenue", params={"from": "2025-06", "to": "2025-01"}).status_code == 400
            assert browser.get("/v1/revenue", params={"from": "2025-6", "to": "2025-07"}).status_code == 400


class TestTokenCallers:
    def test_a_token_for_another_service_is_refused(self, console: Console, issuer):
        token = issuer.token("quote_to_cash:read", audience="quote_to_cash")
        response = httpx.get(f"{console.url}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    def test_a_reader_token_reads_and_a_token_without_the_scope_is_forbidden(self, console: Console, issuer,
                                                                             console_issuer, module_key_prefix,
                                                                             blocked: str):
        settings = console_settings(issuer, module_key_prefix, console.topology.urls["quote_to_cash"])
        verifier = AccessTokenVerifier.from_issuer(console_issuer.url, audience="ops_console")
        reader = console_issuer.token("ops_console:read", "ops_console", "ops-reader", "reader-secret")
        writer = console_issuer.token("ops_console:write", "ops_console", "ops-writer", "writer-secret")
        with TestClient(create_app(settings, verifier=verifier)) as client:
            me = client.get("/v1/me", headers={"Authorization": f"Bearer {reader}"})
            assert me.status_code == 200 and me.json()["roles"] == ["viewer"]
            rows = client.get("/v1/pipeline", params={"q": blocked}, headers={"Authorization": f"Bearer {reader}"})
            assert [r["opportunity_id"] for r in rows.json()["data"]] == [blocked]
            forbidden = client.get("/v1/me", headers={"Authorization": f"Bearer {writer}"})
            assert forbidden.status_code == 403 and "insufficient_scope" in forbidden.headers["www-authenticate"]
