"""ASGI entry point of the quote-to-cash process API: ``create_app(settings=None) -> Litestar``.

The API starts and inspects workflows and reads the systems of record for its views; workers advance the
workflows. With ``workers > 0`` the API process runs workers too (handy for a laptop); in production they
run as their own processes (``revflow worker``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from litestar import Litestar

from contracts.system_of_record import SystemOfRecordMapV1
from services.process.quote_to_cash.api import CONTROLLERS
from services.process.quote_to_cash.governance import startup_map
from services.process.quote_to_cash.settings import QuoteToCashSettings, load_settings
from services.process.quote_to_cash.worker import Worker, open_workflows
from services.runtime.app import ServiceSpec, create_service_app
from services.runtime.versioning import versioned_router

__all__ = ["create_app"]


def create_app(settings: QuoteToCashSettings | None = None, *,
               system_of_record: SystemOfRecordMapV1 | str | None = None) -> Litestar:
    """Build the process API; settings come from the environment when not given.

    Raises:
        SystemOfRecordError: the system-of-record map (the committed one unless given) gives an object two
            owners or none; the API refuses to start and the message names the object.
    """
    settings = settings or load_settings()
    sor_map = startup_map(system_of_record)

    @asynccontextmanager
    async def wiring(app: Litestar) -> AsyncIterator[None]:
        async with open_workflows(settings, app.state.redis, with_systems=True,
                                  tracer_provider=app.state.tracer_provider) as workflows:
            app.state.workflows = workflows
            app.state.system_of_record = sor_map
            stop = asyncio.Event()
            tasks = [asyncio.create_task(Worker(workflows, app.state.redis, settings, name=f"api-{i}",
                                                tracer_provider=app.state.tracer_provider).run(stop))
                     for i in range(settings.workers)]
            try:
                yield
            finally:
                stop.set()
                for task in tasks:
                    with suppress(asyncio.CancelledError, Exception):
                        await asyncio.wait_for(task, 5)

    spec = ServiceSpec(
        name=settings.service_name,
        description="Quote-to-cash process API: durable, idempotent workflows from closed-won deal to cash and "
                    "revenue, with exceptions owned by a team and fixed by resume, retry or cancel.",
        routers=[versioned_router(1, CONTROLLERS)],
        lifespans=[wiring],
    )
    return create_service_app(spec, settings)
