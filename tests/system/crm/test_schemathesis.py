"""Property-based contract testing of the CRM API from its own OpenAPI document, per vendor.

Schemathesis generates valid and invalid requests for every operation (the webhook route aside: it is
authenticated by the vendor's signature, which generated requests cannot carry) and checks that the API
never answers 5xx, answers only documented statuses and content types, that bodies match their schemas,
and that invalid input is rejected. The vendor's sandbox runs, so valid requests can really succeed.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from services.system.crm.app import create_app
from services.system.crm.settings import CrmSettings
from tests.conftest import REDIS_URL
from tests.system.crm.conftest import VENDORS

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


def _operations() -> list[tuple[str, str]]:
    app = create_app(CrmSettings(salesforce_access_token="schema"))
    paths = app.openapi_schema.to_schema()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() for method in item
                  if not path.startswith("/v1/webhooks/"))


OPERATIONS = _operations()


@pytest.fixture(scope="module", params=VENDORS)
def crm_schema(request, issuer, module_key_prefix):
    sandbox = request.getfixturevalue(f"_{request.param}_sandbox")
    sandbox.reset()
    settings_ = CrmSettings(issuer_url=issuer.url, redis_url=REDIS_URL, **sandbox.settings(),
                                key_prefix=f"{module_key_prefix}{request.param}:")
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings_))


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_its_contract(crm_schema, issuer, method, path, mode):
    bearer = issuer.token("crm:read crm:write", audience="crm")
    operation = crm_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        headers = {**(case.headers or {}), "Authorization": f"Bearer {bearer}"}
        if method == "POST" and mode is GenerationMode.POSITIVE:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
