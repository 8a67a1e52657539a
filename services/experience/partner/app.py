"""ASGI entry point of the partner API: ``create_app(settings=None) -> Litestar``.

Besides the routes, every replica runs two background loops in its lifespan (each can be switched off):
the consumer turning the process tier's events into webhook deliveries (one consumer group shared by all
replicas) and the dispatcher attempting due deliveries (one shared schedule). Nothing lives only in one
replica's memory, so replicas can come and go.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
from litestar import Litestar

from services.experience.partner.api import V1_CONTROLLERS, V1_DEPRECATION, V2_CONTROLLERS, docs_router, partner_router
from services.experience.partner.process import ProcessApi
from services.experience.partner.ratelimit import RateLimiter
from services.experience.partner.service import Deps, PartnerService
from services.experience.partner.settings import PartnerSettings, load_settings
from services.experience.partner.tenancy import TenantIndex
from services.experience.partner.webhooks import Dispatcher, DispatchPolicy, ProcessEvents, WebhookService, WebhookStore
from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.audit import AuditLog
from services.runtime.auth.client import ClientCredentials
from services.runtime.events import Consumer
from services.runtime.http import Timeouts, UpstreamConfig, create_upstream_client

__all__ = ["EVENTS_GROUP", "create_app"]

EVENTS_GROUP = "partner.webhooks"
"""The partner API's consumer group on the ``process`` stream."""


def create_app(settings: PartnerSettings | None = None) -> Litestar:
    """Build the partner API; settings come from the environment when not given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        redis, keyspace = app.state.redis, app.state.keyspace
        auth = None
        if settings.client_id and settings.client_secret:
            auth = ClientCredentials(f"{settings.issuer_url}/oauth/token", settings.client_id, settings.client_secret,
                                     scope="quote_to_cash:read quote_to_cash:write", audience="quote_to_cash")
        config = UpstreamConfig(name="quote_to_cash", base_url=settings.process_url,
                                timeouts=Timeouts(default=settings.upstream_timeout_seconds, connect=1.0))
        process = create_upstream_client(config, auth=auth, tracer_provider=app.state.tracer_provider)
        index = TenantIndex(redis, keyspace)
        partner = PartnerService(Deps(index=index, process=ProcessApi(process), audit=AuditLog(redis, keyspace),
                                      concurrency=settings.upstream_concurrency))
        store = WebhookStore(redis, keyspace, retention_days=settings.webhook_retention_days)
        app.state.partner = partner
        app.state.webhook_service = WebhookService(store, allow_private=settings.webhook_allow_private_networks,
                                                   max_per_tenant=settings.max_webhooks_per_tenant)
        app.state.rate_limiter = RateLimiter(redis, keyspace, settings)
        # Receivers are the partners' servers: no proxy from the environment, no redirects followed.
        http = httpx.AsyncClient(timeout=httpx.Timeout(settings.webhook_timeout_seconds, connect=5.0),
                                 follow_redirects=False, trust_env=False)
        stop = asyncio.Event()
        tasks = []
        if settings.consume_events:
            name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
            handler = ProcessEvents(index, partner.orders, store).handle
            consumer = Consumer(redis, keyspace, "process", EVENTS_GROUP, name, handler, start_id="$",
                                claim_idle_ms=15_000, tracer_provider=app.state.tracer_provider)
            await consumer.ensure_group()
            tasks.append(asyncio.create_task(consumer.run(stop, block_ms=500)))
        if settings.dispatch_webhooks:
            policy = DispatchPolicy(max_attempts=settings.webhook_max_attempts,
                                    base_seconds=settings.webhook_backoff_base_seconds,
                                    cap_seconds=settings.webhook_backoff_cap_seconds,
                                    lease_seconds=settings.webhook_lease_seconds,
                                    poll_seconds=settings.webhook_poll_seconds,
                                    concurrency=settings.webhook_concurrency)
            dispatcher = Dispatcher(store, http, policy)
            store.on_schedule = dispatcher.wake
            tasks.append(asyncio.create_task(dispatcher.run(stop)))
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                with suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 5)
            await http.aclose()
            await process.aclose()

    async def process_ready(app: Litestar) -> str | None:
        return await app.state.partner.deps.process.health()

    spec = ServiceSpec(
        name=settings.service_name,
        description="Partner API: submit orders, report usage, read your customers, subscriptions, invoices and "
                    "credit notes, and receive signed webhooks; OAuth2 client credentials, scoped to your tenant. "
                    "v1 is deprecated: move to v2 (money as decimal strings, `has_more` on lists, orders keyed by "
                    "`id`). Reference: /docs.",
        routers=[partner_router(1, V1_CONTROLLERS, deprecation=V1_DEPRECATION, successor_major=2),
                 partner_router(2, V2_CONTROLLERS), docs_router()],
        lifespans=[wiring],
        readiness=[process_ready],
    )
    return create_service_app(spec, settings)
