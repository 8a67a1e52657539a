"""``revflow worker quote_to_cash``: run quote-to-cash workers as their own process (scale by running more).

Settings come from ``REVFLOW_QUOTE_TO_CASH_*`` like the API's. SIGTERM or Ctrl-C stops it after the steps in
flight; SIGKILL loses nothing either (other workers reclaim its kicks once ``claim_idle_ms`` has passed).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import click
import msgspec

__all__ = ["worker"]


@click.command()
@click.argument("process", type=click.Choice(["quote_to_cash"]))
@click.option("--concurrency", type=int, default=None, help="Workflows advanced at once (default: the setting).")
@click.option("--name", default=None, help="Consumer name (default: host and pid); unique per live worker.")
def worker(process: str, concurrency: int | None, name: str | None) -> None:
    """Run workers of the PROCESS API: advance workflows, start them from events, fire timers."""
    from services.process.quote_to_cash.settings import load_settings
    from services.process.quote_to_cash.worker import Worker, open_workflows
    from services.runtime.redis import create_redis
    from services.runtime.settings import redact_url
    from services.runtime.telemetry import configure_logging, create_tracer_provider

    settings = load_settings()
    if concurrency is not None:
        settings = msgspec.structs.replace(settings, concurrency=concurrency)
    configure_logging(f"{settings.service_name}-worker", settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        redis = create_redis(settings.redis_url, max_connections=settings.concurrency + 32)
        tracer_provider = create_tracer_provider(f"{settings.service_name}-worker", settings.otlp_endpoint)
        try:
            async with open_workflows(settings, redis, with_systems=True, tracer_provider=tracer_provider) as flows:
                await Worker(flows, redis, settings, name=name, tracer_provider=tracer_provider).run(stop)
        finally:
            await redis.aclose()
            tracer_provider.shutdown()

    click.echo(f"{process} worker: {settings.concurrency} workflows at once, Redis {redact_url(settings.redis_url)}",
               err=True)
    _run_on_fastest_loop(run())


def _run_on_fastest_loop(main: Any) -> None:
    """uvloop where it is installed (as the servers use through granian), else asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)
