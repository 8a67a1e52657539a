"""The request pipeline every NetSuite route shares: TBA verification, JSON bodies, NetSuite's answers.

A route is a plain function ``(Call) -> Reply`` registered with :func:`endpoint`; this module verifies the
OAuth signature over the URL the client called, decodes the body, and turns :class:`NetSuiteError` (and any
sandbox bug) into NetSuite's error body, never a stack trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, Response, route

from .errors import ERROR_MEDIA_TYPE, NetSuiteError
from .oauth import OAuthVerifier, SignedRequest
from .records import NetSuiteState

__all__ = ["Call", "Reply", "endpoint", "error_response"]

log = logging.getLogger(__name__)
RESOURCE = "application/vnd.oracle.resource+json; type={}"


@dataclass
class Call:
    """What a route function receives."""

    state: NetSuiteState
    path: dict[str, Any]
    query: dict[str, str]
    headers: Any
    body: Any
    base: str
    """``scheme://host/services/rest``: the root links and ``Location`` headers are built on."""
    strict: bool
    """``X-NetSuite-PropertyNameValidation: Error``: unknown body properties are refused."""


@dataclass
class Reply:
    """A route's answer: a JSON body (200) or a 204 with headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "singular-resource"


Fn = Callable[[Call], Reply]


def error_response(exc: NetSuiteError) -> Response[bytes]:
    """NetSuite's error body as a response."""
    return Response(json.dumps(exc.body()).encode(), status_code=exc.status, media_type=ERROR_MEDIA_TYPE)


def _url_parts(request: Request[Any, Any, Any]) -> tuple[str, str]:
    scope = request.scope
    host = request.headers.get("host") or f"{scope['server'][0]}:{scope['server'][1]}"
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return f"{scope['scheme']}://{host}", raw_path.decode("latin-1")


def _query(raw: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=False))
    except ValueError:
        raise NetSuiteError(400, "The request query string is malformed.", "INVALID_PARAMETER") from None


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise NetSuiteError(400, "Invalid content in the request body. The body is not valid JSON.",
                            "INVALID_CONTENT") from None


async def _call(request: Request[Any, Any, Any]) -> Call:
    origin, raw_path = _url_parts(request)
    raw_query = request.scope.get("query_string", b"").decode("latin-1")
    body = await request.body()
    verifier: OAuthVerifier = request.app.state["netsuite_oauth"]
    verifier.verify(SignedRequest(request.method, origin + raw_path, raw_query,
                                  request.headers.get("authorization", ""), body))
    strict = request.headers.get("x-netsuite-propertynamevalidation", "").lower() == "error"
    return Call(request.app.state["netsuite_state"], dict(request.path_params), _query(raw_query),
                request.headers, _decode(body), f"{origin}/services/rest", strict)


def _reply(reply: Reply) -> Response[bytes]:
    if reply.status == 204:
        return Response(b"", status_code=204, headers=reply.headers)
    return Response(json.dumps(reply.body).encode(), status_code=reply.status, headers=reply.headers,
                    media_type=RESOURCE.format(reply.kind))


async def _handle(request: Request[Any, Any, Any], fn: Fn) -> Response[bytes]:
    try:
        return _reply(fn(await _call(request)))
    except NetSuiteError as exc:
        return error_response(exc)
    except Exception:  # a sandbox bug: answer like NetSuite's unexpected error, never a stack trace
        log.exception("netsuite sandbox failure")
        return error_response(NetSuiteError(500, "An unexpected error occurred.", "UNEXPECTED_ERROR"))


def endpoint(method: str, path: str, fn: Fn, operation_id: str) -> Any:
    """Register ``fn`` as a NetSuite route.

    Args:
        method: HTTP method.
        path: Litestar path (``/services/rest/record/v1/{rtype:str}``).
        fn: The route logic; raises :class:`NetSuiteError` for NetSuite's errors.
        operation_id: Stable operation id.
    """

    async def handler(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _handle(request, fn)

    return route(path, http_method=[method], operation_id=operation_id, include_in_schema=False,
                 status_code=200)(handler)
