"""Prometheus metrics of the runtime, defined once per process and served at ``/metrics``.

Every label set is bounded: routes are labelled by their template (``/v1/accounts/{account_id}``), never
the raw path; upstreams by their configured name.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = [
    "CIRCUIT_STATE",
    "CLIENT_LATENCY",
    "CLIENT_RETRIES",
    "DEAD_LETTERS",
    "EVENTS_CONSUMED",
    "EVENTS_PUBLISHED",
    "REGISTRY",
    "SERVER_LATENCY",
    "render_latest",
]

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

SERVER_LATENCY = Histogram(
    "revflow_http_server_request_duration_seconds", "Inbound request latency by route template and status.",
    ["service", "method", "route", "status"], buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
CLIENT_LATENCY = Histogram(
    "revflow_http_client_request_duration_seconds", "Outbound request latency by upstream and outcome.",
    ["upstream", "method", "status"], buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
CLIENT_RETRIES = Counter(
    "revflow_http_client_retries_total", "Outbound retries by upstream and reason.",
    ["upstream", "reason"], registry=REGISTRY,
)
CIRCUIT_STATE = Gauge(
    "revflow_http_client_circuit_state", "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.",
    ["upstream"], registry=REGISTRY,
)
EVENTS_PUBLISHED = Counter(
    "revflow_events_published_total", "Events published by stream and type.", ["stream", "type"],
    registry=REGISTRY,
)
EVENTS_CONSUMED = Counter(
    "revflow_events_consumed_total", "Events handled by group and outcome (ok, duplicate, failed, dead_lettered).",
    ["stream", "group", "outcome"], registry=REGISTRY,
)
DEAD_LETTERS = Gauge(
    "revflow_events_dead_letter_depth", "Messages waiting in a dead-letter stream.", ["stream"],
    registry=REGISTRY,
)


def render_latest() -> bytes:
    """The registry in Prometheus text exposition format."""
    return generate_latest(REGISTRY)
