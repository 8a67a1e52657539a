"""Path-major API versions and deprecation signalling.

Routes live under ``/v<major>``. A router or a single route can be marked deprecated; it then answers with
``Deprecation`` (RFC 9745, ``@<unix-seconds>``), ``Sunset`` (RFC 8594 HTTP-date) and
``Link: <successor>; rel="successor-version"`` headers, and its OpenAPI operations say ``deprecated: true``.
"""

from __future__ import annotations

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

__all__ = ["DEPRECATION_OPT", "Deprecation", "DeprecationHeadersMiddleware", "deprecate", "versioned_router"]

DEPRECATION_OPT = "deprecation"


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
            await send(message)

        await next_app(scope, receive, send_with_headers)
