"""One request, two services, one event: a single trace id and a single correlation id all the way.

A client calls example instance A with a W3C ``traceparent`` and an ``X-Correlation-ID``. A relays the
create to instance B over real HTTP with its own client-credentials token; B stores the account and
publishes ``revflow.example.account.created.v1`` on a Redis Stream; a consumer group reads it. Every span
on the way (A's server and client spans, B's server and producer spans, the consumer's span) must carry
the client's trace id, and the event must carry the client's correlation id.
"""

from __future__ import annotations

import uuid

import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts.events import CloudEvent
from services.example.app import create_app
from services.example.settings import ExampleSettings
from services.runtime.events import Consumer
from services.runtime.redis import KeySpace
from services.runtime.testing import free_port, serve_in_thread
from tests.conftest import REDIS_URL, TEST_CLIENT_ID, TEST_CLIENT_SECRET


def _traced(app, exporter):
    app.state.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return app


async def test_one_trace_and_one_correlation_id_across_two_services_and_a_stream(issuer, redis, key_prefix):
    exporter = InMemorySpanExporter()
    b_port = free_port()
    b_settings = ExampleSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=key_prefix + "b:")
    a_settings = ExampleSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=key_prefix + "a:",
                                 peer_url=f"http://127.0.0.1:{b_port}", client_id=TEST_CLIENT_ID,
                                 client_secret=TEST_CLIENT_SECRET)
    trace_id = uuid.uuid4().hex
    correlation_id = f"e2e-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {issuer.token('example:write')}", "Idempotency-Key": uuid.uuid4().hex,
               "traceparent": f"00-{trace_id}-{'1' * 16}-01", "X-Correlation-ID": correlation_id}

    with serve_in_thread(_traced(create_app(b_settings), exporter), port=b_port), \
            serve_in_thread(_traced(create_app(a_settings), exporter)) as a:
        response = httpx.post(f"{a.url}/v1/relay/accounts", headers=headers,
                              json={"name": "Acme GmbH", "email": "ap@acme.test", "currency": "EUR"})
    assert response.status_code == 201, response.text
    assert response.headers["x-correlation-id"] == correlation_id

    received: list[CloudEvent] = []

    async def handle(event: CloudEvent) -> None:
        received.append(event)

    # The services flushed and shut their exporter down when they stopped; the worker has its own.
    consumer_exporter = InMemorySpanExporter()
    consumer = Consumer(redis, KeySpace(key_prefix + "b:"), "example", "e2e", "worker-1", handle,
                        tracer_provider=_provider_with(consumer_exporter))
    counts = await consumer.run_once(block_ms=1000)
    assert counts.processed == 1
    event = received[0]
    assert event.type == "revflow.example.account.created.v1"
    assert event.subject == response.json()["id"]
    assert event.correlationid == correlation_id
    assert event.traceparent is not None and event.traceparent.split("-")[1] == trace_id

    spans = [*exporter.get_finished_spans(), *consumer_exporter.get_finished_spans()]
    names = {s.name for s in spans}
    assert "POST /v1/relay/accounts" in names, names
    assert "POST /v1/accounts" in names, names
    assert any(s.kind.name == "CONSUMER" for s in spans), names
    assert any(s.kind.name == "CLIENT" and s.attributes.get("revflow.upstream") == "example-peer" for s in spans), (
        "A's outbound call to B must be a CLIENT span")
    assert any(s.attributes.get("db.system") == "redis" for s in spans), "Redis commands must be traced"
    assert {format(s.context.trace_id, "032x") for s in spans} == {trace_id}


def _provider_with(exporter):
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider
