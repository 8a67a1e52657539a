"""Property-based contract testing of the CRM API from its own OpenAPI document, per vendor.

Schemathesis generates valid and invalid requests for every operation (the webhook route aside: it is
authenticated by the vendor's signature, which generated requests cannot carry) and checks that the API
never answers 5xx, answers only documented statuses and content types, that bodies match their schemas,
and that invalid input is rejected. The vendor's sandbox runs, so valid requests can really succeed.
"""

from __future__ import annotations

import pytest
import schemathesis

from services.system.crm.app import create_app
from services.system.crm.settings import CrmSettings
from tests.conftest import REDIS_URL
from tests.support.contract_fuzzing import MODES, fuzz_operation, operations_of
from tests.system.crm.conftest import VENDORS

OPERATIONS = operations_of(create_app(CrmSettings(salesforce_access_token="schema")), skip_prefix="/v1/webhooks/")


@pytest.fixture(scope="module", params=VENDORS)
def crm_schema(request, issuer, module_key_prefix):
    sandbox = request.getfixturevalue(f"_{request.param}_sandbox")
    sandbox.reset()
    settings_ = CrmSettings(issuer_url=issuer.url, redis_url=REDIS_URL, **sandbox.settings(),
                              key_prefix=f"{module_key_prefix}{request.param}:")
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings_))


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_its_contract(crm_schema, issuer, method, path, mode):
    fuzz_operation(crm_schema, method, path, mode, issuer.token("crm:read crm:write", audience="crm"))
