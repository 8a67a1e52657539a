"""The resilient HTTP client every service uses for upstream calls (system APIs, vendors).

One ``UpstreamClient`` per upstream, built in the service's lifespan, closed with it, never at import
time. It keeps the httpx API but sends through ``httpx_aiohttp.AiohttpTransport`` with pooled keep-alive
connections (tier hops are the hot path, DESIGN), and adds what DESIGN's Resilience rule asks for:

- per-attempt timeouts (``httpx.Timeout(5.0, connect=1.0)`` by default);
- retries with exponential backoff and full jitter, only when repeating is safe (idempotent methods, or
  writes carrying an ``Idempotency-Key``), honouring ``Retry-After``;
- a circuit breaker and a concurrency cap per upstream;
- ``X-Correlation-ID`` and W3C ``traceparent`` on every attempt, a CLIENT span per attempt, and the
  ``CLIENT_LATENCY`` / ``CLIENT_RETRIES`` / ``CIRCUIT_STATE`` metrics;
- typed errors (``UpstreamTimeout`` 504, ``UpstreamUnavailable`` 503, ``UpstreamFailed`` 502) that the
  problems layer maps by class.

Example:
    ```python
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        config = UpstreamConfig(name="billing", base_url=settings.billing_url)
        async with create_upstream_client(config, auth=service_token) as billing:
            app.state.billing = billing
            yield

    response = await app.state.billing.post("/v1/invoices", json=body, idempotency_key=f"{wf}:invoice")
    ```

This package must never read settings or the environment itself, and never log per request above DEBUG.
"""

from services.runtime.http._breaker import BreakerState, CircuitBreaker
from services.runtime.http._client import UpstreamClient, create_upstream_client
from services.runtime.http._config import BreakerPolicy, RetryPolicy, Timeouts, UpstreamConfig
from services.runtime.http._errors import (
    CredentialsUnavailable,
    UpstreamError,
    UpstreamFailed,
    UpstreamSaturated,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from services.runtime.http._retry import IDEMPOTENCY_HEADER, full_jitter, parse_retry_after

__all__ = [
    "IDEMPOTENCY_HEADER",
    "BreakerPolicy",
    "BreakerState",
    "CircuitBreaker",
    "CredentialsUnavailable",
    "RetryPolicy",
    "Timeouts",
    "UpstreamClient",
    "UpstreamConfig",
    "UpstreamError",
    "UpstreamFailed",
    "UpstreamSaturated",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "create_upstream_client",
    "full_jitter",
    "parse_retry_after",
]
