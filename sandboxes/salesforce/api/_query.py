"""``/query`` and ``/queryAll`` with ``queryMore`` paging through ``nextRecordsUrl``.

A query runs once; its full result is kept under a query locator (``01g…``) and served in batches of
``Sforce-Query-Options: batchSize=`` records (200 to 2000, default 2000), as Salesforce's cursors are.
"""

from __future__ import annotations

import re
from typing import Any

from .. import soql
from ..errors import SalesforceError
from ._call import BASE, Call, Reply, method_not_allowed

__all__ = ["query"]

DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
MAX_CURSORS = 200


def _batch_size(call: Call) -> int:
    match = re.search(r"batchSize\s*=\s*(\d+)", call.headers.get("sforce-query-options", ""))
    if match is None:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(MAX_BATCH, int(match.group(1))))


def _page(call: Call, endpoint: str, locator: str, records: list[dict[str, Any]], total: int,
          start: int) -> Reply:
    size = _batch_size(call)
    batch = records[start:start + size]
    body: dict[str, Any] = {"totalSize": total, "done": start + size >= len(records), "records": batch}
    if not body["done"]:
        body["nextRecordsUrl"] = f"{BASE}/{endpoint}/{locator}-{start + size}"
        call.state.cursors[locator] = records
        while len(call.state.cursors) > MAX_CURSORS:
            call.state.cursors.pop(next(iter(call.state.cursors)))
    return Reply(200, body)


def query(call: Call) -> Reply:
    """``GET /query?q=`` (first batch) and ``GET /query/{locator}-{offset}`` (queryMore)."""
    endpoint, rest = call.segments[0], call.segments[1:]
    if call.method != "GET":
        raise method_not_allowed(call.method, "GET,HEAD")
    if rest:
        locator, _, start = rest[0].rpartition("-")
        records = call.state.cursors.get(locator)
        if records is None or not start.isdigit() or int(start) > len(records) or len(rest) > 1:
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return _page(call, endpoint, locator, records, len(records), int(start))
    source = call.params.get("q")
    if not source:
        raise SalesforceError(400, "MALFORMED_QUERY", "A query string must be provided.")
    state = call.state
    include_deleted = endpoint == "queryAll"
    result = soql.execute(source, state.records, lambda name: state.rows(name, include_deleted),
                          state.clock().date())
    return _page(call, endpoint, state.ids.new("01g"), result.records, result.total, 0)
