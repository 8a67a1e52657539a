"""The console's client of the quote-to-cash process API: the only module that knows its URL and paths.

Every call goes over HTTP with the console's own client-credentials token (audience ``quote_to_cash``) through
the runtime's resilient client; writes carry an ``Idempotency-Key``. Which optional routes the process API
serves (metrics, reconciliations, period close) is read from its published OpenAPI, so a page can say "not
offered by the process API yet" instead of failing when it runs against an older process tier.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from services.runtime.http import UpstreamClient, UpstreamFailed

__all__ = ["ActionOutcome", "NotFoundError", "ProcessApi"]

_CAPABILITIES_TTL = 60.0
OPTIONAL_ROUTES = {
    "metrics": ("get", "/v1/metrics"),
    "reconciliation_latest": ("get", "/v1/reconciliations/latest"),
    "reconciliation_run": ("post", "/v1/reconciliations"),
    "period": ("get", "/v1/periods/{period}"),
    "period_close": ("post", "/v1/periods/{period}/close"),
}
"""Routes the console uses when the process API offers them (name -> OpenAPI method and path)."""


class NotFoundError(LookupError):
    """The process API has no such resource."""


@dataclass(frozen=True)
class ActionOutcome:
    """What the process API said to a person's request (resume, retry, cancel, replay, close)."""

    accepted: bool
    status: int
    detail: str
    body: dict[str, Any] | None = None
    replayed: bool = False
    """The process API answered from its idempotency record: the request had been made before."""


def _segment(value: str) -> str:
    return quote(value, safe="")


def _json(response: httpx.Response) -> Any:
    return msgspec.json.decode(response.content) if response.content else None


def _detail(response: httpx.Response) -> str:
    try:
        body = _json(response)
    except msgspec.DecodeError:
        body = None
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or f"HTTP {response.status_code}")
    return f"HTTP {response.status_code}"


class ProcessApi:
    """Typed calls to the process API (answers are plain JSON-shaped dicts and lists)."""

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client
        self._capabilities: set[str] | None = None
        self._capabilities_at = 0.0
        self._capabilities_lock = asyncio.Lock()

    async def _read(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = await self.client.get(path, params={k: v for k, v in (params or {}).items() if v is not None})
        if response.status_code == 404:
            raise NotFoundError(_detail(response))
        if response.status_code >= 400:
            raise UpstreamFailed(self.client.name, f"answered {response.status_code}: {_detail(response)}",
                                 method="GET", path=path, status=response.status_code, reason="status")
        return _json(response)

    async def _write(self, path: str, idempotency_key: str, body: Any = None) -> ActionOutcome:
        response = await self.client.post(path, json=body, idempotency_key=idempotency_key)
        accepted = response.status_code < 300
        payload = None
        try:
            decoded = _json(response)
            payload = decoded if isinstance(decoded, dict) else None
        except msgspec.DecodeError:
            pass
        return ActionOutcome(accepted=accepted, status=response.status_code,
                             detail="" if accepted else _detail(response), body=payload,
                             replayed=response.headers.get("Idempotent-Replayed") == "true")

    # -- what the process API offers ------------------------------------------------------------------------

    async def capabilities(self) -> set[str]:
        """Names from ``OPTIONAL_ROUTES`` the process API serves (its OpenAPI, re-read every minute)."""
        now = time.monotonic()
        if self._capabilities is not None and now - self._capabilities_at < _CAPABILITIES_TTL:
            return self._capabilities
        async with self._capabilities_lock:
            if self._capabilities is None or time.monotonic() - self._capabilities_at >= _CAPABILITIES_TTL:
                schema = await self._read("/schema/openapi.json")
                paths = schema.get("paths", {}) if isinstance(schema, dict) else {}
                self._capabilities = {name for name, (method, path) in OPTIONAL_ROUTES.items()
                                      if method in paths.get(path, {})}
                self._capabilities_at = time.monotonic()
        return self._capabilities

    # -- reads ----------------------------------------------------------------------------------------------

    async def deals(self, *, business_status: str | None = None, owner: str | None = None, q: str | None = None,
                    limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        """``GET /v1/deals``: deals by business status with counts."""
        return await self._read("/v1/deals", {"business_status": business_status, "owner": owner, "q": q,
                                              "limit": limit, "cursor": cursor})

    async def deal(self, opportunity_id: str) -> dict[str, Any]:
        """``GET /v1/deals/{id}``: workflows, ids per system, revenue contract, invoices."""
        return await self._read(f"/v1/deals/{_segment(opportunity_id)}")

    async def workflows(self, **params: Any) -> dict[str, Any]:
        """``GET /v1/workflows`` with the given filters."""
        return await self._read("/v1/workflows", params)

    async def workflow(self, workflow_id: str) -> dict[str, Any]:
        """``GET /v1/workflows/{id}``: steps, history, exception, correlation id."""
        return await self._read(f"/v1/workflows/{_segment(workflow_id)}")

    async def exceptions(self, owner: str | None = None, assignee: str | None = None) -> dict[str, Any]:
        """``GET /v1/exceptions``: workflows waiting for a person, oldest first."""
        return await self._read("/v1/exceptions", {"owner": owner, "assignee": assignee})

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """``GET /v1/dead-letters``: events no consumer could handle."""
        return await self._read("/v1/dead-letters", {"limit": limit})

    async def metrics(self, first: str, last: str) -> dict[str, Any]:
        """``GET /v1/metrics?from=&to=``: bookings, billings, revenue, ARR, deferred revenue per period."""
        return await self._read("/v1/metrics", {"from": first, "to": last})

    async def latest_reconciliation(self) -> dict[str, Any]:
        """``GET /v1/reconciliations/latest``."""
        return await self._read("/v1/reconciliations/latest")

    async def period(self, period: str) -> dict[str, Any]:
        """``GET /v1/periods/{period}``: the close's status and checklist."""
        return await self._read(f"/v1/periods/{_segment(period)}")

    # -- governance and service levels ------------------------------------------------------------------------

    async def system_of_record(self) -> dict[str, Any]:
        """``GET /v1/system-of-record``: the owner (system and team) of each canonical object and field."""
        return await self._read("/v1/system-of-record")

    async def catalogue(self, days: int) -> dict[str, Any]:
        """``GET /v1/catalogue?days=``: every API and event type, owner, status, consumers seen in ``days``."""
        return await self._read("/v1/catalogue", {"days": days})

    async def catalogue_api(self, name: str, days: int) -> dict[str, Any]:
        """``GET /v1/catalogue/apis/{service.vN}``: one API with its changes between versions."""
        return await self._read(f"/v1/catalogue/apis/{_segment(name)}", {"days": days})

    async def slos(self) -> dict[str, Any]:
        """``GET /v1/slos``: every objective with its windows, error budget, burn rates and breach."""
        return await self._read("/v1/slos")

    async def kpis(self, period: str) -> dict[str, Any]:
        """``GET /v1/kpis?period=``: one accounting period's operational and finance KPIs."""
        return await self._read("/v1/kpis", {"period": period})

    # -- requests people make -------------------------------------------------------------------------------

    async def act(self, workflow_id: str, action: str, idempotency_key: str, actor: str) -> ActionOutcome:
        """``POST /v1/workflows/{id}/{resume|retry|cancel}``, naming the person who asks."""
        return await self._write(f"/v1/workflows/{_segment(workflow_id)}/{action}", idempotency_key,
                                 {"actor": actor})

    async def assign(self, workflow_id: str, assignee: str, idempotency_key: str, actor: str) -> ActionOutcome:
        """``POST /v1/workflows/{id}/assign``: name who works on the open exception."""
        return await self._write(f"/v1/workflows/{_segment(workflow_id)}/assign", idempotency_key,
                                 {"assignee": assignee, "actor": actor})

    async def replay(self, entry_id: str, idempotency_key: str) -> ActionOutcome:
        """``POST /v1/dead-letters/{id}/replay``."""
        return await self._write(f"/v1/dead-letters/{_segment(entry_id)}/replay", idempotency_key)

    async def close_period(self, period: str, idempotency_key: str) -> ActionOutcome:
        """``POST /v1/periods/{period}/close``."""
        return await self._write(f"/v1/periods/{_segment(period)}/close", idempotency_key)

    async def reconcile(self, idempotency_key: str, body: dict[str, Any] | None = None) -> ActionOutcome:
        """``POST /v1/reconciliations``: run a reconciliation now."""
        return await self._write("/v1/reconciliations", idempotency_key, body or {})
