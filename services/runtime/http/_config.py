"""Configuration of one upstream: where it is, how long to wait, when to retry, when to stop trying."""

from __future__ import annotations

from typing import Annotated

import httpx
import msgspec

__all__ = ["BreakerPolicy", "RetryPolicy", "Timeouts", "UpstreamConfig"]

_Positive = Annotated[float, msgspec.Meta(gt=0)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0)]
_Count = Annotated[int, msgspec.Meta(ge=1)]


class Timeouts(msgspec.Struct, frozen=True, kw_only=True):
    """Per-attempt timeouts, in seconds (one attempt; retries get their own)."""

    default: _Positive = 5.0
    """Read, write and pool-acquire timeout of one attempt."""
    connect: _Positive = 1.0
    """Time to establish a TCP (and TLS) connection: short, so a dead host fails fast and is retried."""

    def as_httpx(self) -> httpx.Timeout:
        """The equivalent ``httpx.Timeout``."""
        return httpx.Timeout(self.default, connect=self.connect)


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Exponential backoff with full jitter, for requests that are safe to repeat."""

    max_attempts: _Count = 3
    """Attempts in total, the first included; 1 disables retries."""
    backoff_base: _NonNegative = 0.1
    """Ceiling of the first backoff; the ceiling doubles per attempt (full jitter draws below it)."""
    backoff_cap: _NonNegative = 2.0
    """Largest backoff ceiling, however many attempts came before."""
    max_retry_after: _NonNegative = 30.0
    """Longest ``Retry-After`` worth waiting for; an upstream asking for more fails the call at once, so a
    durable caller (the saga runner) reschedules instead of holding a request open."""


class BreakerPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """When the circuit opens, how long it stays open, and how it tests the upstream again."""

    failure_threshold: _Count = 5
    """Consecutive failed attempts that open the circuit."""
    failure_ratio: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.5
    """Share of failed attempts within ``window`` that opens the circuit (once ``min_calls`` were made)."""
    min_calls: _Count = 20
    """Attempts within ``window`` before ``failure_ratio`` is judged, so a quiet upstream is not condemned
    by two unlucky calls."""
    window: _Positive = 30.0
    """Sliding window, in seconds, of the failure ratio."""
    reset_timeout: _Positive = 10.0
    """Seconds the circuit stays open before letting probes through (half-open)."""
    half_open_probes: _Count = 1
    """Attempts let through at once while half-open; the first success closes the circuit, a failure
    opens it again."""


class UpstreamConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One upstream (a system API, a vendor) as seen by the services that call it.

    Constraints (``Meta``) are checked when the config is decoded (``msgspec.convert``, settings from the
    environment); a config built in code is trusted.
    """

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    """Label of the upstream in metrics, spans, logs and errors (``billing``, ``stripe``): keep it short
    and fixed, it is a metric label."""
    base_url: str
    """Base URL every request path is joined to (``http://billing:8103``)."""
    timeouts: Timeouts = msgspec.field(default_factory=Timeouts)
    """Per-attempt timeouts."""
    max_connections: _Count = 64
    """Size of the keep-alive connection pool."""
    max_concurrency: Annotated[int, msgspec.Meta(ge=1)] | None = 64
    """Requests in flight at once to this upstream; ``None`` for no cap."""
    concurrency_wait: _NonNegative = 5.0
    """Seconds a request may wait for a free slot before failing with ``UpstreamSaturated``."""
    retry: RetryPolicy = msgspec.field(default_factory=RetryPolicy)
    """When and how often to retry."""
    breaker: BreakerPolicy = msgspec.field(default_factory=BreakerPolicy)
    """Circuit breaker of this upstream."""
    proxy: str | None = None
    """Forward proxy URL for this upstream. Proxy environment variables are deliberately ignored: httpx
    would route them through its own, slow transport, bypassing the pooled one and its tracing."""
