"""Property-based contract testing of the quote-to-cash process API from its own OpenAPI document.

Schemathesis generates valid and invalid requests for every operation and checks that the API never
answers 5xx, answers only documented statuses and content types, that bodies match their schemas, and that
invalid input is rejected. Workers are off: started workflows are recorded, not run, so no system API is
needed and every route still answers from real Redis state.
"""

from __future__ import annotations

import pytest
import schemathesis

from services.process.quote_to_cash.app import create_app
from services.process.quote_to_cash.settings import QuoteToCashSettings
from tests.conftest import REDIS_URL
from tests.support.contract_fuzzing import MODES, fuzz_operation, operations_of, run_stateful_flows

OPERATIONS = operations_of(create_app(QuoteToCashSettings()))
# The document admits any `kind` matching a pattern, the API only its registered workflows, so a generated start
# rarely succeeds and these links are walked only when one does.
_UNREACHED = frozenset({"startWorkflowV1 -> getWorkflowV1", "startWorkflowV1 -> cancelWorkflowV1",
                        "getWorkflowV1 -> cancelWorkflowV1"})


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
    }, best_effort=_UNREACHED)
