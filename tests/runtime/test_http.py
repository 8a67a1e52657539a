"""The upstream client against real HTTP servers on loopback.

A small scriptable ASGI upstream (served by uvicorn in a thread) counts requests per key, records when
they arrived and with which headers, and answers as each test asks: 503 n times then 200, 429 with
``Retry-After``, slow, hanging, or whatever status the test sets. Two cases need a raw TCP server: one that
drops the connection after reading the request, and a port where nothing listens.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.runtime.correlation import set_correlation_id
from services.runtime.http import (
    BreakerPolicy,
    BreakerState,
    CircuitBreaker,
    RetryPolicy,
    Timeouts,
    UpstreamClient,
    UpstreamConfig,
    UpstreamFailed,
    UpstreamSaturated,
    UpstreamTimeout,
    UpstreamUnavailable,
    create_upstream_client,
    full_jitter,
    parse_retry_after,
)
from services.runtime.metrics import REGISTRY
from services.runtime.testing import free_port, serve_in_thread

Headers = dict[str, str]
Reply = tuple[int, Headers, Any]


class Upstream:
    """A scriptable upstream: ``/<route>/<key>?<options>``; state is per key, so tests never collide."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.arrivals: defaultdict[str, list[tuple[float, Headers]]] = defaultdict(list)
        self.clients: defaultdict[str, set[int]] = defaultdict(set)
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.status: dict[str, int] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        route, _, key = scope["path"].strip("/").partition("/")
        options = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        while (await receive()).get("more_body"):
            pass
        self.hits[key] += 1
        self.arrivals[key].append((time.monotonic(), {k.decode(): v.decode() for k, v in scope["headers"]}))
        self.clients[key].add(scope["client"][1])
        status, headers, body = await getattr(self, route)(key, options)
        content_type = headers.pop("content-type", "application/json")
        raw = [(b"content-type", content_type.encode())] + [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    async def flaky(self, key: str, options: dict[str, str]) -> Reply:
        status = int(options.get("status", "503"))
        if self.hits[key] <= int(options["fail"]):
            problem = {"type": "about:blank", "title": "try later", "status": status}
            return status, {"content-type": "application/problem+json"}, problem
        return 200, {}, {"hits": self.hits[key]}

    async def limited(self, key: str, options: dict[str, str]) -> Reply:
        if self.hits[key] == 1:
            return 429, {"retry-after": options["after"]}, {"title": "slow down"}
        return 200, {}, {"hits": self.hits[key]}

    async def slow(self, key: str, options: dict[str, str]) -> Reply:
        self.in_flight[key] += 1
        self.peak[key] = max(self.peak[key], self.in_flight[key])
        try:
            await asyncio.sleep(float(options.get("delay", "0.1")))
        finally:
            self.in_flight[key] -= 1
        return 200, {}, {"ok": True}

    async def hang(self, key: str, options: dict[str, str]) -> Reply:
        await asyncio.sleep(1.0)
        return 200, {}, {"late": True}

    async def switch(self, key: str, options: dict[str, str]) -> Reply:
        await asyncio.sleep(float(options.get("delay", "0")))
        return self.status.get(key, 200), {}, {"hits": self.hits[key]}

    async def echo(self, key: str, options: dict[str, str]) -> Reply:
        return 200, {}, self.arrivals[key][-1][1]


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Upstream, str]]:
    app = Upstream()
    with serve_in_thread(app) as server:
        yield app, server.url


@pytest.fixture
def key() -> str:
    return uuid.uuid4().hex[:12]


def make_config(url: str, *, attempts: int = 3, breaker: BreakerPolicy | None = None,
                timeout: float = 2.0, **overrides: Any) -> UpstreamConfig:
    """Small backoffs and timeouts, a unique name (so metrics are per test), a breaker out of the way."""
    retry = RetryPolicy(max_attempts=attempts, backoff_base=0.01, backoff_cap=0.05,
                        max_retry_after=overrides.pop("max_retry_after", 5.0))
    return UpstreamConfig(name=f"test-{uuid.uuid4().hex[:8]}", base_url=url, retry=retry,
                          timeouts=Timeouts(default=timeout, connect=0.5),
                          breaker=breaker or BreakerPolicy(failure_threshold=100, min_calls=100), **overrides)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def retries(client: UpstreamClient, reason: str) -> float:
    return metric("revflow_http_client_retries_total", upstream=client.name, reason=reason)


class TestRetries:
    async def test_get_is_retried_until_it_succeeds(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url)) as client:
            response = await client.get(f"/flaky/{key}", params={"fail": 2})
        assert response.status_code == 200
        assert app.hits[key] == 3
        assert retries(client, "503") == 2
        assert metric("revflow_http_client_request_duration_seconds_count",
                      upstream=client.name, method="GET", status="503") == 2

    async def test_keyed_post_is_retried_with_the_same_key(self, upstream: tuple[Upstream, str],
                                                           key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url)) as client:
            response = await client.post(f"/flaky/{key}", params={"fail": 2}, json={"amount": 1200},
                                         idempotency_key="wf-1:invoice")
        assert response.status_code == 200
        assert [h["idempotency-key"] for _, h in app.arrivals[key]] == ["wf-1:invoice"] * 3

    async def test_unkeyed_post_is_never_retried(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url)) as client:
            with pytest.raises(UpstreamFailed) as caught:
                await client.post(f"/flaky/{key}", params={"fail": 1}, json={"amount": 1200})
        assert app.hits[key] == 1
        error = caught.value
        assert (error.http_status, error.status, error.upstream, error.attempts) == (502, 503, client.name, 1)
        assert error.problem == {"type": "about:blank", "title": "try later", "status": 503}

    async def test_500_is_retried_for_reads_only(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url)) as client:
            assert (await client.get(f"/flaky/{key}-get", params={"fail": 1, "status": 500})).status_code == 200
            with pytest.raises(UpstreamFailed):
                await client.post(f"/flaky/{key}-post", params={"fail": 1, "status": 500}, idempotency_key="k")
        assert (app.hits[f"{key}-get"], app.hits[f"{key}-post"]) == (2, 1)

    async def test_exhausted_retries_raise_failed(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url, attempts=3)) as client:
            with pytest.raises(UpstreamFailed) as caught:
                await client.get(f"/flaky/{key}", params={"fail": 10, "status": 502})
        assert (app.hits[key], caught.value.attempts, caught.value.status) == (3, 3, 502)

    async def test_dropped_connection_repeats_reads_but_not_unkeyed_writes(self) -> None:
        # The upstream reads the request, then drops the connection: the write may have been applied.
        # (httpx-aiohttp reports this as ConnectTimeout, exactly like a refused connection.)
        received: Counter[str] = Counter()

        async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            received[head.split(b" ", 1)[0].decode()] += 1
            writer.close()

        server = await asyncio.start_server(drop, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            async with UpstreamClient(make_config(url, attempts=3)) as client:
                with pytest.raises(UpstreamFailed) as caught:
                    await client.post("/invoices", json={"amount": 1200})
                assert caught.value.reason == "network"
                with pytest.raises(UpstreamFailed):
                    await client.get("/invoices")
        finally:
            server.close()
        # aiohttp itself resends an idempotent request once on a dropped connection (for stale keep-alive
        # connections), so the reads arrive 3 attempts x 2; the write arrives exactly once.
        assert received["POST"] == 1
        assert received["GET"] >= 3

    async def test_unkeyed_post_is_retried_when_it_never_left(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"  # nothing listens: the request cannot have been applied
        async with UpstreamClient(make_config(url, attempts=3)) as client:
            with pytest.raises(UpstreamUnavailable) as caught:
                await client.post("/invoices", json={"amount": 1200})
        assert (caught.value.http_status, caught.value.reason, caught.value.attempts) == (503, "connect", 3)
        assert retries(client, "connect") == 2

    async def test_backoff_uses_full_jitter(self, upstream: tuple[Upstream, str], key: str) -> None:
        _, url = upstream
        slept: list[float] = []

        async def record(delay: float) -> None:
            slept.append(delay)

        config = make_config(url, attempts=4)
        async with UpstreamClient(config, sleep=record, rand=lambda: 0.5) as client:
            await client.get(f"/flaky/{key}", params={"fail": 3})
        assert slept == [0.005, 0.01, 0.02]  # half of min(cap 0.05, 0.01 * 2 ** n)
        assert all(0 <= full_jitter(n, 0.1, 2.0, 0.999) < 2.0 for n in range(1, 80))


class TestRetryAfter:
    async def test_second_attempt_waits_at_least_retry_after(self, upstream: tuple[Upstream, str],
                                                             key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url)) as client:
            response = await client.get(f"/limited/{key}", params={"after": 1})
        assert response.status_code == 200
        (first, _), (second, _) = app.arrivals[key]
        assert second - first >= 1.0
        assert retries(client, "429") == 1

    async def test_retry_after_beyond_the_max_is_not_waited_for(self, upstream: tuple[Upstream, str],
                                                                key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url, max_retry_after=5.0)) as client:
            with pytest.raises(UpstreamUnavailable) as caught:
                await client.get(f"/limited/{key}", params={"after": 120})
        assert app.hits[key] == 1
        assert (caught.value.status, caught.value.retry_after, caught.value.reason) == (429, 120.0, "rate_limited")

    def test_parses_seconds_and_http_dates(self) -> None:
        now = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
        assert parse_retry_after("7") == 7.0
        assert parse_retry_after("Thu, 15 Jan 2026 12:00:30 GMT", now=now) == 30.0
        assert parse_retry_after("Thu, 15 Jan 2026 11:00:00 GMT", now=now) == 0.0
        assert parse_retry_after("soon") is None
        assert parse_retry_after(None) is None


class TestCircuitBreaker:
    async def test_opens_fails_fast_then_half_opens_and_closes(self, upstream: tuple[Upstream, str],
                                                               key: str) -> None:
        app, url = upstream
        app.status[key] = 503
        breaker = BreakerPolicy(failure_threshold=3, reset_timeout=0.3)
        async with UpstreamClient(make_config(url, attempts=1, breaker=breaker)) as client:
            gauge = {"upstream": client.name}
            for _ in range(3):
                with pytest.raises(UpstreamFailed):
                    await client.get(f"/switch/{key}")
            with pytest.raises(UpstreamUnavailable) as caught:
                await client.get(f"/switch/{key}")
            assert (caught.value.reason, caught.value.attempts, app.hits[key]) == ("circuit_open", 0, 3)
            assert 0 < caught.value.retry_after <= 0.3
            assert metric("revflow_http_client_circuit_state", **gauge) == BreakerState.OPEN

            app.status[key] = 200
            await asyncio.sleep(0.35)
            assert client.breaker.state is BreakerState.HALF_OPEN
            assert metric("revflow_http_client_circuit_state", **gauge) == BreakerState.HALF_OPEN
            assert (await client.get(f"/switch/{key}")).status_code == 200
            assert client.breaker.state is BreakerState.CLOSED
            assert metric("revflow_http_client_circuit_state", **gauge) == BreakerState.CLOSED

    async def test_half_open_lets_only_the_probes_through(self, upstream: tuple[Upstream, str],
                                                          key: str) -> None:
        app, url = upstream
        app.status[key] = 503
        breaker = BreakerPolicy(failure_threshold=1, reset_timeout=0.2, half_open_probes=1)
        async with UpstreamClient(make_config(url, attempts=1, breaker=breaker)) as client:
            with pytest.raises(UpstreamFailed):
                await client.get(f"/switch/{key}")
            app.status[key] = 200
            await asyncio.sleep(0.25)
            results = await asyncio.gather(*(client.get(f"/switch/{key}", params={"delay": 0.2})
                                             for _ in range(3)), return_exceptions=True)
        assert sorted(type(r).__name__ for r in results) == ["Response", "UpstreamUnavailable",
                                                              "UpstreamUnavailable"]
        assert app.hits[key] == 2

    async def test_failed_probe_opens_again(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        app.status[key] = 503
        breaker = BreakerPolicy(failure_threshold=1, reset_timeout=0.2)
        async with UpstreamClient(make_config(url, attempts=1, breaker=breaker)) as client:
            with pytest.raises(UpstreamFailed):
                await client.get(f"/switch/{key}")
            await asyncio.sleep(0.25)
            with pytest.raises(UpstreamFailed):
                await client.get(f"/switch/{key}")
            with pytest.raises(UpstreamUnavailable):
                await client.get(f"/switch/{key}")
        assert app.hits[key] == 2

    async def test_an_opening_circuit_stops_retries(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        breaker = BreakerPolicy(failure_threshold=2, reset_timeout=5.0)
        async with UpstreamClient(make_config(url, attempts=5, breaker=breaker)) as client:
            with pytest.raises(UpstreamUnavailable) as caught:
                await client.get(f"/flaky/{key}", params={"fail": 10})
        assert (caught.value.reason, caught.value.attempts, app.hits[key]) == ("circuit_open", 2, 2)

    def test_failure_ratio_in_the_window_opens(self) -> None:
        now = [0.0]
        policy = BreakerPolicy(failure_threshold=100, failure_ratio=0.5, min_calls=4, window=10.0)
        breaker = CircuitBreaker(f"ratio-{uuid.uuid4().hex[:8]}", policy, clock=lambda: now[0])
        for failed in (True, True, False):  # 2 of 3: too few calls to judge
            (breaker.failure if failed else breaker.success)(breaker.allow() or False)
        now[0] = 11.0  # those fall out of the window
        for failed in (False, True, False):
            (breaker.failure if failed else breaker.success)(breaker.allow() or False)
        assert breaker.state is BreakerState.CLOSED
        breaker.failure(breaker.allow() or False)  # 2 of 4 within the window
        assert breaker.state is BreakerState.OPEN
        assert breaker.allow() is None


class TestConcurrencyCap:
    async def test_upstream_never_sees_more_than_the_cap(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url, max_concurrency=2)) as client:
            responses = await asyncio.gather(*(client.get(f"/slow/{key}", params={"delay": 0.1})
                                               for _ in range(8)))
        assert [r.status_code for r in responses] == [200] * 8
        assert app.peak[key] == 2

    async def test_waiting_for_a_slot_is_bounded(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url, max_concurrency=1, concurrency_wait=0.05)) as client:
            results = await asyncio.gather(client.get(f"/slow/{key}", params={"delay": 0.5}),
                                           client.get(f"/slow/{key}", params={"delay": 0.5}),
                                           return_exceptions=True)
        assert sorted(type(r).__name__ for r in results) == ["Response", "UpstreamSaturated"]
        saturated = next(r for r in results if isinstance(r, UpstreamSaturated))
        assert (saturated.http_status, saturated.reason, saturated.attempts) == (503, "saturated", 0)
        assert app.hits[key] == 1


class TestPropagation:
    @pytest.fixture
    def spans(self) -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        yield provider, exporter
        provider.shutdown()

    @pytest.fixture
    async def correlation(self) -> AsyncIterator[str]:
        token = set_correlation_id("corr-7f3a")
        yield "corr-7f3a"
        token.var.reset(token)

    async def test_correlation_id_and_traceparent_arrive(self, upstream: tuple[Upstream, str], key: str,
                                                         spans: tuple[TracerProvider, InMemorySpanExporter],
                                                         correlation: str) -> None:
        _, url = upstream
        provider, exporter = spans
        with provider.get_tracer("test").start_as_current_span("handler") as parent:
            async with UpstreamClient(make_config(url), tracer_provider=provider) as client:
                echoed = (await client.get(f"/echo/{key}")).json()
        assert echoed["x-correlation-id"] == correlation
        version, trace_id, span_id, _flags = echoed["traceparent"].split("-")
        assert version == "00"
        (attempt,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
        assert int(trace_id, 16) == parent.get_span_context().trace_id == attempt.context.trace_id
        assert int(span_id, 16) == attempt.context.span_id
        assert attempt.attributes["revflow.upstream"] == client.name

    async def test_each_attempt_is_its_own_span(self, upstream: tuple[Upstream, str], key: str,
                                                spans: tuple[TracerProvider, InMemorySpanExporter]) -> None:
        app, url = upstream
        provider, exporter = spans
        with provider.get_tracer("test").start_as_current_span("handler"):
            async with create_upstream_client(make_config(url), tracer_provider=provider) as client:
                await client.get(f"/flaky/{key}", params={"fail": 1})
        attempts = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
        assert [s.attributes.get("http.request.resend_count") for s in attempts] == [None, 1]
        parents = {h["traceparent"].split("-")[2] for _, h in app.arrivals[key]}
        assert parents == {format(s.context.span_id, "016x") for s in attempts}
        (handler,) = [s for s in exporter.get_finished_spans() if s.name == "handler"]
        assert [e.attributes["reason"] for e in handler.events if e.name == "upstream.retry"] == ["503"]

    async def test_connections_are_kept_alive(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url)) as client:
            for _ in range(5):
                await client.get(f"/echo/{key}")
        assert len(app.clients[key]) == 1


class TestTimeouts:
    async def test_hanging_upstream_raises_timeout(self, upstream: tuple[Upstream, str], key: str) -> None:
        app, url = upstream
        async with UpstreamClient(make_config(url, attempts=2, timeout=0.2)) as client:
            with pytest.raises(UpstreamTimeout) as caught:
                await client.get(f"/hang/{key}")
            with pytest.raises(UpstreamTimeout):
                await client.post(f"/hang/{key}-post", json={})
        assert (caught.value.http_status, caught.value.reason, caught.value.attempts) == (504, "timeout", 2)
        assert (app.hits[key], app.hits[f"{key}-post"]) == (2, 1)
        assert retries(client, "timeout") == 1

    async def test_in_process_transport_gets_the_same_policy(self, key: str) -> None:
        # The in-process topology swaps the socket for httpx.ASGITransport; retries and errors still apply.
        app = Upstream()
        config = make_config("http://billing", attempts=2)
        async with UpstreamClient(config, transport=httpx.ASGITransport(app=app)) as client:
            assert (await client.get(f"/flaky/{key}", params={"fail": 1})).status_code == 200
            with pytest.raises(UpstreamFailed):
                await client.post(f"/flaky/{key}-post", params={"fail": 1})
        assert (app.hits[key], app.hits[f"{key}-post"]) == (2, 1)

    def test_defaults_follow_the_stack(self) -> None:
        config = UpstreamConfig(name="billing", base_url="http://billing")
        timeout = config.timeouts.as_httpx()
        assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (1.0, 5.0, 5.0, 5.0)
        assert (config.max_connections, config.max_concurrency) == (64, 64)
