"""JSON bodies are read strictly over real HTTP: a value of the wrong JSON type is a 400 problem, never converted."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.runtime.settings import RuntimeSettings
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL
from tests.support.counter_service import create_counter_app


@pytest.fixture(scope="module")
def counter(issuer):
    settings = RuntimeSettings(service_name="test-a", issuer_url=issuer.url, key_prefix=f"test:{uuid.uuid4().hex}:",
                               redis_url=REDIS_URL)
    token = issuer.token("test-a:write", audience="test-a")
    with serve_in_thread(create_counter_app(settings)) as server, httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def _post(client: httpx.Client, body: object | bytes) -> httpx.Response:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if isinstance(body, bytes):
        return client.post("/v1/charges", content=body, headers={**headers, "Content-Type": "application/json"})
    return client.post("/v1/charges", json=body, headers=headers)


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({"amount": "12"}, "amount", "Expected `int`, got `str`"),
    ({"amount": 12, "fail": "false"}, "fail", "Expected `bool`, got `str`"),
    ({"amount": 12, "fail": 0}, "fail", "Expected `bool`, got `int`"),
    ({"amount": 12.5}, "amount", "Expected `int`, got `float`"),
    ({"amount": 12, "delay_ms": "5"}, "delay_ms", "Expected `int`, got `str`"),
], ids=["text for a number", "text for a flag", "number for a flag", "fraction for an integer", "second field"])
def test_a_value_of_the_wrong_json_type_is_refused_naming_the_field(counter, body, field, reason):
    response = _post(counter, body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith("/validation")
    assert problem["errors"] == [{"field": field, "source": "body", "message": reason}]


def test_constraints_and_missing_fields_are_still_named(counter):
    too_small = _post(counter, {"amount": 0}).json()
    assert too_small["errors"][0]["field"] == "amount"
    assert "Expected `int` >= 1" in too_small["errors"][0]["message"]
    missing = _post(counter, {"delay_ms": 1}).json()
    assert missing["errors"][0]["field"] == "amount"


def test_malformed_json_keeps_its_own_answer(counter):
    response = _post(counter, b'{"amount": ')
    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed-body")


def test_a_well_typed_body_is_served(counter):
    response = _post(counter, {"amount": 12, "fail": False})
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == 12


@pytest.mark.parametrize("body", [b"[1, 2", b'{"amount": "12", ', b'{"amount": 12, "fail": tru'])
def test_malformed_json_is_malformed_even_when_a_type_error_comes_first(counter, body):
    response = _post(counter, body)
    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed-body")
