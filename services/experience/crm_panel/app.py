"""ASGI entry point of the CRM panel: ``create_app(settings=None) -> Litestar``.

Lifespan: a client of the process API with the panel's own client-credentials token, the per-deal cache,
the HubSpot signature verifier, and a consumer of the process tier's workflow events that invalidates the
cache (one consumer group shared by every replica: each event is handled once, the cache is in Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig

from services.experience.crm_panel.api import HubSpotCardController, SalesforceController
from services.experience.crm_panel.cache import CACHE_GROUP, PanelCache
from services.experience.crm_panel.clients import ProcessClient
from services.experience.crm_panel.service import PanelService
from services.experience.crm_panel.settings import CrmPanelSettings, load_settings
from services.experience.crm_panel.signature import HubSpotVerifier
from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.auth.client import ClientCredentials
from services.runtime.events import Consumer, domain_of
from services.runtime.http import Timeouts, UpstreamConfig, create_upstream_client
from services.runtime.versioning import versioned_router

__all__ = ["create_app"]

_STREAM = domain_of("revflow.process.workflow.completed.v1")
_log = logging.getLogger("revflow.crm_panel")


def cors_config(settings: CrmPanelSettings) -> CORSConfig | None:
    """The CORS allow-list: the configured CRM origins may call the panel's GET routes from a browser.

    Only the Salesforce route is meant for browsers (a Lightning component); HubSpot calls the card route
    from its servers, where CORS plays no part. No credentials: the token travels in ``Authorization``.
    """
    if not settings.cors_origins:
        return None
    return CORSConfig(allow_origins=list(settings.cors_origins), allow_methods=["GET", "OPTIONS"],
                      allow_headers=["Authorization", "X-Correlation-ID"],
                      expose_headers=["X-Correlation-ID"], allow_credentials=False, max_age=600)


async def _keep_consuming(consumer: Consumer, stop: asyncio.Event) -> None:
    """Run the invalidation consumer until shutdown; a crash restarts it (a dead consumer means stale panels)."""
    while not stop.is_set():
        try:
            await consumer.run(stop, block_ms=500)
        except Exception:
            _log.exception("the panel's invalidation consumer failed; restarting it in a second")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


def create_app(settings: CrmPanelSettings | None = None) -> Litestar:
    """Build the CRM panel; settings come from the environment when not given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        auth = None
        if settings.client_id and settings.client_secret:
            auth = ClientCredentials(f"{settings.issuer_url}/oauth/token", settings.client_id, settings.client_secret,
                                     scope="quote_to_cash:read", audience="quote_to_cash")
        config = UpstreamConfig(name="quote_to_cash", base_url=settings.process_url,
                                timeouts=Timeouts(default=settings.upstream_timeout_seconds, connect=1.0))
        process = create_upstream_client(config, auth=auth, tracer_provider=app.state.tracer_provider)
        cache = PanelCache(app.state.redis, app.state.keyspace, settings.cache_ttl_seconds)
        app.state.process = process
        app.state.panels = PanelService(ProcessClient(process), cache, deal_url_template=settings.deal_url_template)
        app.state.hubspot_verifier = HubSpotVerifier(settings.hubspot_app_secret,
                                                     max_age_seconds=settings.hubspot_max_age_seconds,
                                                     public_url=settings.public_url)
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        consumer = Consumer(app.state.redis, app.state.keyspace, _STREAM, CACHE_GROUP, name, cache.on_event,
                            start_id="$", tracer_provider=app.state.tracer_provider)
        await consumer.ensure_group()  # before serving: no event after start-up can be missed
        stop = asyncio.Event()
        task = asyncio.create_task(_keep_consuming(consumer, stop), name="crm_panel-invalidation")
        try:
            yield
        finally:
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await process.aclose()

    async def process_ready(app: Litestar) -> str | None:
        response = await app.state.process.get("/health")
        return None if response.status_code == 200 else f"quote_to_cash: /health answered {response.status_code}"

    spec = ServiceSpec(
        name=settings.service_name,
        description="CRM panel: a deal's finance status, subscription, next invoice, amounts billed, paid and "
                    "recognised, and open exceptions with their owner, for Salesforce Lightning components and "
                    "HubSpot CRM cards.",
        # The HubSpot route sits in its own /v1 router: it is signed by HubSpot, so no bearer scheme applies.
        routers=[versioned_router(1, [SalesforceController]),
                 Router(path="/v1", route_handlers=[HubSpotCardController])],
        lifespans=[wiring],
        readiness=[process_ready],
        cors=cors_config(settings),
    )
    return create_service_app(spec, settings)

