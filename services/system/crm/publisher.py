"""Exactly-once deal events, fed by both the push path (webhooks) and the pull path (sync).

Which event a closed deal is, decided here from canonical facts only:

- lost (stage ``closed_lost``): ``revflow.crm.opportunity.lost.v1``;
- won, and an amendment of a booked deal: ``revflow.crm.opportunity.amended.v1``, carrying the canonical
  ``Amendment`` (the booked opportunity, the effective date and the changed lines) for the process tier to apply;
- won, and a renewal (``renews_opportunity_id`` set): ``revflow.crm.opportunity.renewed.v1`` **instead of**
  ``closed_won``. The process tier starts a renewal workflow on ``renewed`` and an activation on ``closed_won``;
  announcing a renewal as both would start both, and a renewal is not a new customer to activate;
- any other won deal: ``revflow.crm.opportunity.closed_won.v1``.

An amendment that also names a deal it renews is announced as ``amended`` (the amendment link wins). The
CloudEvent's subject is the opportunity that closed (for an amendment, the amendment's own opportunity; the
booked one is ``amendment.opportunity_id``).

A business change is one close of one opportunity: the dedupe key is the opportunity id, the outcome (won or
lost) and the close version (the close date), kept in Redis. A won deal is classified when its close is first
seen, so a renewal link added after the close announces nothing more; a won deal lost later is a new change. A
marker is taken (``SET NX``, short-lived) while the event is published and made long-lived once it is, so a
second sighting of the same close, by either path, publishes nothing; a concurrent sighting gets a retryable
conflict; a failed publish releases the marker so the next sighting publishes it. The CloudEvent id is derived
from the same key, so even an event that lands twice is recognisable downstream. (The won outcome keeps the
marker name it had when ``closed_won`` was the only event, so an upgraded deployment announces no old close
again.)

The pull path runs two incremental queries, closed-won and closed-lost deals, each with a watermark (the latest
CRM modification instant seen) in Redis, starting a little before it (``overlap``) so records committed with an
earlier timestamp are not skipped; the dedupe makes the overlap harmless. One pull per outcome runs at a time
per deployment (a Redis lock). A deal whose record cannot be read canonically (an incomplete record, a missing
account) does not stop the pull: it is reported in the answer, remembered in Redis and tried again on every
later pull until it is announced or is no longer closed, so a fix made elsewhere (the account's address, which
leaves the deal's modification instant alone) still gets it announced.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import msgspec
from redis.asyncio import Redis

from contracts.deals import OpportunityStage
from contracts.event_payloads import OpportunityAmended, OpportunityClosedWon, OpportunityLost, OpportunityRenewed
from contracts.events import build_event
from services.runtime.events import EventBus
from services.runtime.problems import ServiceError
from services.runtime.redis import KeySpace
from services.system.crm.errors import CrmNotFound, IncompleteCrmRecord
from services.system.crm.ports import ClosedDeal, CrmConnector

__all__ = ["ClosedDealPublisher", "Pull", "event_payload"]

log = logging.getLogger(__name__)

_PROCESSING_TTL_S = 60
_DONE_TTL_S = 400 * 86_400  # a close is announced once; a re-close carries a new close version
_LOCK_TTL_S = 120
_OUTCOMES = {OpportunityStage.CLOSED_WON: "closed_won", OpportunityStage.CLOSED_LOST: "closed_lost"}


def _busy(what: str) -> ServiceError:
    return ServiceError(f"{what} is being processed by another request.", slug="conflict", retryable=True,
                        owner="integration", headers={"Retry-After": "2"})


def event_payload(deal: ClosedDeal) -> msgspec.Struct:
    """The payload of the one event a closed deal is announced with (see the module docstring)."""
    opportunity = deal.opportunity
    if opportunity.stage is OpportunityStage.CLOSED_LOST:
        return OpportunityLost(opportunity_id=opportunity.id or "", reason=deal.loss_reason, closed_at=deal.closed_at)
    if deal.amendment is not None:
        return OpportunityAmended(amendment=deal.amendment)
    if deal.customer is None:  # pragma: no cover - a connector contract breach, not a data problem
        raise ValueError(f"won deal {opportunity.id} came without its buyer")
    kind = OpportunityRenewed if opportunity.renews_opportunity_id else OpportunityClosedWon
    return kind(opportunity=opportunity, customer=deal.customer, closed_at=deal.closed_at)


class Pull(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of one incremental pull of closed deals in one stage."""

    examined: int
    published: int
    watermark: datetime | None
    incomplete: list[str]


class ClosedDealPublisher:
    """Publish each closed deal's business change once, and pull the ones push notifications missed."""

    def __init__(self, connector: CrmConnector, redis: Redis, keyspace: KeySpace, bus: EventBus, *,
                 overlap_seconds: float = 5.0) -> None:
        self.connector, self.redis, self.keyspace, self.bus = connector, redis, keyspace, bus
        self.overlap = timedelta(seconds=overlap_seconds)

    def _key(self, *parts: str) -> str:
        return self.keyspace.key("crm", *parts)

    async def publish(self, deal: ClosedDeal) -> bool:
        """Publish the deal's event unless this close was announced before; True if published."""
        opportunity_id = deal.opportunity.id or ""
        outcome = _OUTCOMES[deal.opportunity.stage]
        marker = self._key(outcome, self.connector.name, opportunity_id, deal.version)
        if not await self.redis.set(marker, b"processing", nx=True, ex=_PROCESSING_TTL_S):
            if await self.redis.get(marker) == b"done":
                return False
            raise _busy(f"Closed deal {opportunity_id}")
        try:
            suffix = ":lost" if outcome == "closed_lost" else ""
            event = build_event(event_payload(deal), subject=opportunity_id, time=deal.closed_at,
                                id=f"{self.connector.name}:{opportunity_id}:{deal.version}{suffix}")
            await self.bus.publish(event)
        except BaseException:
            await self.redis.delete(marker)
            raise
        await self.redis.set(marker, b"done", ex=_DONE_TTL_S)
        return True

    async def publish_closed(self, opportunity_id: str) -> bool:
        """Read the opportunity and publish its event when it is closed (won or lost)."""
        deal = await self.connector.closed_deal(opportunity_id)
        return deal is not None and await self.publish(deal)

    async def sync(self, stage: OpportunityStage) -> Pull:
        """One incremental pull: every deal in ``stage`` (closed-won or closed-lost) modified since its watermark."""
        outcome = _OUTCOMES[stage]
        lock = self._key(f"{outcome}_sync", self.connector.name)
        if not await self.redis.set(lock, b"1", nx=True, ex=_LOCK_TTL_S):
            raise _busy(f"A {outcome.replace('_', '-')} pull")
        try:
            return await self._pull(stage, outcome)
        finally:
            await self.redis.delete(lock)

    async def _pull(self, stage: OpportunityStage, outcome: str) -> Pull:
        mark_key = self._key("watermark", self.connector.name, outcome)
        raw = await self.redis.get(mark_key)
        watermark = datetime.fromisoformat(raw.decode()) if raw else None
        published, incomplete = await self._retry_incomplete(outcome)
        changes = await self.connector.find_deals(stage, watermark - self.overlap if watermark else None)
        for change in changes:
            try:
                published += await self.publish_closed(change.opportunity_id)
            except (IncompleteCrmRecord, CrmNotFound) as exc:
                await self._remember(outcome, change.opportunity_id, exc)
                incomplete.append(change.opportunity_id)
            # Advance as we go: a failure later in the batch keeps what was done, and the rest is retried.
            if watermark is None or change.modified_at > watermark:
                watermark = change.modified_at
                await self.redis.set(mark_key, watermark.isoformat().encode())
        return Pull(examined=len(changes), published=published, watermark=watermark,
                    incomplete=sorted(set(incomplete)))

    async def _remember(self, outcome: str, opportunity_id: str, exc: Exception) -> None:
        log.warning("closed deal %s not announced yet: %s", opportunity_id, exc)
        await self.redis.sadd(self._key("incomplete", self.connector.name, outcome), opportunity_id)

    async def _retry_incomplete(self, outcome: str) -> tuple[int, list[str]]:
        """Try again the deals earlier pulls could not read; forget those announced, reopened or deleted."""
        key = self._key("incomplete", self.connector.name, outcome)
        published, still = 0, []
        for raw in sorted(await self.redis.smembers(key)):
            opportunity_id = raw.decode()
            try:
                published += await self.publish_closed(opportunity_id)
            except IncompleteCrmRecord:
                still.append(opportunity_id)
                continue
            except CrmNotFound as exc:
                if exc.code != "opportunity_missing":
                    still.append(opportunity_id)
                    continue
            await self.redis.srem(key, opportunity_id)
        return published, still
