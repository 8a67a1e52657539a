"""SuiteQL over REST: ``POST /services/rest/query/v1/suiteql`` with ``Prefer: transient``.

Body ``{"q": "SELECT ..."}``; ``limit`` (1..1000, default 1000) and ``offset`` query parameters; the answer
is a collection whose items carry ``"links": []`` and every non-null column as a string (NULL columns are
left out), keyed by lower-cased column name or alias.
"""

from __future__ import annotations

from ..errors import NetSuiteError
from ..records import collection
from ..suiteql import QueryError, build_tables, execute, parse, render
from ..wire import Call, Reply, endpoint
from .records import page_params

__all__ = ["ROUTES"]

_SEARCH_ERROR = "Invalid search query. Detailed unprocessed description follows. Search error occurred: "


def suiteql(call: Call) -> Reply:
    if "transient" not in call.headers.get("prefer", "").lower():
        raise NetSuiteError(400, "The request header 'Prefer' must contain the value 'transient' for SuiteQL "
                            "queries.", "INVALID_HEADER", header="Prefer")
    query = call.body.get("q") if isinstance(call.body, dict) else None
    if not isinstance(query, str) or not query.strip():
        raise NetSuiteError(400, "Invalid content in the request body. Provide the query in the 'q' property.",
                            "INVALID_CONTENT", path="q")
    limit, offset = page_params(call)
    try:
        rows = execute(parse(query), build_tables(call.state))
    except QueryError as exc:
        raise NetSuiteError(400, _SEARCH_ERROR + str(exc), "INVALID_PARAMETER") from None
    page = rows[offset:offset + limit]
    items = [{"links": [], **{k: render(v) for k, v in row.items() if v is not None}} for row in page]
    return Reply(collection(items, f"{call.base}/query/v1/suiteql", limit, offset, len(rows)), kind="collection")


ROUTES = [endpoint("POST", "/services/rest/query/v1/suiteql", suiteql, "suiteql")]
