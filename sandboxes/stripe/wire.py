"""The request pipeline every Stripe route shares: auth, form parsing, idempotency, expand, error bodies.

A route is a plain function ``(Call) -> dict`` registered with :func:`endpoint`; this module turns it into
a Litestar handler that behaves like Stripe on the wire.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, Response, route

from sandboxes._kit import FormError, Saved, parse_bracket_form, parse_bracket_pairs

from .errors import StripeError
from .params import Params
from .state import RequestInfo, StripeState

__all__ = ["Call", "endpoint"]

log = logging.getLogger(__name__)
API_VERSION = "2024-04-10"
_KEY = re.compile(r"^sk_test_[A-Za-z0-9_]{1,247}$")


@dataclass
class Call:
    """What a route function receives."""

    state: StripeState
    params: Params
    path: dict[str, str]
    url: str


Fn = Callable[[Call], dict[str, Any]]


def _api_key(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            value = ""
    elif scheme.lower() != "bearer":
        value = ""
    if not value:
        raise StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                          "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
    keys = request.app.state.get("stripe_api_keys")
    if not _KEY.match(value) or (keys and value not in keys):
        shown = value[:8] + "*" * max(0, len(value) - 12) + value[-4:]
        raise StripeError(401, f"Invalid API Key provided: {shown}")
    return value


async def _params(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        query = parse_bracket_pairs(parse_qsl(request.scope.get("query_string", b"").decode("latin-1"),
                                              keep_blank_values=True))
        body = parse_bracket_form(await request.body()) if request.method in ("POST", "DELETE") else {}
    except FormError as exc:
        raise StripeError(400, f"Invalid request: {exc}", param=exc.param) from None
    return {**query, **body}


def _expand(state: StripeState, obj: Any, path: list[str], full: str) -> Any:
    if isinstance(obj, dict) and obj.get("object") == "list" and path[0] == "data":
        obj["data"] = [_expand(state, item, path[1:], full) for item in obj["data"]] if path[1:] else obj["data"]
        return obj
    if not isinstance(obj, dict) or path[0] not in obj:
        raise StripeError(400, f"This property cannot be expanded ({full}).", param="expand")
    value = obj[path[0]]
    if isinstance(value, str):
        found = state.find(value)
        if found is None:
            raise StripeError(400, f"This property cannot be expanded ({full}).", param="expand")
        value = copy.deepcopy(found)
    if len(path) > 1:
        value = _expand(state, value, path[1:], full) if value is not None else None
    obj[path[0]] = value
    return obj


def _respond(status: int, body: bytes, info: RequestInfo, extra: dict[str, str] | None = None) -> Response[bytes]:
    headers = {"request-id": info.id or "", "stripe-version": info.api_version, **(extra or {})}
    if info.idempotency_key:
        headers["idempotency-key"] = info.idempotency_key
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    raw = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _run(fn: Fn, call: Call, expand: list[Any]) -> tuple[int, bytes, bool]:
    """Execute the route; returns status, body and whether an idempotent request saves it."""
    try:
        result = fn(call)
        for item in expand:
            if not isinstance(item, str) or not item:
                raise StripeError(400, "Invalid array", param="expand")
            result = _expand(call.state, result, item.split("."), item)
        return 200, json.dumps(result, separators=(",", ":")).encode(), True
    except StripeError as exc:
        return exc.status, json.dumps(exc.body(call.state.request.id)).encode(), exc.saved
    except Exception:  # a sandbox bug: answer like Stripe's 500, never a stack trace
        log.exception("stripe sandbox failure")
        body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
        return 500, json.dumps(body).encode(), True


async def _handle(request: Request[Any, Any, Any], fn: Fn, idempotent: bool) -> Response[bytes]:
    state: StripeState = request.app.state["stripe_state"]
    info = RequestInfo(id=state.ids.new("req"),
                       api_version=request.headers.get("stripe-version") or API_VERSION)
    state.request = info
    try:
        api_key = _api_key(request)
        raw = await _params(request)
        key = request.headers.get("idempotency-key") if idempotent else None
        if key is not None and len(key) > 255:
            raise StripeError(400, "Idempotency-Key must be at most 255 characters long.", param="Idempotency-Key")
        info.idempotency_key = key
    except StripeError as exc:
        return _respond(exc.status, json.dumps(exc.body(info.id)).encode(), info)
    fingerprint = _fingerprint(request.method, request.url.path, raw)
    if key is not None:
        saved = state.idempotency.get(api_key, key)
        if saved is not None:
            return _replay(saved, fingerprint, key, info)
    expand = raw.pop("expand", [])
    call = Call(state, Params(raw), dict(request.path_params), request.url.path)
    status, body, keep = _run(fn, call, expand if isinstance(expand, list) else [expand])
    if key is not None and keep:
        state.idempotency.save(api_key, key, Saved(fingerprint, status, body, (("request-id", info.id or ""),)))
    return _respond(status, body, info)


def _replay(saved: Saved, fingerprint: str, key: str, info: RequestInfo) -> Response[bytes]:
    if saved.fingerprint != fingerprint:
        err = StripeError(400, "Keys for idempotent requests can only be used with the same parameters they were "
                          f"first used with. Try using a key other than '{key}' if you meant to execute a "
                          "different request.", type_="idempotency_error")
        return _respond(400, json.dumps(err.body(info.id)).encode(), info)
    return _respond(saved.status, saved.body, info, {**dict(saved.headers), "idempotent-replayed": "true"})


def endpoint(method: str, path: str, fn: Fn, operation_id: str) -> Any:
    """Register ``fn`` as a Stripe route.

    Args:
        method: HTTP method.
        path: Litestar path (``/v1/customers/{customer:str}``).
        fn: The route logic; raises :class:`StripeError` for Stripe's errors.
        operation_id: Stable operation id (Stripe's own naming, e.g. ``PostCustomers``).
    """
    idempotent = method == "POST"

    async def handler(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _handle(request, fn, idempotent)

    return route(path, http_method=[method], operation_id=operation_id, include_in_schema=False,
                 status_code=200)(handler)
