"""Fixtures: the example service served over real HTTP against the session's issuer and a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.example.app import create_app
from services.example.settings import ExampleSettings
from services.runtime.testing import RunningServer, serve_in_thread
from tests.conftest import REDIS_URL


@pytest.fixture
def example_settings(issuer, key_prefix) -> ExampleSettings:
    return ExampleSettings(issuer_url=issuer.url, key_prefix=key_prefix, redis_url=REDIS_URL)


@pytest.fixture
def example(example_settings, redis) -> Iterator[RunningServer]:
    with serve_in_thread(create_app(example_settings)) as server:
        yield server


@pytest.fixture
def write_headers(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token('example:read example:write')}"}
