"""Fixtures: the revrec API served over real HTTP against the session's issuer and a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import msgspec
import pytest

from services.runtime.testing import RunningServer, serve_in_thread
from services.system.revrec.app import create_app
from services.system.revrec.settings import RevrecSettings
from tests.conftest import REDIS_URL
from tests.system.revrec.api.helpers import RevrecClient


@pytest.fixture
def revrec_settings(issuer, key_prefix) -> RevrecSettings:
    return RevrecSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=key_prefix)


@pytest.fixture
def revrec_server(revrec_settings, redis) -> Iterator[RunningServer]:
    with serve_in_thread(create_app(revrec_settings)) as server:
        yield server


@pytest.fixture
def api(revrec_server, issuer) -> RevrecClient:
    return RevrecClient(revrec_server.url, issuer.token("revrec:read revrec:write", audience="revrec"))


@pytest.fixture
def serve_book(revrec_settings, redis, issuer) -> Iterator[Callable[..., RevrecClient]]:
    """Serve the revrec API over real HTTP with extra settings (a book calendar); returns a client of it."""
    with ExitStack() as stack:
        def serve(**settings: Any) -> RevrecClient:
            app = create_app(msgspec.convert({**msgspec.structs.asdict(revrec_settings), **settings}, RevrecSettings))
            server = stack.enter_context(serve_in_thread(app))
            return RevrecClient(server.url, issuer.token("revrec:read revrec:write", audience="revrec"))

        yield serve
