"""HubSpot CRM v3 on the wire: JSON calls, HubSpot's error body, cursor paging on ``after``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import msgspec

from services.runtime.http import UpstreamClient
from services.system.crm.errors import CrmNotFound, VendorRefused

__all__ = ["HubSpotApi"]

# category -> (slug, retryable, owner)
_CATEGORIES = {"RATE_LIMITS": ("upstream-failed", True, "integration"),
               "INVALID_AUTHENTICATION": ("upstream-failed", False, "integration"),
               "MISSING_SCOPES": ("upstream-failed", False, "integration"),
               "CONFLICT": ("conflict", True, "integration"),
               "VALIDATION_ERROR": ("business-rule", False, "integration")}


def _refusal(response: httpx.Response) -> Exception:
    try:
        error = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        error = {}
    error = error if isinstance(error, dict) else {}
    category = str(error.get("category") or f"HTTP_{response.status_code}")
    message = f"HubSpot: {error.get('message') or 'request refused'}"
    if response.status_code == 404 or category == "OBJECT_NOT_FOUND":
        return CrmNotFound(message, code=category)
    slug, retryable, owner = _CATEGORIES.get(category, ("business-rule", False, "integration"))
    return VendorRefused(message, slug=slug, code=category, retryable=retryable, owner=owner)


class HubSpotApi:
    """Thin HubSpot client over the runtime's resilient upstream client."""

    def __init__(self, http: UpstreamClient, page_size: int = 100) -> None:
        self.http = http
        self.page_size = max(1, min(page_size, 200))

    async def get(self, path: str, params: Mapping[str, Any] | list[tuple[str, str]] | None = None) -> dict[str, Any]:
        """``GET`` a path; refusals raise."""
        return self._body(await self.http.get(path, params=params))

    async def post(self, path: str, body: Mapping[str, Any], *, repeatable: bool = False) -> dict[str, Any]:
        """``POST`` JSON; ``repeatable`` marks calls safe to retry (reads, searches, upserts by unique property)."""
        key = f"hubspot:{path}" if repeatable else None
        return self._body(await self.http.post(path, json=dict(body), idempotency_key=key))

    async def patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PATCH`` JSON (setting properties is idempotent, so it may be retried)."""
        return self._body(await self.http.patch(path, json=dict(body), idempotency_key=f"hubspot:{path}"))

    async def put(self, path: str, body: Any = None) -> dict[str, Any]:
        """``PUT`` (an association: setting it again changes nothing, so it may be retried)."""
        return self._body(await self.http.put(path, json=body))

    async def search_all(self, object_type: str, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every result of a CRM search, following ``paging.next.after`` to the last page."""
        results: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = await self.post(f"/crm/v3/objects/{object_type}/search",
                                   {**body, "limit": self.page_size, **({"after": after} if after else {})},
                                   repeatable=True)
            results += page.get("results") or []
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return results

    async def list_all(self, object_type: str, properties: list[str]) -> list[dict[str, Any]]:
        """Every (unarchived) record of a type, following ``paging.next.after`` to the last page."""
        return await self._pages(f"/crm/v3/objects/{object_type}", [("properties", p) for p in properties],
                                 min(self.page_size, 100))

    async def associated(self, object_type: str, object_id: str, to_type: str) -> list[str]:
        """The ids of every record of ``to_type`` associated with one record (associations v4, every page)."""
        page = await self._pages(f"/crm/v4/objects/{object_type}/{object_id}/associations/{to_type}", [],
                                 min(self.page_size, 500))
        return list(dict.fromkeys(str(r["toObjectId"]) for r in page))

    async def read_batch(self, object_type: str, ids: list[str], properties: list[str]) -> list[dict[str, Any]]:
        """The records of these ids (batch read, 100 per call); ids HubSpot does not know are left out."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):
            page = await self.post(f"/crm/v3/objects/{object_type}/batch/read", {
                "inputs": [{"id": i} for i in ids[start:start + 100]], "properties": properties}, repeatable=True)
            found += page.get("results") or []
        return found

    async def _pages(self, path: str, params: list[tuple[str, str]], limit: int) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = await self.get(path, [*params, ("limit", str(limit)), *([("after", after)] if after else [])])
            results += page.get("results") or []
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return results

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise _refusal(response)
        if not response.content:
            return {}
        body = msgspec.json.decode(response.content)
        return body if isinstance(body, dict) else {}
