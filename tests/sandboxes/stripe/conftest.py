"""Fixtures for the Stripe sandbox suite: a real HTTP server, the official SDK, and spec validation.

Every response the sandbox sends during a test is recorded by an ASGI wrapper and validated, when the
test ends, against the response schema Stripe's OpenAPI spec gives for that operation and status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import stripe

from sandboxes.stripe import create_app
from services.runtime.testing import RunningServer, serve_in_thread

SPEC = Path(__file__).resolve().parent / "spec" / "stripe_responses.json"
API_KEY = "sk_test_revflow_sandbox"


@cache
def _spec() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.fail(f"{SPEC.name} is missing: run tests/sandboxes/stripe/spec/extract.py against "
                    "../shared/vendor-specs/stripe/spec3.json")
    return json.loads(SPEC.read_text(encoding="utf-8"))


@cache
def _operations() -> list[tuple[str, re.Pattern[str], str]]:
    ops = []
    for key in _spec()["operations"]:
        method, path = key.split(" ", 1)
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        ops.append((method.upper(), pattern, key))
    # Static paths before templated ones: /v1/customers/search must not match /v1/customers/{customer}.
    return sorted(ops, key=lambda op: op[2].count("{"))


@cache
def _validator(operation: str, status: str) -> jsonschema.Draft202012Validator:
    responses = _spec()["operations"][operation]
    schema = responses.get(status) or responses["default"]
    return jsonschema.Draft202012Validator({"$defs": _spec()["$defs"], **schema})


def spec_errors(method: str, path: str, status: int, body: Any) -> list[str]:
    """Schema violations of one response body (empty when it conforms)."""
    for op_method, pattern, key in _operations():
        if op_method == method and pattern.match(path):
            validator = _validator(key, "200" if status == 200 else "default")
            return [f"{key} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                    for e in validator.iter_errors(body)]
    if status >= 400:  # unknown URL or method: still Stripe's error body
        validator = jsonschema.Draft202012Validator({"$defs": _spec()["$defs"], "$ref": "#/$defs/error"})
        return [f"{method} {path} {status}: {e.message[:300]}" for e in validator.iter_errors(body)]
    return [f"{method} {path}: no operation in the spec"]


@pytest.fixture
def spec_check() -> Any:
    """``spec_check(method, path, status, body)`` -> list of schema violations."""
    return spec_errors


class Recorder:
    """ASGI wrapper keeping every Stripe API response (admin routes excluded)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.responses: list[tuple[str, str, int, bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        status, chunks = 0, []

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        self.responses.append((scope["method"], scope["path"], status, b"".join(chunks)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


@pytest.fixture(scope="session")
def sandbox_app() -> Any:
    """One Stripe sandbox app for the session (reset before each test)."""
    return create_app(seed=7)


@pytest.fixture(scope="session")
def recorder(sandbox_app: Any) -> Recorder:
    return Recorder(sandbox_app)


@pytest.fixture(scope="session")
def server(recorder: Recorder) -> Iterator[RunningServer]:
    with serve_in_thread(recorder) as running:
        yield running


@pytest.fixture
def admin(server: RunningServer) -> Iterator[httpx.Client]:
    """Plain HTTP client for the ``/__sandbox`` admin routes."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def _fresh_and_conformant(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty sandbox before each test; afterwards every recorded response must match the spec."""
    if "server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("server")
    recorder = request.getfixturevalue("recorder")
    httpx.post(f"{server.url}/__sandbox/reset", timeout=10).raise_for_status()
    recorder.responses.clear()
    yield
    problems = []
    for method, path, status, raw in recorder.responses:
        if status >= 500 and status != 500:
            continue
        problems += spec_errors(method, path, status, json.loads(raw) if raw else None)
    assert not problems, "responses outside Stripe's spec:\n" + "\n".join(problems[:20])


def _sdk(url: str, api_key: str = API_KEY, retries: int = 0) -> stripe.StripeClient:
    """The official SDK pointed at the sandbox: every base address changed, nothing else."""
    bases = {"api": url, "files": url, "connect": url, "meter_events": url}
    return stripe.StripeClient(api_key, base_addresses=bases, max_network_retries=retries)  # type: ignore[arg-type]


@pytest.fixture
def make_client(server: RunningServer) -> Any:
    """Factory: ``make_client(api_key=..., retries=...)`` -> an SDK client on the sandbox."""
    return lambda api_key=API_KEY, retries=0: _sdk(server.url, api_key, retries)


@pytest.fixture
def client(server: RunningServer) -> stripe.StripeClient:
    return _sdk(server.url)
