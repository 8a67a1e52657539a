"""When an attempt may be repeated, and how long to wait first.

The rule (DESIGN, Resilience): repeat only what cannot do harm twice. Idempotent methods and writes
carrying an ``Idempotency-Key`` are repeated on connection failures, timeouts, 429 and 502/503/504 (500
only for idempotent methods: a keyed write that crashed mid-way is left to the caller). Any other write is
repeated only when the request provably never left this process (connection refused, connect timeout,
pool wait), because a 5xx, a read timeout or a dropped connection may follow a write the upstream applied.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime

import aiohttp
import httpx

__all__ = [
    "IDEMPOTENCY_HEADER",
    "IDEMPOTENT_METHODS",
    "TransportFailure",
    "classify_transport_error",
    "full_jitter",
    "parse_retry_after",
    "retry_reason",
]

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


class TransportFailure:
    """What a transport error means for retrying and for the error raised to the caller.

    Attributes:
        kind: ``timeout``, ``connect`` (refused, DNS, TLS) or ``network`` (dropped mid-request).
        sent: Whether the request may have reached the upstream.
        error: The original exception.
    """

    __slots__ = ("error", "kind", "sent")

    def __init__(self, kind: str, sent: bool, error: httpx.TransportError) -> None:
        self.kind, self.sent, self.error = kind, sent, error


def classify_transport_error(exc: httpx.TransportError) -> TransportFailure:
    """Classify a transport error by what really happened on the wire.

    httpx-aiohttp maps every ``aiohttp.ClientConnectionError`` to ``httpx.ConnectTimeout`` (a refused
    connection and a server that dropped the connection after reading a POST look the same), so the
    aiohttp cause, when there is one, decides; httpx's own classes decide for other transports.
    """
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientError):
        if isinstance(cause, aiohttp.ConnectionTimeoutError):  # connect or pool wait: nothing was sent
            return TransportFailure("timeout", False, exc)
        if isinstance(cause, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake
            return TransportFailure("connect", False, exc)
        if isinstance(cause, aiohttp.ServerTimeoutError):
            return TransportFailure("timeout", True, exc)
        return TransportFailure("network", True, exc)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return TransportFailure("timeout", False, exc)
    if isinstance(exc, httpx.ConnectError):
        return TransportFailure("connect", False, exc)
    if isinstance(exc, httpx.TimeoutException):
        return TransportFailure("timeout", True, exc)
    return TransportFailure("network", True, exc)


def retry_reason(outcome: httpx.Response | TransportFailure, *, idempotent: bool, keyed: bool) -> str | None:
    """The reason to repeat an attempt (the ``reason`` label of the retries counter), or ``None``.

    Args:
        outcome: The response of the attempt or its classified transport failure.
        idempotent: Whether the method is idempotent.
        keyed: Whether the request carries an ``Idempotency-Key``.
    """
    if isinstance(outcome, TransportFailure):
        return outcome.kind if (not outcome.sent or idempotent or keyed) else None
    status = outcome.status_code
    if status in _RETRY_STATUSES and (idempotent or keyed):
        return str(status)
    if status == 500 and idempotent:
        return "500"
    return None


def full_jitter(attempt: int, base: float, cap: float, rand: float) -> float:
    """Backoff before attempt ``attempt + 1``: uniform in [0, min(cap, base * 2 ** (attempt - 1))).

    Args:
        attempt: The attempt that just failed, from 1.
        base: Ceiling after the first attempt.
        cap: Largest ceiling.
        rand: A uniform draw from [0, 1).
    """
    return rand * min(cap, base * math.ldexp(1.0, min(attempt - 1, 60)))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (delay-seconds or HTTP-date), or ``None``.

    Args:
        value: The header value.
        now: Current time for an HTTP-date (defaults to now, UTC).
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
