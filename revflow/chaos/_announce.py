"""Closed-won announcements made again, and out of order, the way an at-least-once world delivers them.

Three sources of duplicates act from outside revflow: Salesforce redelivering its Outbound Messages (the
sandbox's admin route), the CRM API's pull finding the won deals again (``POST /v1/sync/closed-won``), and a
second producer on the event stream publishing every ``closed_won`` event again, shuffled: once as it was
(same event id, an at-least-once redelivery) and once under a new event id (a producer that lost its dedupe
memory).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import httpx
import msgspec

from contracts.events import CloudEvent
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace, create_redis

__all__ = ["CLOSED_WON", "pull_closed_won", "republish", "republish_closed_won"]

CLOSED_WON = "revflow.crm.opportunity.closed_won.v1"


async def republish_closed_won(redis_url: str, prefix: str, rng: random.Random | None = None) -> list[CloudEvent]:
    """Publish every closed-won event on the CRM stream again, twice: as it was and under a new event id.

    Args:
        redis_url: the deployment's Redis.
        prefix: the deployment's key prefix.
        rng: when given, the copies go out in an order shuffled by it (older closes after newer ones).

    Returns:
        The original events, in stream order.
    """
    redis = create_redis(redis_url)
    try:
        bus = EventBus(redis, KeySpace(prefix), source="/chaos")
        entries = await redis.xrange(bus.stream_key("crm"))
        events = [msgspec.json.decode(fields[b"ce"], type=CloudEvent) for _, fields in entries]
        won = [e for e in events if e.type == CLOSED_WON]
        copies = [c for e in won for c in (e, msgspec.structs.replace(e, id=f"chaos-{uuid.uuid4().hex}"))]
        if rng is not None:
            rng.shuffle(copies)
        for event in copies:
            await bus.publish(event, stream="crm")
        return won
    finally:
        await redis.aclose()


def republish(redis_url: str, prefix: str, rng: random.Random | None = None) -> list[CloudEvent]:
    """``republish_closed_won`` from synchronous code."""
    return asyncio.run(republish_closed_won(redis_url, prefix, rng))


def pull_closed_won(crm: httpx.Client, attempts: int = 30) -> None:
    """The CRM's pull of closed-won deals, repeated while a deal is held (409) or the CRM API restarts.

    Raises:
        RuntimeError: the pull kept conflicting or failing.
    """
    last = ""
    for _ in range(attempts):
        try:
            response = crm.post("/v1/sync/closed-won", headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=600)
        except httpx.TransportError as exc:
            last = repr(exc)
        else:
            if response.status_code == 200:
                return
            if response.status_code not in (409, 502, 503, 504):
                raise RuntimeError(f"the closed-won pull failed: {response.status_code} {response.text[:300]}")
            last = f"{response.status_code} {response.text[:200]}"
        time.sleep(1)
    raise RuntimeError(f"the closed-won pull kept failing: {last}")
