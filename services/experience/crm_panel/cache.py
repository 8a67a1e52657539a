"""A short per-deal cache of panels in Redis, invalidated by the process tier's workflow events.

Invalidation never deletes: it bumps a generation. A panel is stored with the generation (and the global
epoch) read *before* the process API was asked, and served only while both are unchanged. So a panel computed
from data older than an invalidation can never be served after it, even when its write lands after the event
was handled (the classic delete-then-stale-write race of cache-aside).

Keys (one Cluster slot per deal, the epoch apart)::

    <prefix>{crm_panel:deal:<opportunity id>}:gen     generation, INCR on each of the deal's workflow events
    <prefix>{crm_panel:deal:<opportunity id>}:panel   msgpack {epoch, gen, panel}, with the cache TTL
    <prefix>crm_panel:epoch                          INCR when a period closes (every deal's recognised revenue)

The TTL is only the bound for changes no event announces (the process tier publishes ``workflow.completed`` and
``workflow.needs_attention``; a step finishing inside a running workflow says nothing).
"""

from __future__ import annotations

import logging

import msgspec
from redis.asyncio import Redis

from contracts.events import CloudEvent
from services.experience.crm_panel.schemas import DealPanelV1
from services.runtime.redis import KeySpace

__all__ = ["CACHE_GROUP", "INVALIDATING_EVENTS", "CachedPanel", "PanelCache", "Stamp"]

CACHE_GROUP = "crm_panel.cache"
"""Consumer group of the panel's replicas on the process stream (one of them handles each event)."""
INVALIDATING_EVENTS = frozenset({
    "revflow.process.workflow.completed.v1",
    "revflow.process.workflow.needs_attention.v1",
})
_PERIOD_CLOSE = "period_close"
_GEN_TTL_S = 86_400  # beyond any cache TTL: a generation must outlive every panel stamped with it

_log = logging.getLogger("revflow.crm_panel")


class Stamp(msgspec.Struct, frozen=True):
    """The state of the world a panel was computed in."""

    epoch: int
    gen: int


class CachedPanel(msgspec.Struct, frozen=True):
    """A cached answer: a deal's panel, or ``None`` for a deal revflow has not seen."""

    stamp: Stamp
    panel: DealPanelV1 | None


class PanelCache:
    """Read, write and invalidate cached panels."""

    def __init__(self, redis: Redis, keyspace: KeySpace, ttl_seconds: int) -> None:
        self.redis, self.keyspace, self.ttl_ms = redis, keyspace, ttl_seconds * 1000
        self._epoch = keyspace.key("crm_panel", "epoch")

    def _keys(self, opportunity_id: str) -> tuple[str, str]:
        tag = f"crm_panel:deal:{opportunity_id}"
        return self.keyspace.tagged(tag, "gen"), self.keyspace.tagged(tag, "panel")

    async def get(self, opportunity_id: str) -> tuple[CachedPanel | None, Stamp]:
        """The cached answer if still valid, and the current stamp (to store a freshly computed panel with)."""
        gen_key, panel_key = self._keys(opportunity_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._epoch)
            pipe.get(gen_key)
            pipe.get(panel_key)
            epoch, gen, raw = await pipe.execute()
        stamp = Stamp(int(epoch or 0), int(gen or 0))
        if raw is None:
            return None, stamp
        try:
            entry = msgspec.msgpack.decode(raw, type=CachedPanel)
        except msgspec.DecodeError:  # written by another version of the panel: recompute
            return None, stamp
        return (entry if entry.stamp == stamp else None), stamp

    async def put(self, opportunity_id: str, panel: DealPanelV1 | None, stamp: Stamp) -> None:
        """Store an answer computed after ``stamp`` was read."""
        _, panel_key = self._keys(opportunity_id)
        await self.redis.set(panel_key, msgspec.msgpack.encode(CachedPanel(stamp, panel)), px=self.ttl_ms)

    async def invalidate(self, opportunity_id: str) -> None:
        """Every panel of the deal computed so far is stale."""
        gen_key, _ = self._keys(opportunity_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(gen_key)
            pipe.expire(gen_key, _GEN_TTL_S)
            await pipe.execute()

    async def invalidate_all(self) -> None:
        """Every cached panel is stale (a period closed: recognised revenue moved for every deal)."""
        await self.redis.incr(self._epoch)

    async def on_event(self, event: CloudEvent) -> None:
        """Consumer handler: invalidate what a workflow event changed (idempotent: bumping twice is harmless)."""
        if event.type not in INVALIDATING_EVENTS or not isinstance(event.data, dict):
            return
        data = event.data
        if data.get("workflow") == _PERIOD_CLOSE:
            await self.invalidate_all()
            return
        subject = str(data.get("subject") or event.subject or "")
        if not subject:
            return
        await self.invalidate(subject)
        # Some workflows run beside the deal's queue under ``<deal>:<purpose>`` (a term-end cancellation).
        deal, sep, _ = subject.partition(":")
        if sep and deal:
            await self.invalidate(deal)
        _log.debug("panel of %s invalidated by %s", subject, event.type)
