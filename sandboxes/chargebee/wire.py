"""The request pipeline every Chargebee route shares: Basic auth, form parsing, idempotency, error bodies.

A route is a plain function ``(Call) -> dict`` registered with :func:`endpoint`; this module turns it into a
Litestar handler that behaves like Chargebee on the wire (base path ``/api/v2``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, route

from sandboxes._kit import Saved

from .errors import ChargebeeError, internal_error_body
from .params import Params, parse_form
from .state import ChargebeeState

__all__ = ["API_BASE", "Call", "endpoint"]

log = logging.getLogger(__name__)
API_BASE = "/api/v2"
IDEMPOTENCY_HEADER = "chargebee-idempotency-key"
REPLAYED_HEADER = "chargebee-idempotency-replayed"
MAX_KEY_LENGTH = 100  # Chargebee: "Idempotency keys can be upto 100 characters in length"


@dataclass
class Call:
    """What a route function receives."""

    state: ChargebeeState
    params: Params
    path: dict[str, str]


Fn = Callable[[Call], dict[str, Any]]


def _auth_error(message: str) -> ChargebeeError:
    return ChargebeeError(401, message, "api_authentication_failed", type_=None)


def _api_key(request: Request[Any, Any, Any]) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        raise _auth_error("Sorry, authentication failed. Authorization header is missing")
    try:
        key = base64.b64decode(value, validate=True).decode("utf-8").split(":", 1)[0]
    except (binascii.Error, UnicodeDecodeError):
        raise _auth_error("Sorry, authentication failed. Invalid api key") from None
    keys = request.app.state.get("chargebee_api_keys")
    if not key or (keys is not None and key not in keys):
        raise _auth_error("Sorry, authentication failed. Invalid api key")
    return key


async def _params(request: Request[Any, Any, Any]) -> dict[str, Any]:
    query = parse_form(request.scope.get("query_string", b"").decode("latin-1"))
    if request.method != "POST":
        return query
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ChargebeeError(400, "request body is not valid UTF-8", "param_wrong_value") from None
    return {**query, **parse_form(text)}


def _fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    raw = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _respond(status: int, body: bytes, replayed: bool = False) -> Response[bytes]:
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(body, status_code=status, media_type="application/json;charset=utf-8", headers=headers)


def _error(exc: ChargebeeError) -> Response[bytes]:
    return _respond(exc.status, json.dumps(exc.body()).encode())


def _run(fn: Fn, call: Call) -> tuple[int, bytes]:
    try:
        state = call.state
        state.source = "api"
        return 200, json.dumps(fn(call), separators=(",", ":")).encode()
    except ChargebeeError as exc:
        return exc.status, json.dumps(exc.body()).encode()
    except Exception:  # a sandbox bug: answer like Chargebee's 500, never a stack trace
        log.exception("chargebee sandbox failure")
        return 500, json.dumps(internal_error_body()).encode()


def _idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER) if request.method == "POST" else None
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ChargebeeError(400, f"should have at most {MAX_KEY_LENGTH} characters", "param_wrong_value",
                             param=IDEMPOTENCY_HEADER)
    return key


async def _handle(request: Request[Any, Any, Any], fn: Fn) -> Response[bytes]:
    state: ChargebeeState = request.app.state["chargebee_state"]
    try:
        api_key = _api_key(request)
        raw = await _params(request)
        key = _idempotency_key(request)
    except ChargebeeError as exc:
        return _error(exc)
    fingerprint = _fingerprint(request.method, request.url.path, raw)
    if key is not None and (saved := state.idempotency.get(api_key, key)) is not None:
        if saved.fingerprint != fingerprint:
            return _error(ChargebeeError(
                409, f"The idempotency key {key} was already used for a request with different parameters",
                "invalid_request"))
        return _respond(saved.status, saved.body, replayed=True)
    status, body = _run(fn, Call(state, Params(raw), dict(request.path_params)))
    if key is not None and status < 500:
        state.idempotency.save(api_key, key, Saved(fingerprint, status, body))
    return _respond(status, body)


def endpoint(method: str, path: str, fn: Fn, operation_id: str) -> Any:
    """Register ``fn`` as a Chargebee route under ``/api/v2``.

    Args:
        method: HTTP method.
        path: Path below ``/api/v2`` in Litestar syntax (``/customers/{id:str}``).
        fn: The route logic; raises :class:`ChargebeeError` for Chargebee's errors.
        operation_id: Stable operation id (Chargebee's own operation name, e.g. ``createCustomer``).
    """

    async def handler(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _handle(request, fn)

    return route(API_BASE + path, http_method=[method], operation_id=operation_id, include_in_schema=False,
                 status_code=200)(handler)
