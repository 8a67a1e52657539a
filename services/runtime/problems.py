"""Every error a service answers with is an RFC 9457 problem: one shape, documented `type`, no stack trace.

Litestar's own exceptions (validation, routing, auth, size limits) and the runtime's typed errors are mapped
here; anything unexpected becomes a generic 500 problem whose cause is logged, never sent.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from redis.exceptions import RedisError

from contracts.problems import PROBLEM_TYPES, FieldError, Problem, problem_type_uri
from services.runtime.correlation import current_correlation_id

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ServiceError",
    "exception_handlers",
    "problem_bytes",
    "problem_response",
    "send_problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("revflow.problems")

_UNDECODABLE = re.compile(r"(?i)malformed|truncated|utf-8|invalid character|trailing characters")
# Litestar names a missing required parameter only in its detail: "Missing required query parameter 'x' for path …".
_MISSING_PARAMETER = re.compile(r"Missing required (query|header|cookie|path) parameter '([^']+)'")
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): (.+)$", re.S)
_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
_STATUS_SLUGS = {400: "validation", 401: "unauthorized", 403: "forbidden", 404: "not-found",
                 405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
                 415: "unsupported-media-type", 422: "business-rule", 429: "rate-limited",
                 502: "upstream-failed", 503: "upstream-unavailable", 504: "upstream-timeout"}


class ServiceError(Exception):
    """A failure a handler or domain service raises on purpose; it becomes a problem response.

    Subclass it per domain error with a class-level ``slug`` (a key of ``PROBLEM_TYPES``), or pass ``slug``.
    """

    slug = "business-rule"
    status_code: int | None = None

    def __init__(self, detail: str, *, slug: str | None = None, status_code: int | None = None,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                 code: str | None = None, retryable: bool | None = None, owner: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.slug = slug or self.slug
        self.status_code = status_code or self.status_code or PROBLEM_TYPES[self.slug].status
        self.errors = errors
        self.headers = headers or {}
        self.code, self.retryable, self.owner = code, retryable, owner


def problem_bytes(*, slug: str, status: int, detail: str | None, instance: str | None,
                  errors: list[FieldError] | None = None, title: str | None = None, **extensions: Any) -> bytes:
    """Encode a problem body; ``title`` defaults to the documented title of ``slug``.

    ``extensions`` are the optional ``Problem`` fields ``code``, ``retryable`` and ``owner``.
    """
    problem = Problem(
        type=problem_type_uri(slug), title=title or PROBLEM_TYPES[slug].title, status=status, detail=detail,
        instance=instance, correlation_id=current_correlation_id(), errors=errors, **extensions,
    )
    return msgspec.json.encode(problem)


async def send_problem(send: Any, scope: Any, *, slug: str, status: int, detail: str,
                       headers: dict[bytes, bytes] | None = None, errors: list[FieldError] | None = None) -> None:
    """Answer with a problem straight on the ASGI ``send`` (for middleware that runs outside handlers)."""
    body = problem_bytes(slug=slug, status=status, detail=detail, instance=scope["path"], errors=errors)
    raw_headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                   *(headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def problem_response(request: Request[Any, Any, Any], *, slug: str, status: int, detail: str | None,
                     errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                     **extensions: Any) -> Response[bytes]:
    """A ``Response`` carrying a problem body with the request path as ``instance``."""
    body = problem_bytes(slug=slug, status=status, detail=detail, instance=request.url.path, errors=errors,
                         **extensions)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_errors(exc: ValidationException) -> list[FieldError]:
    errors: list[FieldError] = []
    missing = _MISSING_PARAMETER.match(str(exc.detail or ""))
    if missing and not exc.extra:
        return [FieldError(field=missing.group(2), source=missing.group(1), message="required")]
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        key = str(item.get("key") or "")
        leading = _FIELD_PREFIX.match(message)
        named = _FIELD_IN_MESSAGE.search(message)
        if leading:
            # A contract's own check (``__post_init__``) names the field first: "end: must not be before start".
            key = leading.group(1) if key in ("", "data") else f"{key}.{leading.group(1)}"
            message = leading.group(2)
        elif named and key in ("", "data"):
            key = named.group(1)
        elif named:
            key = f"{key}.{named.group(1)}"
        source = item.get("source")
        errors.append(FieldError(field=key.replace("[", ".").replace("]", "") or "body",
                                 source=str(getattr(source, "value", source) or "body"), message=message))
    return errors


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    errors = _field_errors(exc)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) if errors else str(exc.detail)
    if errors:
        detail = f"{len(errors)} invalid field(s) — {detail}"
    return problem_response(request, slug="validation", status=400, detail=detail, errors=errors or None)


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    detail = str(exc.detail) if exc.detail else None
    headers = dict(exc.headers or {})
    if status == 400 and not exc.extra and detail and _UNDECODABLE.search(detail):
        return problem_response(request, slug="malformed-body", status=400,
                                detail=detail.replace("JSON is malformed", "Request body is not valid JSON"))
    if isinstance(exc, ValidationException) and status == 400:
        return _validation(request, exc)
    slug = _STATUS_SLUGS.get(status, "internal" if status >= 500 else "validation")
    if isinstance(exc, NotFoundException) and detail == "Not Found":
        detail = f"No resource at {request.url.path}"
    if isinstance(exc, MethodNotAllowedException):
        detail = f"{request.method} is not allowed on {request.url.path}"
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException):
        headers.setdefault("WWW-Authenticate", "Bearer")
    if status == 500:
        log.error("HTTP 500 raised on %s %s: %s", request.method, request.url.path, detail)
        detail = "The service failed to handle the request."
    return problem_response(request, slug=slug, status=status, detail=detail, headers=headers)


def _service_error(request: Request[Any, Any, Any], exc: ServiceError) -> Response[bytes]:
    return problem_response(request, slug=exc.slug, status=exc.status_code or 422, detail=exc.detail,
                            errors=exc.errors, headers=exc.headers, code=exc.code, retryable=exc.retryable,
                            owner=exc.owner)


def _upstream_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    status = int(getattr(exc, "http_status", 502))
    slug = _STATUS_SLUGS.get(status, "upstream-failed")
    log.warning("upstream failure on %s %s: %s", request.method, request.url.path, exc)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else None
    return problem_response(request, slug=slug, status=status, detail=str(exc) or None, headers=headers,
                            retryable=status in (503, 504) or None, owner="integration")


def _undecodable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    return problem_response(request, slug="malformed-body", status=400,
                            detail="Request body is not valid UTF-8 text.")


def _state_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.error("state store failure on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(request, slug="upstream-unavailable", status=503,
                            detail="The service's state store is unavailable; retry shortly.",
                            headers={"Retry-After": "1"})


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, slug="internal", status=500,
                            detail="The service failed to handle the request.")


def exception_handlers(*upstream_errors: type[Exception]) -> dict[type[Exception], Any]:
    """The handler map every service installs; ``upstream_errors`` are the HTTP client's error classes."""
    handlers: dict[type[Exception], Any] = {
        HTTPException: _http_exception,
        ServiceError: _service_error,
        RedisError: _state_unavailable,
        UnicodeDecodeError: _undecodable,
        Exception: _internal,
    }
    for cls in upstream_errors:
        handlers[cls] = _upstream_error
    return handlers
