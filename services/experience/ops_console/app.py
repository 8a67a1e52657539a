"""ASGI entry point of the ops console: ``create_app(settings=None) -> Litestar``.

Serve with ``revflow serve ops_console`` (port 8121) or
``uvicorn services.experience.ops_console.app:create_app --factory --port 8121``, then open
http://127.0.0.1:8121/ and sign in (the development users are listed in ``passwords``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.openapi.spec import SecurityScheme

from services.experience.ops_console.api import api_router
from services.experience.ops_console.clients import ProcessApi
from services.experience.ops_console.passwords import DEV_USERS
from services.experience.ops_console.service import ConsoleService
from services.experience.ops_console.sessions import LoginThrottle, SessionStore
from services.experience.ops_console.settings import OpsConsoleSettings, load_settings
from services.experience.ops_console.views import Templates, page_router, static_router
from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.audit import AuditLog
from services.runtime.auth.client import ClientCredentials
from services.runtime.auth.verify import AccessTokenVerifier
from services.runtime.http import Timeouts, UpstreamConfig, create_upstream_client

__all__ = ["create_app"]

SESSION_SCHEME = SecurityScheme(type="apiKey", name="revflow_console", security_scheme_in="cookie",
                                description="Session of a person signed in to the console (pages and their script)")


def create_app(settings: OpsConsoleSettings | None = None, *, verifier: AccessTokenVerifier | None = None) -> Litestar:
    """Build the console; settings come from the environment when not given.

    Args:
        settings: How the console is configured.
        verifier: Verifier of bearer tokens sent to the JSON API (tests pass one for another issuer).
    """
    settings = settings or load_settings()
    users = settings.users if settings.users is not None else DEV_USERS
    templates = Templates()

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        auth = None
        if settings.client_id and settings.client_secret:
            auth = ClientCredentials(f"{settings.issuer_url}/oauth/token", settings.client_id, settings.client_secret,
                                     scope=f"{settings.process_audience}:read {settings.process_audience}:write",
                                     audience=settings.process_audience)
        config = UpstreamConfig(name=settings.process_audience, base_url=settings.process_url,
                                timeouts=Timeouts(default=settings.upstream_timeout_seconds, connect=1.0))
        async with create_upstream_client(config, auth=auth, tracer_provider=app.state.tracer_provider) as client:
            redis, keyspace = app.state.redis, app.state.keyspace
            app.state.console = ConsoleService(ProcessApi(client), redis, keyspace, settings,
                                               AuditLog(redis, keyspace))
            app.state.sessions = SessionStore(redis, keyspace, idle_seconds=settings.session_idle_seconds,
                                              max_seconds=settings.session_max_seconds)
            app.state.throttle = LoginThrottle(redis, keyspace, attempts=settings.login_attempts,
                                               window_seconds=settings.login_window_seconds)
            yield

    spec = ServiceSpec(
        name=settings.service_name,
        description="Finance-ops console: the pipeline of deals by business status, each deal's workflow timeline, "
                    "the exception queue with resume, retry and cancel, revenue charts, reconciliation and period "
                    "close, and governance: the system-of-record map, the contract catalogue, SLOs and KPIs. Pages "
                    "for people at `/`; this JSON API serves the same data.",
        routers=[api_router(), page_router(), static_router()],
        lifespans=[wiring],
    )
    app = create_service_app(spec, settings, verifier=verifier)
    app.state.templates = templates
    app.state.users = {u.username: u for u in users}
    app.state.dev_users = tuple(users) == DEV_USERS
    components = app.openapi_schema.components
    components.security_schemes = {**(components.security_schemes or {}), "session": SESSION_SCHEME}
    return app
