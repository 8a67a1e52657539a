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


def test_a_hand_start_with_an_input_not_of_the_workflows_shape_is_a_400_naming_the_field(process_schema, issuer,
                                                                                          module_key_prefix):
    token = issuer.token("quote_to_cash:read quote_to_cash:write", audience="quote_to_cash")
    settings = QuoteToCashSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=module_key_prefix,
                                   workers=0)
    cases = [("activation", {}, "input.opportunity", "required"),
             ("activation", {"opportunity": "006x", "customer": {}}, "input.opportunity", "Expected `object`"),
             ("activation", {"opportunity": {}}, "input.customer", "required"),
             ("invoice_sync", {"invoice_id": 7}, "input.invoice_id", "Expected `str`")]
    headers = {"Authorization": f"Bearer {token}"}
    with serve_in_thread(create_app(settings)) as server:
        for kind, given, field, message in cases:
            subject = f"shape-{uuid.uuid4().hex[:12]}"
            answer = httpx.post(f"{server.url}/v1/workflows", json={"kind": kind, "subject": subject, "input": given},
                                headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
            assert answer.status_code == 400, (kind, given, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            [error] = answer.json()["errors"]
            assert error["field"] == field and error["message"].startswith(message), error
            assert httpx.get(f"{server.url}/v1/workflows/{kind}:{subject}", headers=headers).status_code == 404
        # A repeat of a start stored earlier answers 200 with that run, whatever its input (idempotent by id).
        subject = f"shape-{uuid.uuid4().hex[:12]}"
        first = httpx.post(f"{server.url}/v1/workflows", json={"kind": "invoice_sync", "subject": subject,
                                                              "input": {"invoice_id": "in_1"}},
                           headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        again = httpx.post(f"{server.url}/v1/workflows", json={"kind": "invoice_sync", "subject": subject,
                                                              "input": {}},
                           headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        assert (first.status_code, again.status_code) == (201, 200), again.text
        assert again.json()["input"] == {"invoice_id": "in_1"}
