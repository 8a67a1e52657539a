"""ASGI entry point of the ERP system API: ``create_app(settings=None) -> Litestar``.

Serve with ``uvicorn services.system.erp.app:create_app --factory --port 8102``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.audit import AuditLog
from services.runtime.events import EventBus
from services.runtime.versioning import versioned_router
from services.system.erp.api import CONTROLLERS
from services.system.erp.connectors import create_connector
from services.system.erp.postings import InvoicePostings
from services.system.erp.settings import ErpSettings, load_settings

__all__ = ["create_app"]

SOURCE = "/services/system/erp"


def create_app(settings: ErpSettings | None = None) -> Litestar:
    """Build the ERP system API; settings come from the environment when not given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        bus = EventBus(app.state.redis, app.state.keyspace, source=SOURCE, tracer_provider=app.state.tracer_provider)
        app.state.audit_log = AuditLog(app.state.redis, app.state.keyspace)
        app.state.connector = create_connector(settings, app.state.tracer_provider)
        app.state.postings = InvoicePostings(app.state.redis, app.state.keyspace, bus, app.state.connector.name)
        try:
            yield
        finally:
            await app.state.connector.aclose()

    spec = ServiceSpec(
        name=settings.service_name,
        description="ERP system API: customers, items, sales orders, invoices, credit memos, customer payments, "
                    "balanced journal entries and read-only queries, over the configured ERP (NetSuite).",
        routers=[versioned_router(1, CONTROLLERS)],
        lifespans=[wiring],
    )
    return create_service_app(spec, settings)
