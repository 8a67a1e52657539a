"""Property-based contract testing of the ERP API from its own OpenAPI document, with the NetSuite sandbox running.

Schemathesis generates valid and invalid requests for every operation and checks that the API never answers
5xx, answers only documented statuses and content types, that bodies match their schemas, and that invalid
input is rejected.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.generation import GenerationMode

from services.system.erp.app import create_app
from services.system.erp.settings import ErpSettings
from tests.conftest import REDIS_URL
from tests.support.contract_fuzzing import fuzz_operation, run_stateful_flows


def _operations() -> list[tuple[str, str]]:
    paths = create_app(ErpSettings()).openapi_schema.to_schema()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() for method in item)


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def erp_schema(_netsuite_sandbox, issuer, module_key_prefix):
    _netsuite_sandbox.reset()
    _netsuite_sandbox.item("PLAT-SEAT")
    settings_ = ErpSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=module_key_prefix,
                            **_netsuite_sandbox.settings())
    yield schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings_))
    _netsuite_sandbox.reset()


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_its_contract(erp_schema, issuer, method, path, mode):
    fuzz_operation(erp_schema, method, path, mode, issuer.token("erp:read erp:write", audience="erp"), max_examples=15)


def test_stateful_flows_honour_the_contract(erp_schema, issuer):
    run_stateful_flows(erp_schema.app, issuer.token("erp:read erp:write", audience="erp"),
                       {"upsertCustomerV1": {"getCustomerV1"}})
