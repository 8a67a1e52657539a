"""Property-based contract testing of the revrec API from its own OpenAPI document.

Schemathesis generates valid and invalid requests for every operation (enumerated from the running app's
schema, so the test does not wait for the committed contract file) and checks that the service never
answers 5xx, answers only documented status codes and content types, that bodies match their schemas, and
that invalid input is rejected. Requests go through the whole stack (auth, idempotency, problems) in-process.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.generation import GenerationMode

from services.system.revrec.app import create_app
from services.system.revrec.settings import RevrecSettings
from tests.conftest import REDIS_URL, delete_keys
from tests.support.contract_fuzzing import fuzz_operation, run_stateful_flows

# The document admits contracts the service rejects (any three capitals as a currency, empty obligation ids), so a
# generated registration rarely succeeds and these links are walked only when one does.
_UNREACHED = frozenset({"registerContractV1 -> getContractV1", "registerContractV1 -> modifyContractV1",
                        "getContractV1 -> modifyContractV1"})
OPERATIONS = sorted((method.upper(), path)
                    for path, item in create_app(RevrecSettings()).openapi_schema.to_schema()["paths"].items()
                    for method in item)


@pytest.fixture(scope="module")
def revrec_schema(issuer) -> Iterator[schemathesis.schemas.BaseSchema]:
    prefix = f"test:{uuid.uuid4().hex[:12]}:schemathesis:"
    app = create_app(RevrecSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=prefix))
    yield schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    delete_keys(prefix)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_its_contract(revrec_schema, issuer, method, path, mode):
    bearer = issuer.token("revrec:read revrec:write", audience="revrec")
    fuzz_operation(revrec_schema, method, path, mode, bearer, max_examples=25)


def test_stateful_flows_honour_the_contract(revrec_schema, issuer):
    run_stateful_flows(revrec_schema.app, issuer.token("revrec:read revrec:write", audience="revrec"), {
        "registerContractV1": {"getContractV1", "modifyContractV1"},
        "getContractV1": {"modifyContractV1"},
    }, best_effort=_UNREACHED)
