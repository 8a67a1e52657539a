"""Unknown and repeated query parameters are refused, as Stripe and most finance APIs do.

A typo such as ``?limt=5`` silently ignored returns a default page and hides the bug; refusing it with a 400
problem naming the parameter makes the mistake visible at once. The allowed names of each route are read
from its OpenAPI operation when the app is built. A parameter that takes one value and arrives twice
(``?owner=a&owner=b``) is refused as well, instead of silently keeping one of them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from contracts.problems import FieldError
from services.runtime.problems import send_problem

__all__ = ["QUERY_LIST_OPT", "QUERY_OPT", "StrictQueryMiddleware"]

QUERY_OPT = "allowed_query_parameters"
"""Handler ``opt`` key: the query parameter names the route accepts (set by the app factory)."""
QUERY_LIST_OPT = "list_query_parameters"
"""Handler ``opt`` key: the accepted names that take a list, so may repeat (set by the app factory)."""


class StrictQueryMiddleware(ASGIMiddleware):
    """Answers 400 when the query string names a parameter the route does not declare."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: Any) -> None:
        query = scope.get("query_string")
        if query:
            opt = scope["route_handler"].opt
            allowed = opt.get(QUERY_OPT, frozenset())
            given = [name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
            unknown = sorted(set(given) - allowed)
            if unknown:
                await _refuse(send, scope, unknown, allowed)
                return
            lists = opt.get(QUERY_LIST_OPT, allowed)
            repeated = sorted({name for name, times in Counter(given).items() if times > 1} - lists)
            if repeated:
                await _refuse_repeated(send, scope, repeated)
                return
        await next_app(scope, receive, send)


async def _refuse(send: Any, scope: Any, unknown: list[str], allowed: frozenset[str]) -> None:
    accepted = ", ".join(sorted(allowed)) or "none"
    errors = [FieldError(field=name, source="query", message=f"unknown query parameter (accepted: {accepted})")
              for name in unknown]
    await send_problem(send, scope, slug="validation", status=400, errors=errors,
                       detail=f"Unknown query parameter(s): {', '.join(unknown)}")


async def _refuse_repeated(send: Any, scope: Any, repeated: list[str]) -> None:
    errors = [FieldError(field=name, source="query", message="takes one value but was given more than once")
              for name in repeated]
    await send_problem(send, scope, slug="validation", status=400, errors=errors,
                       detail=f"Query parameter(s) given more than once: {', '.join(repeated)}")
