"""Property-based contract testing of the quote-to-cash process API from its own OpenAPI document.

Schemathesis generates valid and invalid requests for every operation and checks that the API never
answers 5xx, answers only documented statuses and content types, that bodies match their schemas, and that
invalid input is rejected. Workers are off: started workflows are recorded, not run, so no system API is
needed and every route still answers from real Redis state.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
import schemathesis

from services.process.quote_to_cash.app import create_app
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL
from tests.support.contract_fuzzing import MODES, fuzz_operation, operations_of, run_stateful_flows

OPERATIONS = operations_of(create_app(QuoteToCashSettings()))


@pytest.fixture(scope="module")
def process_schema(issuer, module_key_prefix):
    settings = QuoteToCashSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=module_key_prefix,
                                   workers=0)
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings))


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_its_contract(process_schema, issuer, method, path, mode):
    token = issuer.token("quote_to_cash:read quote_to_cash:write", audience="quote_to_cash")
    fuzz_operation(process_schema, method, path, mode, token)


def test_stateful_flows_honour_the_contract(process_schema, issuer):
    token = issuer.token("quote_to_cash:read quote_to_cash:write", audience="quote_to_cash")
    run_stateful_flows(process_schema.app, token, {
        "startWorkflowV1": {"getWorkflowV1", "cancelWorkflowV1"},
        "getWorkflowV1": {"cancelWorkflowV1"},
    })


def test_a_repeated_start_answers_200_with_the_first_run_as_documented(process_schema, issuer,
                                                                       module_key_prefix):
    token = issuer.token("quote_to_cash:read quote_to_cash:write", audience="quote_to_cash")
    document = process_schema.raw_schema["paths"]["/v1/workflows"]["post"]["responses"]
    assert {"200", "201"} <= document.keys()
    body = {"kind": "reconciliation", "subject": "period-2031-01", "id": f"reconciliation:{uuid.uuid4().hex}",
            "input": {}}
    settings = QuoteToCashSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=module_key_prefix,
                                   workers=0)
    with serve_in_thread(create_app(settings)) as server:
        answers = [httpx.post(f"{server.url}/v1/workflows", json=body, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200], answers[-1].text
    assert answers[1].json()["id"] == answers[0].json()["id"] == body["id"]
    assert answers[1].json()["created_at"] == answers[0].json()["created_at"]
