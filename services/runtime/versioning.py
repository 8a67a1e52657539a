"""Path-major API versions and deprecation signalling.

Routes live under ``/v<major>``. A router or a single route can be marked deprecated; it then answers with
``Deprecation`` (RFC 9745, ``@<unix-seconds>``), ``Sunset`` (RFC 8594 HTTP-date) and
``Link: <successor>; rel="successor-version"`` headers, and its OpenAPI operations say ``deprecated: true``.

Each answered call of a deprecated route also records who made it (the token's client id), so the owners of the
route know whom to tell before the sunset: one Redis hash per route, client id -> last call (unix seconds), kept
``DEPRECATED_CALLS_TTL_S`` after the last call, and a set indexing the routes so a catalogue can list them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Router
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware

__all__ = [
    "DEPRECATED_CALLS_TTL_S",
    "DEPRECATION_OPT",
    "DeprecatedCall",
    "Deprecation",
    "DeprecationHeadersMiddleware",
    "deprecate",
    "deprecated_calls",
    "record_deprecated_call",
    "versioned_router",
]

DEPRECATION_OPT = "deprecation"
DEPRECATED_CALLS_TTL_S = 90 * 86_400
"""How long a caller of a deprecated route is remembered after its last call."""

_log = logging.getLogger(__name__)


class Deprecation(msgspec.Struct, frozen=True, kw_only=True):
    """When a route was deprecated, when it goes away, and what replaces it."""

    since: datetime
    """When the route became deprecated (UTC)."""
    sunset: datetime | None = None
    """When the route stops answering (UTC)."""
    successor: str | None = None
    """Path of the replacement; ``{name}`` placeholders are filled from the request's path parameters."""

    def headers(self, path_params: dict[str, Any]) -> list[tuple[bytes, bytes]]:
        """The response headers announcing this deprecation."""
        out = [(b"deprecation", f"@{int(self.since.astimezone(UTC).timestamp())}".encode())]
        if self.sunset is not None:
            out.append((b"sunset", format_datetime(self.sunset.astimezone(UTC), usegmt=True).encode()))
        if self.successor is not None:
            target = self.successor.format_map(_Defaulting(path_params))
            out.append((b"link", f'<{target}>; rel="successor-version"'.encode()))
        return out


class _Defaulting(dict[str, Any]):
    """Path parameters for the successor template, percent-encoded so no value can break out of the header."""

    def __getitem__(self, key: str) -> str:
        return quote(str(super().__getitem__(key)), safe="")

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def versioned_router(major: int, handlers: Sequence[Any], *, deprecation: Deprecation | None = None,
                     **kwargs: Any) -> Router:
    """A ``/v<major>`` router whose routes require a bearer token (shown in OpenAPI)."""
    router = Router(path=f"/v{major}", route_handlers=list(handlers), security=[{"bearer": []}], **kwargs)
    if deprecation is not None:
        for handler in handlers:
            deprecate(handler, deprecation)
    return router


def deprecate(handler: Any, deprecation: Deprecation) -> Any:
    """Mark a route handler (or every route of a controller class) deprecated."""
    targets = [handler] if isinstance(handler, HTTPRouteHandler) else [
        value for value in vars(handler).values() if isinstance(value, HTTPRouteHandler)]
    for target in targets:
        target.opt[DEPRECATION_OPT] = deprecation
        target.deprecated = True
    return handler


class DeprecationHeadersMiddleware(ASGIMiddleware):
    """Adds the deprecation headers to responses of deprecated routes; costs one dict lookup otherwise."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: Any) -> None:
        deprecation: Deprecation | None = scope["route_handler"].opt.get(DEPRECATION_OPT)
        if deprecation is None:
            await next_app(scope, receive, send)
            return
        extra = deprecation.headers(scope.get("path_params") or {})

        async def send_with_headers(message: Any) -> None:
            # Only answers of the route itself announce its deprecation, not refusals of bad requests to it.
            if message["type"] == "http.response.start" and message["status"] < 400:
                message["headers"] = [*message.get("headers", ()), *extra]
                # Recorded before the answer leaves, so a caller that reads the catalogue next sees its own call.
                await _record_from_scope(scope)
            await send(message)

        await next_app(scope, receive, send_with_headers)


class DeprecatedCall(msgspec.Struct, frozen=True, kw_only=True):
    """A client that called a deprecated route, and when it last did."""

    service: str
    method: str
    route: str
    """The route template (``/v1/account-lookup/{account_id}``), not the concrete path."""
    client_id: str
    last_seen: datetime


def _route_key(keyspace: Any, service: str, method: str, route: str) -> str:
    return keyspace.key("deprecated-calls", service, method, route)


def _index_key(keyspace: Any) -> str:
    return keyspace.key("deprecated-calls", "routes")


async def record_deprecated_call(redis: Any, keyspace: Any, *, service: str, method: str, route: str,
                                 client_id: str, at: float | None = None) -> None:
    """Remember that ``client_id`` called the deprecated ``method route`` of ``service`` (now, or at ``at``)."""
    key = _route_key(keyspace, service, method, route)
    index = _index_key(keyspace)
    # Separate keys (no multi-key command), so the two may live in different Cluster slots.
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(key, client_id, str(int(at if at is not None else time.time())))
        pipe.expire(key, DEPRECATED_CALLS_TTL_S)
        pipe.sadd(index, msgspec.json.encode([service, method, route]))
        pipe.expire(index, DEPRECATED_CALLS_TTL_S)
        await pipe.execute()


async def deprecated_calls(redis: Any, keyspace: Any, *, since: datetime | None = None) -> list[DeprecatedCall]:
    """Every recorded caller of a deprecated route (of any service sharing the key prefix), newest first."""
    found: list[DeprecatedCall] = []
    floor = since.timestamp() if since is not None else 0.0
    for member in await redis.smembers(_index_key(keyspace)):
        service, method, route = msgspec.json.decode(member, type=tuple[str, str, str])
        for client, seen in (await redis.hgetall(_route_key(keyspace, service, method, route))).items():
            when = int(seen)
            if when >= floor:
                found.append(DeprecatedCall(service=service, method=method, route=route,
                                            client_id=client.decode() if isinstance(client, bytes) else client,
                                            last_seen=datetime.fromtimestamp(when, UTC)))
    found.sort(key=lambda c: (c.last_seen, c.service, c.route, c.client_id), reverse=True)
    return found


async def _record_from_scope(scope: Any) -> None:
    """Record the caller of the deprecated route in ``scope``; a Redis hiccup never fails the call itself."""
    user = scope.get("user")
    client_id = getattr(user, "client_id", None)
    state = scope["app"].state
    if client_id is None or getattr(state, "redis", None) is None:
        return
    try:
        await record_deprecated_call(state.redis, state.keyspace, service=state.settings.service_name,
                                     method=scope["method"], route=scope.get("path_template") or scope["path"],
                                     client_id=client_id)
    except Exception:  # the call succeeded; losing one sighting is better than failing it
        _log.warning("could not record the caller of deprecated route %s", scope.get("path_template"),
                     exc_info=True)
