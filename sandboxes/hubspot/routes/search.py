"""``POST /crm/v3/objects/{objectType}/search``: the CRM search API (semantics in :mod:`..search`)."""

from __future__ import annotations

from ..records import render
from ..schema import DEFAULT_PROPERTIES
from ..search import parse_request, search_records
from ..wire import Call, Result, endpoint

__all__ = ["ROUTES"]


def do_search(call: Call) -> Result:
    object_type = call.object_type()
    defs = call.state.properties[object_type]
    request = parse_request(call.body, defs)
    live = [r for r in call.state.objects[object_type].values() if not r["archived"]]
    page, total, after = search_records(object_type, defs, live, request)
    wanted = request.properties or DEFAULT_PROPERTIES[object_type]
    body = {"total": total, "results": [render(call.state, object_type, r, wanted) for r in page]}
    if after is not None:
        body["paging"] = {"next": {"after": str(after)}}
    return 200, body


ROUTES = [endpoint("POST", "/crm/v3/objects/{objectType:str}/search", do_search, "SearchObjects")]
