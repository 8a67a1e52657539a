"""A quote-to-cash worker: advances workflows, starts them from business events, fires durable timers.

Run as its own process (``revflow worker quote_to_cash``, any number of replicas) or inside the API process
(``REVFLOW_QUOTE_TO_CASH_WORKERS``). Everything a worker knows is in Redis; killing one at any instant loses
nothing: its kicks are reclaimed by the others once ``claim_idle_ms`` passes, and the workflow's lease lapses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from opentelemetry.trace import TracerProvider
from redis.asyncio import Redis

from services.process.quote_to_cash.engine import KICK_STREAM, CatalogMemo, Workflows
from services.process.quote_to_cash.metrics_book import MetricsSweep
from services.process.quote_to_cash.saga import RunnerPolicy
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.process.quote_to_cash.slo import SloMonitor
from services.process.quote_to_cash.systems import Systems
from services.process.quote_to_cash.triggers import BILLING_GROUP, CRM_GROUP, Triggers
from services.process.quote_to_cash.workflows import DEFINITIONS
from services.runtime.auth.client import ClientCredentials
from services.runtime.events import Consumer, EventBus
from services.runtime.http import Timeouts, UpstreamConfig, create_upstream_client
from services.runtime.redis import KeySpace

__all__ = ["RUNNER_GROUP", "Worker", "open_workflows"]

RUNNER_GROUP = "quote_to_cash.runner"
SOURCE = "/services/process/quote_to_cash"

_log = logging.getLogger("revflow.process")


@asynccontextmanager
async def open_workflows(settings: QuoteToCashSettings, redis: Redis, *, with_systems: bool,
                         tracer_provider: TracerProvider | None = None) -> AsyncIterator[Workflows]:
    """The workflows over ``redis``; with clients for the system APIs when this process runs steps."""
    keyspace = KeySpace(settings.key_prefix)
    bus = EventBus(redis, keyspace, source=SOURCE, tracer_provider=tracer_provider)
    policy = RunnerPolicy(max_attempts=settings.max_attempts, retry_base_s=settings.retry_base_seconds,
                          retry_cap_s=settings.retry_cap_seconds,
                          unfinished_settle_s=settings.unfinished_settle_seconds)
    workflows = Workflows(redis, keyspace, bus, DEFINITIONS, policy=policy, lease_ms=settings.lease_ms)
    workflows.metrics.inline_limit = settings.metrics_inline_limit
    if not with_systems:
        yield workflows
        return
    clients = {}
    for name, url in (("crm", settings.crm_url), ("erp", settings.erp_url), ("billing", settings.billing_url),
                      ("revrec", settings.revrec_url)):
        auth = None
        if settings.client_id and settings.client_secret:
            auth = ClientCredentials(f"{settings.issuer_url}/oauth/token", settings.client_id, settings.client_secret,
                                     scope=f"{name}:read {name}:write", audience=name)
        config = UpstreamConfig(name=name, base_url=url,
                                timeouts=Timeouts(default=settings.upstream_timeout_seconds, connect=1.0))
        clients[name] = create_upstream_client(config, auth=auth, tracer_provider=tracer_provider)
    catalog = CatalogMemo(redis, keyspace, settings.catalog_sync_ttl_seconds)
    systems = Systems(**clients, links=workflows.links, start=workflows.start, catalog=catalog)
    workflows.runner.systems = systems
    try:
        yield workflows
    finally:
        await systems.aclose()


class Worker:
    """``concurrency`` runners on the kick stream, the CRM and billing event consumers, and the timer loop."""

    def __init__(self, workflows: Workflows, redis: Redis, settings: QuoteToCashSettings, *,
                 name: str | None = None, tracer_provider: TracerProvider | None = None) -> None:
        self.workflows, self.redis, self.settings = workflows, redis, settings
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        keyspace = KeySpace(settings.key_prefix)
        triggers = Triggers(workflows)
        self.slo = SloMonitor(workflows)
        self.metrics = MetricsSweep(workflows.metrics, redis, KeySpace(settings.key_prefix),
                                    interval_s=settings.metrics_sweep_seconds)
        common = {"claim_idle_ms": settings.claim_idle_ms, "tracer_provider": tracer_provider}
        self.consumers = [
            Consumer(redis, keyspace, KICK_STREAM, RUNNER_GROUP, f"{self.name}-{i}", workflows.handle_kick,
                     batch_size=1, max_attempts=20, **common)
            for i in range(max(1, settings.concurrency))
        ]
        self.consumers += [
            Consumer(redis, keyspace, "crm", CRM_GROUP, self.name, triggers.on_crm, **common),
            Consumer(redis, keyspace, "billing", BILLING_GROUP, self.name, triggers.on_billing, **common),
        ]

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set."""
        _log.info("quote-to-cash worker %s: %d runners", self.name, self.settings.concurrency)
        tasks = [asyncio.create_task(c.run(stop, block_ms=500)) for c in self.consumers]
        tasks.append(asyncio.create_task(self._timers(stop)))
        tasks.append(asyncio.create_task(self.metrics.run(stop, self.workflows.runner.systems, self.workflows.links,
                                                          self.workflows.deals.activity)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _timers(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.workflows.fire_timers()
                await self.slo.tick()  # evaluates the SLOs once a minute across workers, opens breach exceptions
            except Exception:
                _log.exception("timer loop failed; retrying")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
