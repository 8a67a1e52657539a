"""Spans leave the process over OTLP/HTTP when an endpoint is configured, and only then."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar, Request, post

from services.example.app import create_app
from services.example.settings import ExampleSettings
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL


def _collector(received: list[tuple[str, bytes]]) -> Litestar:
    @post("/v1/traces", status_code=200)
    async def traces(request: Request[Any, Any, Any]) -> bytes:
        received.append((request.headers.get("content-type", ""), await request.body()))
        return b""

    return Litestar([traces])


def test_spans_are_exported_to_the_configured_otlp_endpoint(issuer, key_prefix):
    received: list[tuple[str, bytes]] = []
    with serve_in_thread(_collector(received)) as collector:
        settings = ExampleSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=key_prefix,
                                   otlp_endpoint=collector.url)
        app = create_app(settings)
        with serve_in_thread(app) as example:
            token = issuer.token("example:read")
            assert httpx.get(f"{example.url}/v1/ping", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert app.state.tracer_provider.force_flush(5_000)
    assert received, "the collector received no spans"
    content_type, body = received[0]
    assert content_type == "application/x-protobuf"
    assert b"GET /v1/ping" in body and b"example" in body  # span name and service.name travel in the payload


def test_nothing_is_exported_without_an_endpoint(issuer, key_prefix):
    app = create_app(ExampleSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=key_prefix))
    assert app.state.tracer_provider._active_span_processor._span_processors == ()


async def test_invented_methods_share_one_bounded_metric_label():
    from services.runtime.metrics import REGISTRY
    from services.runtime.telemetry import EdgeMiddleware, create_tracer_provider

    async def answer(scope, receive, send):
        await send({"type": "http.response.start", "status": 405, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def ignore(message):
        return None

    edge = EdgeMiddleware(answer, service_name="label-test", tracer_provider=create_tracer_provider("label-test"))
    for index in range(20):
        await edge({"type": "http", "method": f"FOO{index}", "path": "/x", "headers": []}, None, ignore)
    methods = {sample.labels["method"] for metric in REGISTRY.collect() for sample in metric.samples
               if sample.labels.get("service") == "label-test"}
    assert methods == {"_OTHER"}


def test_without_a_receiver_spans_are_not_recorded_but_the_trace_still_flows():
    from opentelemetry import propagate
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from services.runtime.telemetry import create_tracer_provider

    provider = create_tracer_provider("sampling-test")
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("unreceived") as span:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    assert not span.is_recording()
    assert span.get_span_context().is_valid, "the span still has ids for logs and the next hop"
    assert carrier["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")

    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with tracer.start_as_current_span("received") as span:
        assert span.is_recording()
    assert [s.name for s in exporter.get_finished_spans()] == ["received"]
