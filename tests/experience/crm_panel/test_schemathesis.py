"""Property-based contract testing of the CRM panel from its own OpenAPI document, over a real process API.

Schemathesis generates valid and invalid requests for both routes and checks that the panel never answers
5xx, answers only documented statuses and content types, that bodies match their schemas, and that invalid
input is rejected. The Salesforce route is called with a panel token. The HubSpot route is signed the way
HubSpot signs it, over the exact request schemathesis sends (a requests auth hook sees the final URL and body),
whenever the generated signature headers are well-formed; malformed ones are sent as generated and must be
refused. The process API runs without workers: deals the fuzzer names are unknown to it, which the panel
must answer as a 404 problem (Salesforce) or an empty card (HubSpot).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from services.experience.crm_panel.app import create_app
from services.experience.crm_panel.settings import CrmPanelSettings
from services.process.quote_to_cash.app import create_app as create_process
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL
from tests.experience.crm_panel.conftest import HUBSPOT_SECRET, hubspot_signature, panel_settings
from tests.support.contract_fuzzing import CHECKS, MODES, examples, fuzz_operation, operations_of

OPERATIONS = operations_of(create_app(CrmPanelSettings()))
HUBSPOT = ("GET", "/v1/hubspot/card")
_WELL_FORMED = {"X-HubSpot-Request-Timestamp": re.compile(r"^[0-9]{1,15}$"),
                "X-HubSpot-Signature-v3": re.compile(r"^.{1,200}$", re.S)}


class HubSpotSigner(requests.auth.AuthBase):
    """Signs the prepared request as HubSpot would, when its generated signature headers are well-formed."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if all(pattern.match(str(request.headers.get(name, ""))) for name, pattern in _WELL_FORMED.items()):
            stamp = int(time.time() * 1000)
            body = request.body or b""
            body = body.encode() if isinstance(body, str) else body
            request.headers["X-HubSpot-Request-Timestamp"] = str(stamp)
            request.headers["X-HubSpot-Signature-v3"] = hubspot_signature(HUBSPOT_SECRET, request.method or "GET",
                                                                          str(request.url), body, stamp)
        return request


@pytest.fixture(scope="module")
def panel_schema(issuer, module_key_prefix) -> Iterator[schemathesis.schemas.BaseSchema]:
    process = QuoteToCashSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=module_key_prefix, workers=0)
    with serve_in_thread(create_process(process)) as server:
        app = create_app(panel_settings(issuer, module_key_prefix, server.url))
        yield schemathesis.openapi.from_asgi("/schema/openapi.json", app)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op != HUBSPOT],
                         ids=[f"{m} {p}" for m, p in OPERATIONS if (m, p) != HUBSPOT])
def test_operation_honours_its_contract(panel_schema, issuer, method, path, mode):
    fuzz_operation(panel_schema, method, path, mode, issuer.token("crm_panel:read", audience="crm_panel"))


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_hubspot_card_honours_its_contract_when_signed(panel_schema, mode):
    operation = panel_schema[HUBSPOT[1]][HUBSPOT[0]]
    session = requests.Session()
    session.auth = HubSpotSigner()
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:
        statuses.append(case.call_and_validate(session=session, checks=CHECKS).status_code)

    run()
    if mode is GenerationMode.POSITIVE:  # the signer made every valid case authentic: none was refused
        assert statuses and set(statuses) == {200}, statuses
