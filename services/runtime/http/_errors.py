"""Typed failures of an upstream call, each with the status a service answers its own caller with."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "CredentialsUnavailable",
    "UpstreamError",
    "UpstreamFailed",
    "UpstreamSaturated",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class UpstreamError(Exception):
    """An upstream call did not produce a usable response.

    Attributes:
        http_status: Status a service should answer with when it maps this error to a problem response.
        upstream: Configured name of the upstream.
        method: HTTP method of the call.
        path: Path of the call, without query string.
        reason: Short machine-readable cause (``timeout``, ``connect``, ``network``, ``circuit_open``,
            ``saturated``, ``rate_limited``, ``status``).
        status: HTTP status the upstream answered with on the last attempt, if it answered.
        problem: The upstream's JSON error body (RFC 9457 or vendor shape), if it sent one.
        retry_after: Seconds the upstream (or the open circuit) asks callers to wait, if known.
        attempts: Attempts made (0 when the call never reached the network).
    """

    http_status: ClassVar[int] = 502

    def __init__(self, upstream: str, message: str, *, method: str = "", path: str = "",
                 reason: str = "", status: int | None = None, problem: dict[str, Any] | None = None,
                 retry_after: float | None = None, attempts: int = 0) -> None:
        super().__init__(f"{upstream}: {message}")
        self.upstream = upstream
        self.method = method
        self.path = path
        self.reason = reason
        self.status = status
        self.problem = problem
        self.retry_after = retry_after
        self.attempts = attempts


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer within the timeout (maps to 504 Gateway Timeout)."""

    http_status: ClassVar[int] = 504


class UpstreamUnavailable(UpstreamError):
    """The upstream cannot be reached now: circuit open, connection refused, rate limited (maps to 503)."""

    http_status: ClassVar[int] = 503


class CredentialsUnavailable(UpstreamUnavailable):
    """No credential could be obtained for the call (the token issuer is down or refused).

    The upstream itself was never contacted, so its circuit breaker does not count it (maps to 503).
    """


class UpstreamSaturated(UpstreamUnavailable):
    """Every concurrency slot of the upstream stayed busy for the whole allowed wait (maps to 503)."""


class UpstreamFailed(UpstreamError):
    """The upstream answered 5xx (after any retries) or broke the connection mid-request (maps to 502)."""

    http_status: ClassVar[int] = 502
