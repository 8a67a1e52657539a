"""The resilient upstream client: httpx API, aiohttp transport, retries, breaker, concurrency cap."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx
import msgspec
from httpx_aiohttp import AiohttpTransport
from opentelemetry.trace import TracerProvider

from services.runtime.correlation import HEADER as CORRELATION_HEADER
from services.runtime.correlation import current_correlation_id
from services.runtime.http._breaker import CircuitBreaker
from services.runtime.http._config import UpstreamConfig
from services.runtime.http._errors import (
    CredentialsUnavailable,
    UpstreamError,
    UpstreamFailed,
    UpstreamSaturated,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from services.runtime.http._retry import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENT_METHODS,
    TransportFailure,
    classify_transport_error,
    full_jitter,
    parse_retry_after,
    retry_reason,
)
from services.runtime.http._telemetry import AttemptTelemetry

__all__ = ["UpstreamClient", "create_upstream_client"]

_log = logging.getLogger(__name__)

Outcome = httpx.Response | TransportFailure
_JSON_ENCODER = msgspec.json.Encoder()
_FAILURE_MESSAGES = {"timeout": "timed out", "connect": "could not be reached",
                     "network": "broke the connection mid-request"}


class UpstreamClient:
    """One long-lived client per upstream, built in a service's lifespan and closed with it.

    Callers use the httpx API and get ``httpx.Response`` back for 2xx-4xx (429 aside); anything else
    becomes a typed ``UpstreamError``. Each attempt is a CLIENT span (``http.request.resend_count`` on
    repeats) whose ``traceparent`` the upstream receives, and an observation in ``CLIENT_LATENCY``.

    Args:
        config: The upstream.
        auth: ``httpx.Auth`` applied to every attempt (service tokens, vendor credentials).
        transport: Transport; default a pooled ``AiohttpTransport`` (``httpx.ASGITransport`` for an
            in-process hop, ``httpx.MockTransport`` for canned replies).
        tracer_provider: OpenTelemetry provider; default the global one.
        sleep: Awaitable sleep used for backoff (injectable for tests).
        rand: Uniform [0, 1) source for jitter (injectable for tests).
    """

    def __init__(self, config: UpstreamConfig, auth: httpx.Auth | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 tracer_provider: TracerProvider | None = None, *,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 rand: Callable[[], float] = random.random) -> None:
        self.config = config
        self.breaker = CircuitBreaker(config.name, config.breaker)
        self._sleep, self._rand = sleep, rand
        self._cap = asyncio.Semaphore(config.max_concurrency) if config.max_concurrency else None
        self._telemetry = AttemptTelemetry(config.name, config.base_url, tracer_provider)
        # Requests go straight to the transport: httpx.AsyncClient's per-request machinery (URL merging,
        # a cookie jar, redirect and event-hook plumbing) cost more than the hop itself on loopback, and a
        # service-to-service client wants none of it. Requests and responses stay httpx objects.
        self._transport = transport or _pooled_transport(config)
        self._auth = auth
        self._base_url = config.base_url.rstrip("/")
        self._timeout = config.timeouts.as_httpx().as_dict()

    @property
    def name(self) -> str:
        """Name of the upstream."""
        return self.config.name

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._transport.aclose()

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """``GET`` (see ``request``)."""
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """``POST`` (see ``request``); repeated only with ``idempotency_key=``."""
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        """``PUT`` (see ``request``)."""
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        """``PATCH`` (see ``request``); repeated only with ``idempotency_key=``."""
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        """``DELETE`` (see ``request``)."""
        return await self.request("DELETE", path, **kwargs)

    async def request(self, method: str, path: str, *, json: Any = None, content: bytes | str | None = None,
                      data: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
                      params: Mapping[str, Any] | None = None, idempotency_key: str | None = None,
                      timeout: httpx.Timeout | float | None = None) -> httpx.Response:
        """Send a request, repeating it when that is safe, and return the upstream's response.

        Args:
            method: HTTP method.
            path: Path relative to the upstream's base URL.
            json: JSON body.
            content: Raw body.
            data: Form body (``application/x-www-form-urlencoded``, as Stripe wants).
            headers: Extra headers; an ``Idempotency-Key`` among them makes a write repeatable too.
            params: Query parameters.
            idempotency_key: Sent as ``Idempotency-Key``; makes POST/PATCH safe to repeat.
            timeout: Per-attempt timeout overriding the upstream's.

        Returns:
            The response, when its status is below 500 and not 429.

        Raises:
            UpstreamUnavailable: Circuit open, connection refused, or rate limited beyond the retries.
            UpstreamSaturated: No concurrency slot freed within ``concurrency_wait``.
            UpstreamTimeout: The last attempt timed out.
            UpstreamFailed: The last attempt answered 5xx or the connection broke mid-request.
        """
        method = method.upper()
        out = _outbound_headers(headers, idempotency_key)
        idempotent, keyed = method in IDEMPOTENT_METHODS, IDEMPOTENCY_HEADER in out
        send = {"json": json, "content": content, "data": data, "params": params, "headers": out,
                "timeout": httpx.USE_CLIENT_DEFAULT if timeout is None else timeout}
        attempt = 1
        while True:
            outcome = await self._attempt(method, path, attempt, send)
            delay = self._backoff(outcome, attempt, idempotent=idempotent, keyed=keyed)
            if delay is None:
                return self._settle(outcome, method, path, attempt)
            await self._sleep(delay)
            attempt += 1

    async def _attempt(self, method: str, path: str, attempt: int, send: dict[str, Any]) -> Outcome:
        probe = self.breaker.allow()
        if probe is None:
            raise UpstreamUnavailable(self.name, "circuit open", method=method, path=path,
                                      reason="circuit_open", retry_after=self.breaker.retry_after(),
                                      attempts=attempt - 1)
        verdict = self.breaker.release
        try:
            await self._acquire_slot(method, path, attempt)
            try:
                outcome = await self._send(method, path, attempt, send)
            finally:
                if self._cap is not None:
                    self._cap.release()
            verdict = _verdict(self.breaker, outcome)
            return outcome
        finally:
            verdict(probe)

    async def _send(self, method: str, path: str, attempt: int, send: dict[str, Any]) -> Outcome:
        with self._telemetry.span(method, path, attempt) as span:
            self._telemetry.inject(send["headers"])
            started = time.perf_counter()
            try:
                response = await self._exchange(self._build(method, path, send))
            except httpx.TransportError as exc:
                failure = classify_transport_error(exc)
                self._telemetry.failed(span, method, failure.kind, exc, time.perf_counter() - started)
                return failure
            self._telemetry.answered(span, method, response.status_code, time.perf_counter() - started)
            return response

    def _build(self, method: str, path: str, send: dict[str, Any]) -> httpx.Request:
        timeout = send["timeout"]
        extensions = {"timeout": self._timeout if timeout is httpx.USE_CLIENT_DEFAULT
                      else httpx.Timeout(timeout).as_dict()}
        content, headers = send["content"], send["headers"]
        if send["json"] is not None:  # msgspec, not httpx's json.dumps: the same JSON at a fraction of the cost
            content = _JSON_ENCODER.encode(send["json"])
            if "content-type" not in headers:
                headers["Content-Type"] = "application/json"
        return httpx.Request(method, self._base_url + path, params=send["params"], headers=headers,
                             content=content, data=send["data"], extensions=extensions)

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """One request through the transport, with the auth flow (token refresh, retry on 401) applied."""
        if self._auth is None:
            return await self._round_trip(request)
        flow = self._auth.async_auth_flow(request)
        request = await self._auth_step(flow.__anext__())
        while True:
            response = await self._round_trip(request)
            try:
                request = await self._auth_step(flow.asend(response))
            except StopAsyncIteration:
                return response

    async def _auth_step(self, step: Awaitable[httpx.Request]) -> httpx.Request:
        """Advance the auth flow; a failure to get a credential is the issuer's, never this upstream's."""
        try:
            return await step
        except StopAsyncIteration:
            raise
        except Exception as exc:
            raise CredentialsUnavailable(self.name, f"could not obtain credentials: {type(exc).__name__}",
                                         reason="credentials") from exc

    async def _round_trip(self, request: httpx.Request) -> httpx.Response:
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def _acquire_slot(self, method: str, path: str, attempt: int) -> None:
        if self._cap is None or not self._cap.locked():
            if self._cap is not None:
                await self._cap.acquire()
            return
        try:
            async with asyncio.timeout(self.config.concurrency_wait):
                await self._cap.acquire()
        except TimeoutError:
            raise UpstreamSaturated(self.name, f"{self.config.max_concurrency} requests already in flight",
                                    method=method, path=path, reason="saturated",
                                    attempts=attempt - 1) from None

    def _backoff(self, outcome: Outcome, attempt: int, *, idempotent: bool, keyed: bool) -> float | None:
        policy = self.config.retry
        if attempt >= policy.max_attempts:
            return None
        reason = retry_reason(outcome, idempotent=idempotent, keyed=keyed)
        if reason is None:
            return None
        delay = full_jitter(attempt, policy.backoff_base, policy.backoff_cap, self._rand())
        if isinstance(outcome, httpx.Response):
            asked = parse_retry_after(outcome.headers.get("Retry-After"))
            if asked is not None:
                if asked > policy.max_retry_after:
                    return None
                delay = max(delay, asked)
        self._telemetry.retrying(reason, attempt, delay)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("%s: retrying after %s in %.3fs (attempt %d)", self.name, reason, delay, attempt + 1)
        return delay

    def _settle(self, outcome: Outcome, method: str, path: str, attempts: int) -> httpx.Response:
        ctx: dict[str, Any] = {"method": method, "path": path, "attempts": attempts}
        if isinstance(outcome, TransportFailure):
            error_type: type[UpstreamError] = {"timeout": UpstreamTimeout, "connect": UpstreamUnavailable}.get(
                outcome.kind, UpstreamFailed)
            # The message may reach a caller's problem detail: no addresses, the cause stays chained.
            raise error_type(self.name, _FAILURE_MESSAGES[outcome.kind], reason=outcome.kind,
                             **ctx) from outcome.error
        status = outcome.status_code
        if status < 500 and status != 429:
            return outcome
        error_type = UpstreamUnavailable if status == 429 else UpstreamFailed
        raise error_type(self.name, f"answered {status}", reason="rate_limited" if status == 429 else "status",
                         status=status, problem=_problem(outcome),
                         retry_after=parse_retry_after(outcome.headers.get("Retry-After")), **ctx)


def create_upstream_client(config: UpstreamConfig, auth: httpx.Auth | None = None,
                           tracer_provider: TracerProvider | None = None) -> UpstreamClient:
    """Build the client of one upstream; call it in a lifespan and close it there."""
    return UpstreamClient(config, auth=auth, tracer_provider=tracer_provider)


def _pooled_transport(config: UpstreamConfig) -> AiohttpTransport:
    limits = httpx.Limits(max_connections=config.max_connections,
                          max_keepalive_connections=config.max_connections)
    return AiohttpTransport(limits=limits, proxy=httpx.Proxy(config.proxy) if config.proxy else None)


def _outbound_headers(headers: Mapping[str, str] | None, idempotency_key: str | None) -> httpx.Headers:
    out = httpx.Headers(headers)
    if idempotency_key:
        out[IDEMPOTENCY_HEADER] = idempotency_key
    correlation_id = current_correlation_id()
    if correlation_id and CORRELATION_HEADER not in out:
        out[CORRELATION_HEADER] = correlation_id
    return out


def _verdict(breaker: CircuitBreaker, outcome: Outcome) -> Callable[[bool], None]:
    """Failures (transport errors, 5xx) count against the upstream; 429 says nothing about its health."""
    if isinstance(outcome, TransportFailure) or outcome.status_code >= 500:
        return breaker.failure
    return breaker.release if outcome.status_code == 429 else breaker.success


def _problem(response: httpx.Response) -> dict[str, Any] | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return None
    return body if isinstance(body, dict) else None

