"""Salesforce REST on the wire (v62.0): JSON calls, the error array, SOQL paging through ``nextRecordsUrl``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from services.runtime.http import UpstreamClient
from services.system.crm.errors import CrmNotFound, VendorRefused

__all__ = ["BASE", "SalesforceApi", "refusal_of", "soql_text"]

BASE = "/services/data/v62.0"

# errorCode -> (slug, retryable, owner). Data problems are sales ops' to fix; request problems are ours.
_JSON = msgspec.json.Encoder(decimal_format="number")  # amounts go out as exact JSON numbers, never floats
_CODES = {"REQUEST_LIMIT_EXCEEDED": ("upstream-failed", True, "integration"),
          "INVALID_SESSION_ID": ("upstream-failed", False, "integration"),
          "UNABLE_TO_LOCK_ROW": ("conflict", True, "integration"),
          "REQUIRED_FIELD_MISSING": ("business-rule", False, "sales_ops"),
          "FIELD_CUSTOM_VALIDATION_EXCEPTION": ("business-rule", False, "sales_ops"),
          "FIELD_INTEGRITY_EXCEPTION": ("business-rule", False, "sales_ops"),
          "DUPLICATE_VALUE": ("conflict", False, "sales_ops")}


def soql_text(value: str) -> str:
    """A SOQL string literal (quotes and backslashes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _refusal(response: httpx.Response) -> Exception:
    try:
        errors = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        errors = []
    return refusal_of(errors, response.status_code)


def refusal_of(errors: Any, status: int) -> Exception:
    """The error a Salesforce error array stands for (also the ``errors`` of one record of a collection)."""
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = str(first.get("errorCode") or first.get("statusCode") or f"HTTP_{status}")
    message = f"Salesforce: {first.get('message') or 'request refused'}"
    if first.get("fields"):
        message += f" (fields {', '.join(map(str, first['fields']))})"
    if status == 404 or code in ("NOT_FOUND", "ENTITY_IS_DELETED"):
        return CrmNotFound(message, code=code)
    slug, retryable, owner = _CODES.get(code, ("business-rule", False, "integration"))
    return VendorRefused(message, slug=slug, code=code, retryable=retryable, owner=owner)


class SalesforceApi:
    """Thin Salesforce REST client over the runtime's resilient upstream client."""

    def __init__(self, http: UpstreamClient, page_size: int = 2000) -> None:
        self.http = http
        self.batch = max(200, min(page_size, 2000))

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``GET`` under the versioned base; refusals raise."""
        return self._body(await self.http.get(BASE + path, params=dict(params or {})))

    async def upsert(self, sobject: str, field: str, value: str, record: Mapping[str, Any]) -> str:
        """``PATCH /sobjects/{sobject}/{field}/{value}``: create or update by external id; returns the record id.

        Repeating it is safe (it finds the same record), so the runtime may retry it.
        """
        path = f"{BASE}/sobjects/{sobject}/{field}/{quote(value, safe='')}"
        response = await self.http.patch(path, json=dict(record), idempotency_key=f"{sobject}:{field}:{value}")
        return str(self._body(response).get("id") or "")

    async def send(self, method: str, path: str, body: Any, *, key: str | None = None) -> Any:
        """A JSON call under the versioned base; the decoded answer (a list for sObject collections).

        ``key`` marks it safe to repeat (the client retries it on a lost answer); ``Decimal`` amounts are sent as
        exact JSON numbers.
        """
        response = await self.http.request(method, BASE + path, content=_JSON.encode(body), idempotency_key=key,
                                           headers={"Content-Type": "application/json"})
        if response.status_code >= 400 or response.status_code == 300:
            raise _refusal(response)
        return msgspec.json.decode(response.content) if response.content else None

    async def composite(self, subrequests: list[dict[str, Any]], *, key: str) -> list[Any]:
        """``POST /composite`` with ``allOrNone``: each subrequest's body, in order; the first refused one raises.

        ``key`` marks the call safe to repeat (its subrequests must be: PATCHes and GETs).
        """
        answer = await self.send("POST", "/composite", {"allOrNone": True, "compositeRequest": subrequests}, key=key)
        replies = (answer.get("compositeResponse") if isinstance(answer, dict) else None) or []
        for reply in replies:
            status, body = int(reply.get("httpStatusCode") or 500), reply.get("body")
            halted = isinstance(body, list) and body and isinstance(body[0], dict) \
                and body[0].get("errorCode") == "PROCESSING_HALTED"
            if status >= 400 and not halted:
                raise refusal_of(body, status)
        return [reply.get("body") for reply in replies]

    async def update(self, sobject: str, record_id: str, record: Mapping[str, Any]) -> None:
        """``PATCH /sobjects/{sobject}/{id}`` (setting fields is idempotent, so it may be retried)."""
        response = await self.http.patch(f"{BASE}/sobjects/{sobject}/{record_id}", json=dict(record),
                                         idempotency_key=f"{sobject}:{record_id}:update")
        self._body(response)

    async def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record of a SOQL query, following ``nextRecordsUrl`` (queryMore) to the last batch."""
        headers = {"Sforce-Query-Options": f"batchSize={self.batch}"}
        page = self._body(await self.http.get(f"{BASE}/query", params={"q": soql}, headers=headers))
        records = list(page.get("records") or [])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self._body(await self.http.get(str(page["nextRecordsUrl"]), headers=headers))
            records += page.get("records") or []
        return records

    async def children(self, block: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Every record of a relationship subquery result, following its ``nextRecordsUrl`` too."""
        if not block:
            return []
        records = list(block.get("records") or [])
        while not block.get("done", True) and block.get("nextRecordsUrl"):
            block = self._body(await self.http.get(str(block["nextRecordsUrl"])))
            records += block.get("records") or []
        return records

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400 or response.status_code == 300:
            raise _refusal(response)
        if not response.content:
            return {}
        body = msgspec.json.decode(response.content)
        return body if isinstance(body, dict) else {}
