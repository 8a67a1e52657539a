"""Exactly-once ``closed_won`` events, fed by both the push path (webhooks) and the pull path (sync).

A business change is one close of one opportunity: the dedupe key is the opportunity id plus its close
version (the close date), kept in Redis. A marker is taken (``SET NX``, short-lived) while the event is
published and made long-lived once it is, so a second sighting of the same close, by either path,
publishes nothing; a concurrent sighting gets a retryable conflict; a failed publish releases the marker
so the next sighting publishes it. The CloudEvent id is derived from the same key, so even an event that
lands twice is recognisable downstream.

The pull path keeps a watermark (the latest CRM modification instant seen) in Redis and starts each pull a
little before it (``overlap``), so records committed with an earlier timestamp are not skipped; the
dedupe makes the overlap harmless. One pull runs at a time per deployment (a Redis lock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from redis.asyncio import Redis

from contracts.deals import OpportunityStage
from contracts.event_payloads import OpportunityClosedWon
from contracts.events import build_event
from services.runtime.events import EventBus
from services.runtime.problems import ServiceError
from services.runtime.redis import KeySpace
from services.system.crm.ports import ClosedWonDeal, CrmConnector
from services.system.crm.schemas import ClosedWonSyncV1

__all__ = ["ClosedWonPublisher"]

_PROCESSING_TTL_S = 60
_DONE_TTL_S = 400 * 86_400  # a close is announced once; a re-close carries a new close version
_LOCK_TTL_S = 120


def _busy(what: str) -> ServiceError:
    return ServiceError(f"{what} is being processed by another request.", slug="conflict", retryable=True,
                        owner="integration", headers={"Retry-After": "2"})


class ClosedWonPublisher:
    """Publish each closed-won business change once, and pull the ones push notifications missed."""

    def __init__(self, connector: CrmConnector, redis: Redis, keyspace: KeySpace, bus: EventBus, *,
                 overlap_seconds: float = 5.0) -> None:
        self.connector, self.redis, self.keyspace, self.bus = connector, redis, keyspace, bus
        self.overlap = timedelta(seconds=overlap_seconds)

    def _key(self, *parts: str) -> str:
        return self.keyspace.key("crm", *parts)

    async def publish(self, deal: ClosedWonDeal) -> bool:
        """Publish the deal's ``closed_won`` event unless this close was announced before; True if published."""
        opportunity_id = deal.opportunity.id or ""
        marker = self._key("closed_won", self.connector.name, opportunity_id, deal.version)
        if not await self.redis.set(marker, b"processing", nx=True, ex=_PROCESSING_TTL_S):
            if await self.redis.get(marker) == b"done":
                return False
            raise _busy(f"Closed-won deal {opportunity_id}")
        try:
            payload = OpportunityClosedWon(opportunity=deal.opportunity, customer=deal.customer,
                                           closed_at=deal.closed_at)
            event = build_event(payload, subject=opportunity_id, time=deal.closed_at,
                                id=f"{self.connector.name}:{opportunity_id}:{deal.version}")
            await self.bus.publish(event)
        except BaseException:
            await self.redis.delete(marker)
            raise
        await self.redis.set(marker, b"done", ex=_DONE_TTL_S)
        return True

    async def publish_if_won(self, opportunity_id: str) -> bool:
        """Read the opportunity and publish it when it is closed-won."""
        deal = await self.connector.closed_won_deal(opportunity_id)
        return deal is not None and await self.publish(deal)

    async def sync(self) -> ClosedWonSyncV1:
        """One incremental pull: every closed-won deal modified since the watermark, each announced once."""
        lock = self._key("closed_won_sync", self.connector.name)
        if not await self.redis.set(lock, b"1", nx=True, ex=_LOCK_TTL_S):
            raise _busy("A closed-won pull")
        try:
            return await self._pull()
        finally:
            await self.redis.delete(lock)

    async def _pull(self) -> ClosedWonSyncV1:
        mark_key = self._key("watermark", self.connector.name, "closed_won")
        raw = await self.redis.get(mark_key)
        watermark = datetime.fromisoformat(raw.decode()) if raw else None
        since = watermark - self.overlap if watermark else None
        changes = await self.connector.find_deals(OpportunityStage.CLOSED_WON, since)
        published = 0
        for change in changes:
            published += await self.publish_if_won(change.opportunity_id)
            # Advance as we go: a failure later in the batch keeps what was done, and the rest is retried.
            if watermark is None or change.modified_at > watermark:
                watermark = change.modified_at
                await self.redis.set(mark_key, watermark.isoformat().encode())
        return ClosedWonSyncV1(examined=len(changes), published=published,
                               watermark=watermark.isoformat() if watermark else None)
