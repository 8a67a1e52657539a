"""The request pipeline every HubSpot route shares: bearer auth, JSON bodies, query lists, error bodies, events.

A route is a plain function ``(Call) -> (status, body)`` registered with :func:`endpoint`; this module turns it
into a Litestar handler that behaves like HubSpot on the wire.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, Response, route

from .errors import HubSpotError, error_body, invalid_json, validation
from .schema import resolve_type
from .state import HubSpotState
from .webhooks import deliver_events

__all__ = ["Call", "endpoint", "respond"]

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"^pat-(na1|na2|eu1|ap1)-[0-9a-f-]{8,}$|^pat-[a-z0-9]+-sandbox[\w-]*$")
_NO_AUTH = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
            "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")


@dataclass
class Call:
    """What a route function receives."""

    state: HubSpotState
    path: dict[str, str]
    query: list[tuple[str, str]]
    body: Any
    base_url: str

    def values(self, name: str) -> list[str] | None:
        """A list parameter, repeated and/or comma-separated (``properties=a&properties=b,c``); None when absent."""
        raw = [v for k, v in self.query if k == name]
        if not raw:
            return None
        return [item.strip() for value in raw for item in value.split(",") if item.strip()]

    def text(self, name: str) -> str | None:
        """The last value of a query parameter."""
        found = [v for k, v in self.query if k == name]
        return found[-1] if found else None

    def flag(self, name: str) -> bool:
        """A boolean query parameter (``archived=true``)."""
        return (self.text(name) or "false").lower() == "true"

    def integer(self, name: str, default: int, cap: int) -> int:
        """An integer query parameter, capped at ``cap`` as HubSpot caps list sizes."""
        raw = self.text(name)
        if raw is None:
            return default
        if not raw.strip().isdigit() or int(raw) < 1:
            raise validation(f"Invalid value for query parameter {name}: {raw}", context={name: [raw]})
        return min(int(raw), cap)

    def object_type(self, key: str = "objectType") -> str:
        """The object type named in the path, or HubSpot's 400 for an unknown one."""
        resolved = resolve_type(self.path[key])
        if resolved is None:
            raise validation(f"Unable to infer object type from: {self.path[key]}")
        return resolved


Result = tuple[int, Any]
Fn = Callable[[Call], Result]


def respond(status: int, body: Any, correlation_id: str) -> Response[bytes]:
    """A JSON (or empty) response with HubSpot's correlation header."""
    raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    return Response(raw, status_code=status, media_type="application/json;charset=utf-8",
                    headers={"X-HubSpot-Correlation-Id": correlation_id})


def _authenticate(request: Request[Any, Any, Any]) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    allowed = request.app.state.get("hubspot_tokens")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise HubSpotError(401, _NO_AUTH, "INVALID_AUTHENTICATION")
    if (allowed is not None and token not in allowed) or (allowed is None and not _TOKEN.match(token)):
        raise HubSpotError(401, _NO_AUTH, "INVALID_AUTHENTICATION")


async def _body(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    if request.method in ("GET", "DELETE") or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise validation(f"Invalid input JSON on line {line}, column {col}: {getattr(exc, 'msg', str(exc))}") from None


def _run(fn: Fn, call: Call, correlation_id: str) -> Result:
    state = call.state
    with state.lock:
        state.events = []
        try:
            return fn(call)
        except HubSpotError as exc:
            state.events = []
            return exc.status, exc.body(correlation_id)
        except (TypeError, KeyError, AttributeError) as exc:  # a body of the wrong JSON shape slipped through
            log.info("hubspot sandbox refused malformed input: %r", exc)
            state.events = []
            return 400, invalid_json(str(exc)).body(correlation_id)
        except Exception:  # a sandbox bug: HubSpot's 500 body, never a stack trace
            log.exception("hubspot sandbox failure")
            state.events = []
            return 500, error_body("internal error", "INTERNAL_ERROR", correlation_id)


async def _handle(request: Request[Any, Any, Any], fn: Fn) -> Response[bytes]:
    correlation_id = str(uuid.uuid4())
    state: HubSpotState = request.app.state["hubspot_state"]
    try:
        _authenticate(request)
        body = await _body(request)
    except HubSpotError as exc:
        return respond(exc.status, exc.body(correlation_id), correlation_id)
    query = parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    call = Call(state, dict(request.path_params), query, body, str(request.base_url).rstrip("/"))
    status, payload = _run(fn, call, correlation_id)
    if status < 400:
        with state.lock:
            deliver_events(state, request.app.state["webhooks"])
    return respond(status, payload, correlation_id)


def endpoint(method: str, path: str, fn: Fn, operation_id: str) -> Any:
    """Register ``fn`` as a HubSpot route.

    Args:
        method: HTTP method.
        path: Litestar path (``/crm/v3/objects/{objectType:str}``).
        fn: The route logic; raises :class:`HubSpotError` for HubSpot's errors.
        operation_id: Stable operation id.
    """

    async def handler(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _handle(request, fn)

    return route(path, http_method=[method], operation_id=operation_id, include_in_schema=False,
                 status_code=200)(handler)
