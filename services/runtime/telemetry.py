"""Traces, metrics and logs: the outermost layer of every service.

``EdgeMiddleware`` wraps a service's whole ASGI handler (outside routing, so 404s and 405s are covered too):
it accepts or creates the correlation id, continues the caller's W3C trace (``traceparent``) in a SERVER
span named after the route template, records the request latency histogram, and echoes
``X-Correlation-ID`` on the response. ``configure_logging`` makes every log line JSON with the trace and
correlation ids. OTLP export is on only when an endpoint is configured; until something receives spans
(an exporter, or a processor a test adds), spans are not recorded at all: the trace context still flows to
logs and to the next hop, but no process pays for attributes and events that nobody will read.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import msgspec
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.runtime.correlation import (
    HEADER,
    current_correlation_id,
    new_correlation_id,
    set_correlation_id,
    valid_correlation_id,
)
from services.runtime.metrics import SERVER_LATENCY
from services.runtime.problems import send_problem

__all__ = ["EdgeMiddleware", "JsonLogFormatter", "ServiceTracerProvider", "configure_logging",
           "create_tracer_provider"]

_HEADER_BYTES = HEADER.lower().encode()
_UNMATCHED = "<unmatched>"
# Metric labels and span names must stay a bounded set: any other method is "_OTHER" (OTel semantic conventions).
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


class _RecordWhenReceived(Sampler):
    """The configured sampler once the provider has a span processor; until then every span is dropped.

    The configured one is ``OTEL_TRACES_SAMPLER`` (default parent-based always-on). A dropped span still has ids,
    so logs and the next hop keep the trace.
    """

    def __init__(self, provider: ServiceTracerProvider, configured: Sampler) -> None:
        self._provider, self._configured = provider, configured

    def should_sample(self, parent_context: Any, trace_id: int, name: str, *args: Any, **kwargs: Any
                      ) -> SamplingResult:
        if not self._provider.receivers:
            return SamplingResult(Decision.DROP)
        return self._configured.should_sample(parent_context, trace_id, name, *args, **kwargs)

    def get_description(self) -> str:
        return f"RecordWhenReceived{{{self._configured.get_description()}}}"


class ServiceTracerProvider(TracerProvider):
    """A tracer provider that records spans only while at least one span processor would receive them."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.receivers = 0
        self.sampler = _RecordWhenReceived(self, self.sampler)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self.receivers += 1


def create_tracer_provider(service_name: str, otlp_endpoint: str | None = None) -> TracerProvider:
    """A tracer provider for one service; spans leave the process only when ``otlp_endpoint`` is set."""
    provider = ServiceTracerProvider(resource=Resource.create({"service.name": service_name}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # An endpoint given to the exporter is used verbatim (only the env variable gets /v1/traces appended).
        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


class _HeaderGetter:
    """Reads W3C trace headers straight from the ASGI header list."""

    @staticmethod
    def get(carrier: dict[str, str], key: str) -> list[str] | None:
        value = carrier.get(key)
        return [value] if value is not None else None

    @staticmethod
    def keys(carrier: dict[str, str]) -> list[str]:
        return list(carrier)


_GETTER = _HeaderGetter()
_TRACE_HEADERS = (b"traceparent", b"tracestate")


class EdgeMiddleware:
    """Outermost ASGI wrapper: correlation id, server span, latency metric, response header."""

    def __init__(self, app: Any, *, service_name: str, tracer_provider: TracerProvider) -> None:
        self.app = app
        self.service_name = service_name
        self.tracer = tracer_provider.get_tracer("revflow.runtime")
        self._latency: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier: dict[str, str] = {}
        correlation_id = None
        for name, value in scope["headers"]:
            if name == _HEADER_BYTES:
                correlation_id = value.decode("latin-1")
            elif name in _TRACE_HEADERS:
                carrier[name.decode()] = value.decode("latin-1")
        if not valid_correlation_id(correlation_id):
            correlation_id = new_correlation_id()
        token = set_correlation_id(correlation_id)
        status = [500]
        header_value = correlation_id.encode()

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", ()), (_HEADER_BYTES, header_value)]
            await send(message)

        query = scope.get("query_string", b"")
        if query and (query.startswith(b"=") or b"&=" in query):
            await send_problem(send_with_id, scope, slug="validation", status=400,
                               detail="The query string has a parameter without a name.")
            token.var.reset(token)
            return
        method = scope["method"] if scope["method"] in _KNOWN_METHODS else "_OTHER"
        started = time.perf_counter()
        parent = propagate.extract(carrier, getter=_GETTER) if carrier else None
        span = self.tracer.start_span(method, context=parent, kind=SpanKind.SERVER,
                                      record_exception=False, set_status_on_exception=False)
        attached = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            otel_context.detach(attached)
            route = scope.get("path_template") or _UNMATCHED
            self._finish(span, method, route, status[0], correlation_id)
            self._observe(method, route, status[0], time.perf_counter() - started)
            token.var.reset(token)

    def _observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # Resolving a labelled child costs more than observing; the label sets are few and bounded.
        key = (method, route, status)
        child = self._latency.get(key)
        if child is None:
            child = self._latency[key] = SERVER_LATENCY.labels(self.service_name, method, route, str(status))
        child.observe(seconds)

    @staticmethod
    def _finish(span: Any, method: str, route: str, status: int, correlation_id: str) -> None:
        if span.is_recording():
            span.update_name(f"{method} {route}")
            span.set_attributes({"http.request.method": method, "http.route": route,
                                 "http.response.status_code": status, "revflow.correlation_id": correlation_id})
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
        span.end()


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with the trace id and correlation id of the work in progress."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "service": self.service_name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        correlation_id = current_correlation_id()
        if correlation_id:
            entry["correlation_id"] = correlation_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


JsonLogFormatter.converter = time.gmtime  # type: ignore[assignment]


def configure_logging(service_name: str, level: str = "INFO") -> None:
    """Send JSON lines to stderr for the ``revflow`` loggers (idempotent: one handler per process)."""
    # httpx logs every request at INFO: noise at a tier boundary, and a cost on the hot path.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    root = logging.getLogger("revflow")
    root.setLevel(level.upper())
    for handler in root.handlers:
        if isinstance(handler.formatter, JsonLogFormatter):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service_name))
    root.addHandler(handler)
    root.propagate = False
