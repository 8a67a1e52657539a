"""The quote-to-cash process API as the partner API uses it: typed calls, and its refusals made ours.

The process API's 4xx answers about the partner's request (validation, conflict, business rule) are relayed
with their detail and field errors; an answer that says *this* service is misconfigured (401, 403, a missing
route) is an upstream failure (502), because the partner cannot fix it. 5xx, timeouts and an open circuit
arrive here as the runtime's ``UpstreamError`` and become 502/503/504 problems.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from contracts.problems import FieldError
from services.runtime.http import UpstreamClient, UpstreamFailed
from services.runtime.problems import ServiceError

__all__ = ["ProcessApi"]

_RELAYED = {400: "validation", 409: "conflict", 422: "business-rule"}


class ProcessApi:
    """Calls to the quote-to-cash process API with the partner API's own token."""

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client

    async def submit_order(self, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        """``POST /v1/orders``: start the order's workflow (idempotent by tenant and order id)."""
        response = await self.client.post("/v1/orders", json=body, idempotency_key=key)
        return self._body(response, "POST /v1/orders")

    async def order(self, tenant: str, order_id: str) -> dict[str, Any] | None:
        """``GET /v1/orders/{tenant}/{order_id}``, or ``None`` when the process tier has no such order."""
        path = f"/v1/orders/{_seg(tenant)}/{_seg(order_id)}"
        response = await self.client.get(path)
        if response.status_code == 404 and _is_problem(response):
            return None
        return self._body(response, "GET /v1/orders/{tenant}/{order_id}")

    async def deal(self, opportunity_id: str) -> dict[str, Any] | None:
        """``GET /v1/deals/{id}``: a deal's ids, workflows, revenue contract and invoices; ``None`` if unknown."""
        response = await self.client.get(f"/v1/deals/{_seg(opportunity_id)}")
        if response.status_code == 404 and _is_problem(response):
            return None
        return self._body(response, "GET /v1/deals/{id}")

    async def workflows(self, *, kind: str, subject: str) -> list[dict[str, Any]]:
        """Rows of ``GET /v1/workflows`` of one kind for one subject (every page)."""
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"kind": kind, "subject": subject, "limit": "500", **({"cursor": cursor} if cursor else {})}
            page = self._body(await self.client.get("/v1/workflows", params=params), "GET /v1/workflows")
            rows += page.get("data", [])
            cursor = page.get("next_cursor")
            if not cursor:
                return rows

    async def workflow(self, workflow_id: str) -> dict[str, Any] | None:
        response = await self.client.get(f"/v1/workflows/{_seg(workflow_id)}")
        if response.status_code == 404 and _is_problem(response):
            return None
        return self._body(response, "GET /v1/workflows/{id}")

    async def report_usage(self, records: list[dict[str, Any]], *, key: str) -> dict[str, Any]:
        """``POST /v1/usage``: one workflow per record, a record reported before is not counted again."""
        response = await self.client.post("/v1/usage", json=records, idempotency_key=key)
        return self._body(response, "POST /v1/usage")

    async def health(self) -> str | None:
        response = await self.client.get("/health")
        return None if response.status_code == 200 else f"quote_to_cash: /health answered {response.status_code}"

    def _body(self, response: httpx.Response, operation: str) -> dict[str, Any]:
        if response.status_code < 300:
            body = msgspec.json.decode(response.content) if response.content else {}
            return body if isinstance(body, dict) else {"data": body}
        problem = _problem(response)
        slug = _RELAYED.get(response.status_code)
        if slug is None or not problem:
            # 401/403 (our credentials), 404 (a route the process API lacks), anything unexpected: not the
            # partner's doing, and nothing it could fix.
            raise UpstreamFailed("quote_to_cash", f"{operation} answered {response.status_code}",
                                 status=response.status_code, reason="status", problem=problem)
        errors = [FieldError(field=str(e.get("field", "body")), source=str(e.get("source", "body")),
                             message=str(e.get("message", "invalid")))
                  for e in problem.get("errors") or [] if isinstance(e, dict)]
        raise ServiceError(str(problem.get("detail") or problem.get("title") or "refused"), slug=slug,
                           errors=errors or None, code=problem.get("code"))


def _seg(value: str) -> str:
    return quote(value, safe="")


def _problem(response: httpx.Response) -> dict[str, Any] | None:
    if not _is_problem(response):
        return None
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return None
    return body if isinstance(body, dict) else None


def _is_problem(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "")
