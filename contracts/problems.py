"""RFC 9457 problem details: the one error shape every revflow service answers with.

Every problem ``type`` is a URI under ``PROBLEM_BASE`` and is documented in ``PROBLEM_TYPES`` (served by each
service and listed in the README), so a client can switch on ``type`` instead of parsing ``title``.
Contract version: 1.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_TYPES",
    "FieldError",
    "Problem",
    "ProblemType",
    "problem_type_uri",
]

PROBLEM_BASE = "https://revflow.dev/problems/"


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One field-level failure inside a validation problem."""

    field: str
    """Dotted path of the offending field (``lines.0.quantity``), or the header/query name."""
    source: str
    """Where the field lives: ``body``, ``query``, ``path``, ``header`` or ``cookie``."""
    message: str
    """Why it was rejected, in words a client developer can act on."""


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An ``application/problem+json`` body (RFC 9457) with revflow's extensions."""

    type: str
    """A URI from ``PROBLEM_TYPES``."""
    title: str
    """Short, stable summary of the problem type."""
    status: int
    """The HTTP status code."""
    detail: str | None = None
    """What went wrong with this request, in plain words."""
    instance: str | None = None
    """The request path the problem occurred on."""
    correlation_id: str | None = None
    """The ``X-Correlation-ID`` of the request, for support and log search."""
    errors: list[FieldError] | None = None
    """Field-level failures, present on validation problems."""
    code: str | None = None
    """A machine-readable cause below the problem type: the vendor's own error code when a vendor refused
    (``resource_missing``, ``INVALID_KEY_OR_REF``), or a domain code (``sku_missing``)."""
    retryable: bool | None = None
    """Whether sending the same request again later can succeed (rate limit, outage) or cannot (bad data)."""
    owner: str | None = None
    """Who owns the fix: ``sales_ops``, ``finance_ops``, ``billing_ops`` or ``integration``."""


class ProblemType(msgspec.Struct, frozen=True, kw_only=True):
    """Documentation of one problem type."""

    slug: str
    title: str
    status: int
    description: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


def _types(*items: ProblemType) -> dict[str, ProblemType]:
    return {item.slug: item for item in items}


PROBLEM_TYPES: dict[str, ProblemType] = _types(
    ProblemType(slug="validation", title="Request validation failed", status=400,
                description="The body, query, path or a header did not match the operation's schema; "
                "`errors[]` names each field and the reason."),
    ProblemType(slug="malformed-body", title="Malformed request body", status=400,
                description="The body is not valid JSON (or not UTF-8), so no field could be read."),
    ProblemType(slug="idempotency-key-missing", title="Idempotency-Key required", status=400,
                description="This operation changes state and requires an `Idempotency-Key` header."),
    ProblemType(slug="unauthorized", title="Authentication required", status=401,
                description="No bearer token, or the token is invalid, expired, not yet valid, from another "
                "issuer or for another audience. `WWW-Authenticate` carries the RFC 6750 error."),
    ProblemType(slug="forbidden", title="Insufficient scope", status=403,
                description="The token is valid but lacks a scope or tenant this operation needs."),
    ProblemType(slug="not-found", title="Not found", status=404,
                description="No route or resource at this path."),
    ProblemType(slug="method-not-allowed", title="Method not allowed", status=405,
                description="The path exists but does not accept this method; `Allow` lists the ones it does."),
    ProblemType(slug="conflict", title="Conflict", status=409,
                description="The request conflicts with the current state of the resource."),
    ProblemType(slug="idempotency-in-flight", title="Request with this Idempotency-Key in progress", status=409,
                description="A request with the same key is still executing; retry after it finishes."),
    ProblemType(slug="payload-too-large", title="Request body too large", status=413,
                description="The body exceeds the service's limit."),
    ProblemType(slug="unsupported-media-type", title="Unsupported media type", status=415,
                description="The operation does not accept this Content-Type."),
    ProblemType(slug="idempotency-key-reused", title="Idempotency-Key reused with another request",
                status=422,
                description="The key was first used with a different method, path or body; use a new key."),
    ProblemType(slug="business-rule", title="Business rule violated", status=422,
                description="The request is well-formed but breaks a business rule named in `detail`."),
    ProblemType(slug="rate-limited", title="Too many requests", status=429,
                description="Slow down; `Retry-After` says when to try again."),
    ProblemType(slug="internal", title="Internal error", status=500,
                description="An unexpected failure inside the service. Nothing of its cause is exposed; "
                "quote `correlation_id` to support."),
    ProblemType(slug="upstream-failed", title="Upstream service failed", status=502,
                description="A service or vendor this operation depends on answered with an error."),
    ProblemType(slug="upstream-unavailable", title="Upstream service unavailable", status=503,
                description="A dependency is down or its circuit breaker is open; retry later."),
    ProblemType(slug="upstream-timeout", title="Upstream service timed out", status=504,
                description="A dependency did not answer in time."),
)


def problem_type_uri(slug: str) -> str:
    """Return the documented URI of a problem type, refusing undocumented slugs."""
    if slug not in PROBLEM_TYPES:
        raise KeyError(f"undocumented problem type {slug!r}: add it to PROBLEM_TYPES")
    return PROBLEM_TYPES[slug].uri
