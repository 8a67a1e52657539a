"""Property-based contract testing of the example service from its own OpenAPI document.

Schemathesis generates valid and invalid requests for every operation and checks that the service never
answers 5xx, answers only documented status codes and content types, that response bodies match their
schemas, and that invalid input is rejected. Requests go through the whole stack (auth, idempotency,
problems) in-process. A stateful run follows the document's links: create -> read -> update an account.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from schemathesis.generation import GenerationMode

from services.example.app import create_app
from services.example.settings import ExampleSettings
from tests.conftest import REDIS_URL
from tests.support.contract_fuzzing import fuzz_operation, run_stateful_flows

CONTRACT = Path(__file__).resolve().parents[2] / "contracts" / "openapi" / "example.v1.json"
OPERATIONS = sorted((method.upper(), path) for path, item in json.loads(CONTRACT.read_text())["paths"].items()
                    for method in item if not path.startswith("/v1/relay"))


@pytest.fixture(scope="module")
def example_schema(issuer, module_key_prefix):
    settings_ = ExampleSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=module_key_prefix)
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings_))


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_its_contract(example_schema, issuer, method, path, mode):
    fuzz_operation(example_schema, method, path, mode, issuer.token("example:read example:write"), max_examples=25)


def test_stateful_flows_honour_the_contract(example_schema, issuer):
    run_stateful_flows(example_schema.app, issuer.token("example:read example:write"), {
        "createAccountV1": {"getAccountV1", "updateAccountV1"},
        "getAccountV1": {"updateAccountV1"},
        "updateAccountV1": {"getAccountV1"},
    })
