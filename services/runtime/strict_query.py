"""Unknown query parameters are refused, as Stripe and most finance APIs do.

A typo such as ``?limt=5`` silently ignored returns a default page and hides the bug; refusing it with a 400
problem naming the parameter makes the mistake visible at once. The allowed names of each route are read
from its OpenAPI operation when the app is built.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from contracts.problems import FieldError
from services.runtime.problems import send_problem

__all__ = ["QUERY_OPT", "StrictQueryMiddleware"]

QUERY_OPT = "allowed_query_parameters"
"""Handler ``opt`` key: the query parameter names the route accepts (set by the app factory)."""


class StrictQueryMiddleware(ASGIMiddleware):
    """Answers 400 when the query string names a parameter the route does not declare."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: Any) -> None:
        query = scope.get("query_string")
        if query:
            allowed = scope["route_handler"].opt.get(QUERY_OPT, frozenset())
            names = {name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
            unknown = sorted(names - allowed)
            if unknown:
                await _refuse(send, scope, unknown, allowed)
                return
        await next_app(scope, receive, send)


async def _refuse(send: Any, scope: Any, unknown: list[str], allowed: frozenset[str]) -> None:
    accepted = ", ".join(sorted(allowed)) or "none"
    errors = [FieldError(field=name, source="query", message=f"unknown query parameter (accepted: {accepted})")
              for name in unknown]
    await send_problem(send, scope, slug="validation", status=400, errors=errors,
                       detail=f"Unknown query parameter(s): {', '.join(unknown)}")
