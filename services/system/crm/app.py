"""ASGI entry point of the CRM system API: ``create_app(settings=None) -> Litestar``.

Serve with ``uvicorn services.system.crm.app:create_app --factory --port 8101``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from contracts.deals import OpportunityStage
from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.audit import AuditLog
from services.runtime.events import EventBus
from services.runtime.versioning import versioned_router
from services.system.crm.api import CONTROLLERS
from services.system.crm.connectors import create_connector
from services.system.crm.publisher import ClosedDealPublisher
from services.system.crm.settings import CrmSettings, load_settings
from services.system.crm.webhooks import WebhookController, WebhookReceiver

__all__ = ["SOURCE", "create_app", "poll_closed_deals"]

SOURCE = "/services/system/crm"
log = logging.getLogger(__name__)


async def poll_closed_deals(publisher: ClosedDealPublisher, interval: float, stop: asyncio.Event) -> None:
    """Pull closed-won and closed-lost deals every ``interval`` seconds until ``stop`` is set.

    A failed pull is retried next time; one stage's failure does not keep the other from being pulled.
    """
    while not stop.is_set():
        for stage in (OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST):
            try:
                await publisher.sync(stage)
            except Exception:  # the next tick retries; the watermark only moves past what was announced
                log.warning("%s pull failed; retrying in %.1f s", stage.value, interval, exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def create_app(settings: CrmSettings | None = None) -> Litestar:
    """Build the CRM system API; settings come from the environment when not given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        bus = EventBus(app.state.redis, app.state.keyspace, source=SOURCE, tracer_provider=app.state.tracer_provider)
        app.state.audit_log = AuditLog(app.state.redis, app.state.keyspace)
        app.state.connector = create_connector(settings, app.state.tracer_provider)
        app.state.publisher = ClosedDealPublisher(app.state.connector, app.state.redis, app.state.keyspace, bus,
                                                 overlap_seconds=settings.poll_overlap_seconds)
        app.state.webhooks = WebhookReceiver(app.state.connector, app.state.redis, app.state.keyspace,
                                             app.state.publisher)
        stop = asyncio.Event()
        poller = (asyncio.create_task(poll_closed_deals(app.state.publisher, settings.poll_interval_seconds, stop))
                  if settings.poll_interval_seconds > 0 else None)
        try:
            yield
        finally:
            stop.set()
            if poller is not None:
                await poller
            await app.state.connector.aclose()

    spec = ServiceSpec(
        name=settings.service_name,
        description="CRM system API: accounts and their contacts, the product catalogue, opportunities with their "
                    "lines (created in the CRM for orders booked outside it) and signed amendments, the contracts "
                    "won deals produced, closed deals "
                    "(won, renewed, amended, lost) found by push and pull and announced once each, and finance "
                    "status written back, over the configured CRM (Salesforce or HubSpot).",
        routers=[versioned_router(1, [*CONTROLLERS, WebhookController])],
        lifespans=[wiring],
    )
    return create_service_app(spec, settings)
