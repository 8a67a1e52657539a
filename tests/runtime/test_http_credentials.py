"""A credential that cannot be obtained is the issuer's failure, never the upstream's."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, Request, get

from services.runtime.auth.client import ClientCredentials
from services.runtime.http import BreakerPolicy, CredentialsUnavailable, UpstreamConfig, create_upstream_client
from services.runtime.http._breaker import BreakerState
from services.runtime.testing import free_port, serve_in_thread


def _counting_upstream(seen: list[str]) -> Litestar:
    @get("/v1/ping", sync_to_thread=False)
    def ping(request: Request[Any, Any, Any]) -> dict[str, str]:
        seen.append(request.headers.get("authorization", ""))
        return {"ok": "yes"}

    return Litestar([ping])


async def test_issuer_down_leaves_the_upstreams_circuit_closed_and_is_a_credentials_error():
    seen: list[str] = []
    dead_issuer = f"http://127.0.0.1:{free_port()}/oauth/token"
    with serve_in_thread(_counting_upstream(seen)) as upstream:
        config = UpstreamConfig(name="peer", base_url=upstream.url,
                                breaker=BreakerPolicy(failure_threshold=2, reset_timeout=30.0))
        auth = ClientCredentials(dead_issuer, "c", "s", audience="peer")
        async with create_upstream_client(config, auth=auth) as client:
            for _ in range(5):
                with pytest.raises(CredentialsUnavailable) as caught:
                    await client.get("/v1/ping")
                assert caught.value.http_status == 503
            assert client.breaker.state == BreakerState.CLOSED, "the peer did nothing wrong"
    assert seen == [], "no request may reach the upstream without a credential"
