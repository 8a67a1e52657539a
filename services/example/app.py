"""ASGI entry point of the example service: ``create_app(settings=None) -> Litestar``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from services.example.api import AccountController, LegacyAccountController, PingController, RelayController
from services.example.settings import ExampleSettings, load_settings
from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.audit import AuditLog
from services.runtime.auth.client import ClientCredentials
from services.runtime.events import EventBus
from services.runtime.http import UpstreamConfig, create_upstream_client
from services.runtime.versioning import versioned_router

__all__ = ["create_app"]


def create_app(settings: ExampleSettings | None = None) -> Litestar:
    """Build the example service; settings come from the environment when not given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        app.state.event_bus = EventBus(app.state.redis, app.state.keyspace, source="/services/example",
                                       tracer_provider=app.state.tracer_provider)
        app.state.audit_log = AuditLog(app.state.redis, app.state.keyspace)
        app.state.peer = None
        if settings.peer_url:
            auth = None
            if settings.client_id and settings.client_secret:
                auth = ClientCredentials(f"{settings.issuer_url}/oauth/token", settings.client_id,
                                         settings.client_secret, scope="example:read example:write",
                                         audience=settings.peer_audience)
            app.state.peer = create_upstream_client(UpstreamConfig(name="example-peer", base_url=settings.peer_url),
                                                    auth=auth, tracer_provider=app.state.tracer_provider)
        try:
            yield
        finally:
            if app.state.peer is not None:
                await app.state.peer.aclose()

    async def peer_ready(app: Litestar) -> str | None:
        if app.state.peer is None:
            return None
        response = await app.state.peer.get("/health")
        return None if response.status_code == 200 else f"peer: /health answered {response.status_code}"

    spec = ServiceSpec(
        name=settings.service_name,
        description="Example service: the runtime's concerns working together on a toy account directory.",
        routers=[versioned_router(1, [PingController, AccountController, LegacyAccountController, RelayController])],
        lifespans=[wiring],
        readiness=[peer_ready],
    )
    return create_service_app(spec, settings)
