"""ASGI entry point of the revrec system API: ``create_app(settings=None) -> Litestar``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.audit import AuditLog
from services.runtime.events import EventBus
from services.runtime.versioning import versioned_router
from services.system.revrec.api import (
    CalendarController,
    ContractController,
    FiscalPeriodController,
    PeriodController,
    PreviewController,
    VerificationController,
)
from services.system.revrec.connectors import CONNECTORS, chart_of_accounts
from services.system.revrec.service import SOURCE
from services.system.revrec.settings import RevrecSettings, book_calendar, load_settings

__all__ = ["create_app"]


def create_app(settings: RevrecSettings | None = None) -> Litestar:
    """Build the revrec system API; settings come from the environment when not given.

    Raises:
        ValueError: An unknown connector or an incomplete book calendar; at start-up, a book kept on another
            calendar than the settings state.
    """
    settings = settings or load_settings()
    if settings.connector not in CONNECTORS:
        raise ValueError(f"connector: unknown rev-rec connector {settings.connector!r} (have {sorted(CONNECTORS)})")
    calendar = book_calendar(settings)
    chart_of_accounts(settings.gl_accounts)  # a wrong role or an empty number refuses to start

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        app.state.event_bus = EventBus(app.state.redis, app.state.keyspace, source=SOURCE,
                                       tracer_provider=app.state.tracer_provider)
        app.state.audit_log = AuditLog(app.state.redis, app.state.keyspace)
        connector = CONNECTORS[settings.connector](app.state.redis, app.state.keyspace, calendar,
                                                   gl_accounts=settings.gl_accounts)
        await connector.prepare()
        app.state.revrec_connector = connector
        yield

    spec = ServiceSpec(
        name=settings.service_name,
        description="Revenue recognition (ASC 606 / IFRS 15): contracts, allocations, schedules, modifications, "
                    "period close, journals, reports, stateless previews and vendor-schedule verification.",
        routers=[versioned_router(1, [ContractController, PeriodController, FiscalPeriodController,
                                      CalendarController, PreviewController, VerificationController])],
        lifespans=[wiring],
    )
    return create_service_app(spec, settings)
