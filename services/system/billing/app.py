"""ASGI entry point of the billing system API: ``create_app(settings=None) -> Litestar``.

Serve with ``uvicorn services.system.billing.app:create_app --factory --port 8103``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.audit import AuditLog
from services.runtime.events import EventBus
from services.runtime.versioning import versioned_router
from services.system.billing.api import CONTROLLERS
from services.system.billing.connectors import create_connector
from services.system.billing.settings import BillingSettings, load_settings
from services.system.billing.webhooks import WebhookController, WebhookReceiver

__all__ = ["create_app"]

SOURCE = "/services/system/billing"


def create_app(settings: BillingSettings | None = None) -> Litestar:
    """Build the billing system API; settings come from the environment when not given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        app.state.event_bus = EventBus(app.state.redis, app.state.keyspace, source=SOURCE,
                                       tracer_provider=app.state.tracer_provider)
        app.state.audit_log = AuditLog(app.state.redis, app.state.keyspace)
        app.state.connector = create_connector(settings, app.state.tracer_provider)
        app.state.webhooks = WebhookReceiver(app.state.connector, app.state.redis, app.state.keyspace,
                                             app.state.event_bus)
        try:
            yield
        finally:
            await app.state.connector.aclose()

    spec = ServiceSpec(
        name=settings.service_name,
        description="Billing system API: customers, catalogue, subscriptions, invoices, credit notes, refunds, "
                    "usage and webhooks, over the configured billing vendor (Stripe or Chargebee).",
        routers=[versioned_router(1, [*CONTROLLERS, WebhookController])],
        lifespans=[wiring],
    )
    return create_service_app(spec, settings)
