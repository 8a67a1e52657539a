"""Unknown and repeated query parameters are refused, as Stripe and most finance APIs do.

A typo such as ``?limt=5`` silently ignored returns a default page and hides the bug; refusing it with a 400
problem naming the parameter makes the mistake visible at once. The allowed names of each route are read
from its OpenAPI operation when the app is built. A parameter that takes one value and arrives twice
(``?owner=a&owner=b``) is refused as well, instead of silently keeping one of them. So is the value ``null``
for a parameter that is not free text (a number, date, flag or enum): the decoder would read it as "not given"
and answer as if the parameter were absent.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from contracts.problems import FieldError
from services.runtime.problems import send_problem

__all__ = ["QUERY_LIST_OPT", "QUERY_OPT", "QUERY_TEXT_OPT", "StrictQueryMiddleware"]

QUERY_OPT = "allowed_query_parameters"
"""Handler ``opt`` key: the query parameter names the route accepts (set by the app factory)."""
QUERY_LIST_OPT = "list_query_parameters"
"""Handler ``opt`` key: the accepted names that take a list, so may repeat (set by the app factory)."""
QUERY_TEXT_OPT = "text_query_parameters"
"""Handler ``opt`` key: the accepted names whose value may be any text, ``null`` included (set by the app factory)."""


class StrictQueryMiddleware(ASGIMiddleware):
    """Answers 400 when the query string names a parameter the route does not declare."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: Any) -> None:
        query = scope.get("query_string")
        if query:
            opt = scope["route_handler"].opt
            allowed = opt.get(QUERY_OPT, frozenset())
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            given = [name for name, _ in pairs]
            unknown = sorted(set(given) - allowed)
            if unknown:
                await _refuse(send, scope, unknown, allowed)
                return
            lists = opt.get(QUERY_LIST_OPT, allowed)
            repeated = sorted({name for name, times in Counter(given).items() if times > 1} - lists)
            if repeated:
                await _refuse_repeated(send, scope, repeated)
                return
            text = opt.get(QUERY_TEXT_OPT, allowed)
            nulls = sorted({name for name, value in pairs if value == "null"} - text)
            if nulls:
                await _refuse_null(send, scope, nulls)
                return
        await next_app(scope, receive, send)


async def _refuse(send: Any, scope: Any, unknown: list[str], allowed: frozenset[str]) -> None:
    accepted = ", ".join(sorted(allowed)) or "none"
    errors = [FieldError(field=name, source="query", message=f"unknown query parameter (accepted: {accepted})")
              for name in unknown]
    await send_problem(send, scope, slug="validation", status=400, errors=errors,
                       detail=f"Unknown query parameter(s): {', '.join(unknown)}")


async def _refuse_null(send: Any, scope: Any, names: list[str]) -> None:
    errors = [FieldError(field=name, source="query", message="null is not a value: leave the parameter out")
              for name in names]
    await send_problem(send, scope, slug="validation", status=400, errors=errors,
                       detail=f"Query parameter(s) given as null: {', '.join(names)}")


async def _refuse_repeated(send: Any, scope: Any, repeated: list[str]) -> None:
    errors = [FieldError(field=name, source="query", message="takes one value but was given more than once")
              for name in repeated]
    await send_problem(send, scope, slug="validation", status=400, errors=errors,
                       detail=f"Query parameter(s) given more than once: {', '.join(repeated)}")
