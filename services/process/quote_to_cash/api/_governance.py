"""Governance routes: the system-of-record map and the contract catalogue (APIs, events, consumers, diffs)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, Parameter

from contracts.system_of_record import SystemOfRecordMapV1
from services.process.quote_to_cash.governance import api_entries, build_catalogue, event_entries
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError

__all__ = ["CatalogueController", "SystemOfRecordController"]

_READ = [requires("quote_to_cash:read")]
Days = FromQuery[Annotated[int, Parameter(ge=1, le=365, description="Consumers seen in the last N days")]]
ApiName = FromPath[Annotated[str, Parameter(pattern=r"^[a-z_]{1,40}\.v[0-9]{1,3}$", description="`service.vN`")]]


class SystemOfRecordController(Controller):
    path = "/system-of-record"
    tags = ["governance"]

    @get("/", operation_id="getSystemOfRecordV1", guards=_READ, sync_to_thread=False)
    def read(self, request: Request[Any, Any, Any]) -> SystemOfRecordMapV1:
        """Which system owns each canonical object (and field), and the team that fixes its drift."""
        return request.app.state.system_of_record  # type: ignore[no-any-return]


class CatalogueController(Controller):
    path = "/catalogue"
    tags = ["governance"]

    @get("/", operation_id="getCatalogueV1", guards=_READ)
    async def catalogue(self, request: Request[Any, Any, Any], days: Days = 30) -> dict[str, Any]:
        """Every API (service and major) and event type: owner, status, recent consumers, changes between versions."""
        return await build_catalogue(request.app.state.redis, request.app.state.keyspace, days=days)

    @get("/apis/{name:str}", operation_id="getCatalogueApiV1", guards=_READ)
    async def api(self, name: ApiName, request: Request[Any, Any, Any], days: Days = 30) -> dict[str, Any]:
        """One API of the catalogue, by ``<service>.v<major>``."""
        whole = await build_catalogue(request.app.state.redis, request.app.state.keyspace, days=days)
        found = next((a for a in whole["apis"] if a["name"] == name), None)
        if found is None:
            known = ", ".join(a["name"] for a in api_entries())
            raise ServiceError(f"No API {name} in the catalogue (known: {known}).", slug="not-found")
        return {"window_days": days, **found}

    @get("/events", operation_id="listCatalogueEventsV1", guards=_READ)
    async def events(self, request: Request[Any, Any, Any], days: Days = 30) -> dict[str, Any]:
        """Every catalogued event type with owner, status and the consumer groups reading its stream."""
        data = await event_entries(request.app.state.redis, request.app.state.keyspace, days=days)
        return {"window_days": days, "data": data}
