"""NetSuite on the wire: the REST record service and SuiteQL over the runtime's resilient client.

- Bodies are JSON with amounts as exact decimal numbers (``12.30``, never a binary float) and are read back
  with decimals kept exact.
- Writes are upserts by external id (``PUT /record/v1/{type}/eid:{externalId}``): idempotent by method, so
  the runtime repeats them on 429/5xx, and a repeat updates the record it made. Sublists are replaced
  (``?replace=item``), since NetSuite otherwise appends the lines of a repeated write.
- NetSuite answers a write ``204 No Content`` with ``Location`` naming the record; the id is taken from it.
- SuiteQL (``POST /query/v1/suiteql``, ``Prefer: transient``) is read page by page (``hasMore``/``offset``)
  and marked repeatable, since a query changes nothing.
- Errors (``o:errorDetails[].o:errorCode``) become problems keeping NetSuite's code and message.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import msgspec

from services.runtime.http import UpstreamClient
from services.system.erp.errors import ErpNotFound, VendorRefused

__all__ = ["ROOT", "NetSuiteApi", "refusal"]

ROOT = "/services/rest"
_JSON = {"Content-Type": "application/json", "Accept": "application/json"}
_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
# o:errorCode -> who fixes it: bad or inactive references and business rules are finance data; the rest ours.
_OWNERS = {"USER_ERROR": "finance_ops", "INVALID_KEY_OR_REF": "finance_ops"}
_CREDENTIALS = ("; check the token-based-authentication settings (account id, consumer key/secret, token "
                "id/secret) and that the token's role may use REST web services")


def refusal(response: httpx.Response) -> Exception:
    """A NetSuite error body turned into a problem that keeps NetSuite's code and message."""
    try:
        body = _DECODER.decode(response.content)
    except msgspec.DecodeError:
        body = {}
    details = (body.get("o:errorDetails") if isinstance(body, dict) else None) or [{}]
    first = details[0] if isinstance(details[0], dict) else {}
    status = response.status_code
    code = str(first.get("o:errorCode") or f"HTTP_{status}")
    where = first.get("o:errorPath") or first.get("o:errorQueryParam") or first.get("o:errorHeader")
    title = body.get("title") if isinstance(body, dict) else None
    message = f"NetSuite {code}: {first.get('detail') or title or 'request refused'}"
    if where:
        message += f" (at {where})"
    if status == 404:
        return ErpNotFound(message, code=code, retryable=False, owner="integration")
    if status in (401, 403):
        return VendorRefused(message + _CREDENTIALS, slug="upstream-failed", code=code, retryable=False,
                             owner="integration")
    if status == 409:
        return VendorRefused(message, slug="conflict", code=code, retryable=True, owner="integration")
    return VendorRefused(message, slug="business-rule", code=code, retryable=False,
                         owner=_OWNERS.get(code, "integration"), vendor_path=first.get("o:errorPath"))


class NetSuiteApi:
    """Thin SuiteTalk REST client over the runtime's resilient upstream client.

    Args:
        http: The upstream client of the account (TBA signing, retries, breaker, concurrency cap).
        page_size: SuiteQL page size (1..1000).
    """

    def __init__(self, http: UpstreamClient, page_size: int = 1000) -> None:
        self.http = http
        self.page_size = max(1, min(page_size, 1000))

    async def read(self, rtype: str, key: str, *, fields: str | None = None) -> dict[str, Any]:
        """``GET`` one record (``key`` an internal id or ``eid:<externalId>``), sublists inlined."""
        params = {"fields": fields} if fields else {"expandSubResources": "true"}
        response = await self.http.get(f"{ROOT}/record/v1/{rtype}/{key}", params=params, headers=_JSON)
        return _body(response)

    async def find(self, rtype: str, external_id: str) -> dict[str, Any] | None:
        """The record with this external id, or ``None``."""
        try:
            return await self.read(rtype, f"eid:{external_id}")
        except ErpNotFound:
            return None

    async def upsert(self, rtype: str, external_id: str, body: dict[str, Any], *,
                     replace: str | None = None) -> str:
        """Create or update the record with this external id; returns its internal id."""
        params = {"replace": replace} if replace else None
        response = await self.http.put(f"{ROOT}/record/v1/{rtype}/eid:{external_id}", params=params,
                                       content=_ENCODER.encode(body), headers=_JSON)
        if response.status_code >= 400:
            raise refusal(response)
        location = response.headers.get("location", "")
        record_id = location.rstrip("/").rsplit("/", 1)[-1]
        if not record_id.isdigit():  # NetSuite always names the record; be explicit if it ever does not
            found = await self.read(rtype, f"eid:{external_id}", fields="externalId")
            record_id = str(found["id"])
        return record_id

    async def update(self, rtype: str, record_id: str, body: dict[str, Any], *, key: str) -> None:
        """``PATCH`` the record: the fields given change; sublist lines given by ``line`` merge into their own.

        Only for changes that land the same however often they are sent (``key`` marks the call repeatable).
        """
        response = await self.http.patch(f"{ROOT}/record/v1/{rtype}/{record_id}", content=_ENCODER.encode(body),
                                         headers=_JSON, idempotency_key=key)
        if response.status_code >= 400:
            raise refusal(response)

    async def transform(self, rtype: str, record_id: str, target: str, body: dict[str, Any], *, key: str) -> str:
        """``POST .../{rtype}/{id}/!transform/{target}``; returns the new record's id.

        ``body`` carries the external id, which NetSuite keeps unique, so the runtime may repeat the call
        (``key`` marks it repeatable): a repeat after a committed attempt is refused, never duplicated.
        """
        response = await self.http.post(f"{ROOT}/record/v1/{rtype}/{record_id}/!transform/{target}",
                                        content=_ENCODER.encode(body), headers=_JSON, idempotency_key=key)
        if response.status_code >= 400:
            raise refusal(response)
        return response.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1]

    async def suiteql(self, query: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Rows of a SuiteQL query, every page up to ``limit``; and whether more rows matched."""
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            page_size = self.page_size
            response = await self.http.post(
                f"{ROOT}/query/v1/suiteql", params={"limit": page_size, "offset": offset},
                content=_ENCODER.encode({"q": query}), headers={**_JSON, "Prefer": "transient"},
                idempotency_key=f"suiteql-{uuid.uuid4().hex}")  # a query is safe to repeat
            page = _body(response)
            items = page.get("items") or []
            rows += [{k: v for k, v in item.items() if k != "links"} for item in items]
            if len(rows) >= limit:
                return rows[:limit], bool(page.get("hasMore")) or len(rows) > limit
            if not page.get("hasMore") or not items:
                return rows, False
            offset += len(items)


def _body(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise refusal(response)
    body = _DECODER.decode(response.content) if response.content else {}
    return body if isinstance(body, dict) else {}
