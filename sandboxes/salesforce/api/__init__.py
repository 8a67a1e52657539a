"""The REST API under ``/services/data/v62.0``: a framework-free dispatcher over :class:`Call`.

Owns routing and response bodies; the HTTP app adds auth, usage limits and headers around it, and
``/composite`` replays subrequests through the same :func:`dispatch`.
"""

from __future__ import annotations

from typing import Any

from ..errors import SalesforceError, not_found
from ._call import BASE, Call, Reply, method_not_allowed
from ._collections import collections
from ._composite import composite
from ._query import query
from ._sobjects import sobjects

__all__ = ["BASE", "Call", "Reply", "dispatch", "resources"]


def resources() -> dict[str, str]:
    """``GET /services/data/v62.0``: the version's resources."""
    return {name: f"{BASE}/{name}" for name in ("sobjects", "query", "queryAll", "composite", "limits")}


def _limits(call: Call, limit: int) -> dict[str, Any]:
    return {"DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - call.state.usage)}}


def dispatch(call: Call, api_limit: int = 15000) -> Reply:
    """Answer one call; raises :class:`SalesforceError` for Salesforce's error answers."""
    head = call.segments[0] if call.segments else ""
    if not call.segments:
        if call.method != "GET":
            raise method_not_allowed(call.method, "GET,HEAD")
        return Reply(200, resources())
    if head == "sobjects":
        return sobjects(call)
    if head in ("query", "queryAll"):
        return query(call)
    if head == "composite":
        if call.segments[1:2] == ["sobjects"]:
            return collections(call)
        return composite(call, lambda sub: _safe(sub, api_limit))
    if head == "limits" and call.method == "GET" and len(call.segments) == 1:
        return Reply(200, _limits(call, api_limit))
    raise not_found()


def _safe(call: Call, api_limit: int) -> Reply:
    if call.segments[:1] == ["composite"]:
        raise SalesforceError(400, "INVALID_URL", "composite requests can't be nested")
    return dispatch(call, api_limit)
