"""Per-attempt telemetry: a CLIENT span carrying ``traceparent``, latency and retry metrics.

The span is made here rather than by ``opentelemetry.instrumentation.httpx``'s transport wrapper: that
wrapper costs a measurable share of a loopback hop (semconv bookkeeping on every request), and tier hops
are the hot path. The span keeps the stable HTTP client semantic conventions (``http.request.method``,
``server.address``, ``server.port``, ``url.full`` without the query string, ``http.response.status_code``,
``error.type``, ``http.request.resend_count`` on repeats) plus ``revflow.upstream``.
"""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider
from prometheus_client.metrics import Histogram

from services.runtime.metrics import CLIENT_LATENCY, CLIENT_RETRIES

__all__ = ["RETRY_REASONS", "AttemptTelemetry"]

RETRY_REASONS = ("timeout", "connect", "network", "429", "500", "502", "503", "504")
"""Every ``reason`` label of the retries counter: the label set stays bounded."""


class AttemptTelemetry:
    """Spans and metrics of one upstream's attempts.

    Args:
        upstream: Name of the upstream (metric label, span attribute).
        base_url: Base URL of the upstream (``server.*`` and ``url.full`` attributes).
        tracer_provider: OpenTelemetry provider; default the global one.
    """

    def __init__(self, upstream: str, base_url: str, tracer_provider: TracerProvider | None) -> None:
        self.upstream = upstream
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        url = httpx.URL(base_url)
        self._prefix = str(url.copy_with(query=None, fragment=None)).rstrip("/")
        self._attributes: dict[str, Any] = {
            "server.address": url.host,
            "server.port": url.port or (443 if url.scheme == "https" else 80),
            "revflow.upstream": upstream,
        }
        self._latency: dict[tuple[str, str], Histogram] = {}
        self._retries = {reason: CLIENT_RETRIES.labels(upstream=upstream, reason=reason)
                         for reason in RETRY_REASONS}

    def span(self, method: str, path: str, attempt: int) -> Any:
        """Context manager of the attempt's CLIENT span (current while the attempt runs)."""
        attributes = {**self._attributes, "http.request.method": method,
                      "url.full": path if "://" in path else self._prefix + "/" + path.lstrip("/")}
        if attempt > 1:
            attributes["http.request.resend_count"] = attempt - 1
        return self._tracer.start_as_current_span(method, kind=SpanKind.CLIENT, attributes=attributes)

    @staticmethod
    def inject(headers: httpx.Headers) -> None:
        """Write ``traceparent`` (and ``tracestate``) of the current span into the outbound headers."""
        propagate.inject(headers)

    def answered(self, span: Span, method: str, status: int, seconds: float) -> None:
        """Record an attempt that got a response."""
        self._observe(method, str(status), seconds)
        if span.is_recording():
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_attribute("error.type", str(status))
                span.set_status(Status(StatusCode.ERROR))

    def failed(self, span: Span, method: str, kind: str, error: Exception, seconds: float) -> None:
        """Record an attempt that ended in a transport error (``kind``: timeout, connect, network)."""
        self._observe(method, kind, seconds)
        if span.is_recording():
            span.set_attribute("error.type", type(error).__qualname__)
            span.set_attribute("revflow.failure", kind)
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error)))

    def retrying(self, reason: str, attempt: int, delay: float) -> None:
        """Count a retry, and note it on the caller's span (the attempts' parent)."""
        self._retries[reason].inc()
        trace.get_current_span().add_event("upstream.retry", {
            "revflow.upstream": self.upstream, "reason": reason, "attempt": attempt, "delay_s": delay})

    def _observe(self, method: str, status: str, seconds: float) -> None:
        child = self._latency.get((method, status))
        if child is None:
            child = self._latency[method, status] = CLIENT_LATENCY.labels(self.upstream, method, status)
        child.observe(seconds)
