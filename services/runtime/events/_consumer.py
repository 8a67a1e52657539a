"""The consuming side of the event bus: one consumer of one group on one stream (private).

Delivery is at-least-once; the consumer makes handling effectively once per group:

- A handler's success is recorded by a processed marker (``SET NX EX``) **after** the handler returned,
  in the same MULTI as the XACK. A crash between the handler's own effects and that transaction means
  the message is redelivered and the handler runs again: handlers must make their own writes idempotent
  (key them by ``event.id``). Setting the marker *before* the handler would instead lose the event on such a
  crash (at-most-once), which a finance system cannot accept.
- An event id already marked for this group is acknowledged without running the handler. Two copies of one
  event handled at the same moment by two consumers can both run (there is no in-flight lease); the
  handler's own idempotency covers that case as it covers the crash window.
- A failed handler leaves the message pending. Any consumer of the group (this one included) reclaims it
  with XAUTOCLAIM once it has been idle ``claim_idle_ms``, which is therefore both the retry delay and the
  time after which a dead consumer's messages move on. It must exceed the longest handler run.
- Attempts are the group's delivery count (XPENDING ``times_delivered``), so a message that kills its
  consumer every time is dead-lettered too. After ``max_attempts`` deliveries it goes to ``<stream>:dlq``
  and is acknowledged on the source, in one MULTI.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, TracerProvider
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from contracts.events import CloudEvent
from services.runtime.correlation import new_correlation_id, set_correlation_id
from services.runtime.events._deadletter import dead_letter_fields, refresh_depth
from services.runtime.events._keys import (
    EVENT_FIELD,
    GROUP_FIELD,
    decode_envelope,
    dlq_key,
    dlq_registry_key,
    marker_key,
    stream_key,
    text,
)
from services.runtime.metrics import EVENTS_CONSUMED
from services.runtime.redis import KeySpace

__all__ = ["ConsumeCounts", "Consumer", "Handler"]

Handler = Callable[[CloudEvent], Awaitable[None]]
"""An event handler; raising means failure (the message stays pending and is retried)."""

_log = logging.getLogger("revflow.events")
_Entry = tuple[str, dict[bytes, bytes], int]  # (entry id, fields, deliveries to this group)


class ConsumeCounts(msgspec.Struct, kw_only=True):
    """What one ``run_once`` (or ``reclaim``) did."""

    processed: int = 0
    """Handled successfully and acknowledged."""
    duplicate: int = 0
    """Acknowledged unhandled: already processed by this group, or a replay for another group."""
    failed: int = 0
    """Handler raised; left pending for a retry."""
    dead_lettered: int = 0
    """Moved to the dead-letter stream."""
    reclaimed: int = 0
    """Taken over from idle pending entries (retries and dead consumers' messages)."""

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class Consumer:
    """One consumer of a consumer group reading one stream.

    Args:
        redis: client from ``services.runtime.redis.create_redis``.
        keyspace: the service's key prefix (the publisher's).
        stream: stream name, the domain (``crm``).
        group: consumer group, one per logical subscriber (``quote_to_cash.activation``).
        name: this consumer, unique among live replicas (host + pid).
        handler: ``async (CloudEvent) -> None``.
        max_attempts: deliveries before a message is dead-lettered.
        claim_idle_ms: idle time after which a pending message is reclaimed (retry delay).
        batch_size: entries read or claimed per call.
        processed_ttl_s: lifetime of processed markers (the deduplication window).
        start_id: where a new group starts: ``"0"`` (whole stream) or ``"$"`` (new entries only).
        tracer_provider: where consumer spans go; the global provider when ``None``.
    """

    def __init__(self, redis: Redis, keyspace: KeySpace, stream: str, group: str, name: str, handler: Handler,
                 *, max_attempts: int = 5, claim_idle_ms: int = 30_000, batch_size: int = 16,
                 processed_ttl_s: int = 7 * 86_400, start_id: str = "0",
                 tracer_provider: TracerProvider | None = None) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.redis, self.group, self.name, self.handler = redis, group, name, handler
        self.stream, self.stream_name = stream_key(keyspace, stream), stream
        self.dlq = dlq_key(self.stream)
        self.dlq_registry = dlq_registry_key(keyspace)
        self.max_attempts, self.claim_idle_ms, self.batch_size = max_attempts, claim_idle_ms, batch_size
        self.processed_ttl_s, self.start_id = processed_ttl_s, start_id
        self._tracer = trace.get_tracer("revflow.events", tracer_provider=tracer_provider)
        self._ready = False
        self._claim_cursor = "0-0"
        self._next_reclaim = 0.0

    async def ensure_group(self) -> None:
        """Create the group (and the stream) unless it exists."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id=self.start_id, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    async def run_once(self, block_ms: int = 0) -> ConsumeCounts:
        """Reclaim idle pending messages, then read and handle one batch of new ones.

        Args:
            block_ms: how long to wait for new entries when nothing was reclaimed; 0 does not wait.
        """
        if not self._ready:
            await self.ensure_group()
        try:
            counts = await self.reclaim() if time.monotonic() >= self._next_reclaim else ConsumeCounts()
            wait = None if counts.reclaimed or block_ms <= 0 else block_ms
            reply = await self.redis.xreadgroup(self.group, self.name, {self.stream: ">"},
                                                count=self.batch_size, block=wait)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._ready = False  # the stream was deleted under us: recreate on the next call
            return ConsumeCounts()
        for entry_id, fields in _entries(reply):
            counts.add(await self._process((text(entry_id) or "", fields, 1)))
        return counts

    async def reclaim(self) -> ConsumeCounts:
        """Claim (XAUTOCLAIM) and handle messages pending longer than ``claim_idle_ms`` in the group.

        Walks the group's pending list a batch per call, remembering where it stopped.
        """
        if not self._ready:
            await self.ensure_group()
        reply = await self.redis.xautoclaim(self.stream, self.group, self.name, self.claim_idle_ms,
                                            start_id=self._claim_cursor, count=self.batch_size)
        self._claim_cursor = text(reply[0]) or "0-0"
        claimed = [(text(i) or "", f) for i, f in reply[1] if i is not None]
        # No pending message was idle long enough: reads skip XAUTOCLAIM for a quarter of ``claim_idle_ms``, so
        # a message is reclaimed at most that much later than it could be, for one command less per read.
        idle = not claimed and self._claim_cursor == "0-0"
        self._next_reclaim = time.monotonic() + self.claim_idle_ms / 4000 if idle else 0.0
        counts = ConsumeCounts(reclaimed=len(claimed))
        deliveries = await self._deliveries([i for i, _ in claimed])
        for entry_id, fields in claimed:
            counts.add(await self._process((entry_id, fields or {}, deliveries.get(entry_id, 1))))
        return counts

    async def run(self, stop: asyncio.Event, *, block_ms: int = 1_000) -> None:
        """Consume until ``stop`` is set; Redis outages are logged and retried with backoff."""
        backoff = 0.1
        while not stop.is_set():
            try:
                await self.run_once(block_ms)
                backoff = 0.1
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                _log.warning("event consumer %s/%s: redis unavailable (%s); retrying in %.1fs",
                             self.group, self.name, exc, backoff)
                try:
                    await asyncio.wait_for(stop.wait(), backoff)
                except TimeoutError:
                    backoff = min(backoff * 2, 5.0)

    def marker_key(self, event_id: str) -> str:
        """The processed marker of ``event_id`` for this group."""
        return marker_key(self.stream, self.group, event_id)

    async def _deliveries(self, entry_ids: list[str]) -> dict[str, int]:
        if not entry_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in entry_ids:
                pipe.xpending_range(self.stream, self.group, min=entry_id, max=entry_id, count=1)
            rows = await pipe.execute()
        return {text(r[0]["message_id"]) or "": int(r[0]["times_delivered"]) for r in rows if r}

    async def _process(self, entry: _Entry) -> str:
        entry_id, fields, deliveries = entry
        raw = fields.get(EVENT_FIELD.encode())
        try:
            event = decode_envelope(raw)
        except msgspec.DecodeError as exc:
            return await self._dead_letter(entry, None, f"undecodable event: {exc}")
        target = text(fields.get(GROUP_FIELD.encode()))
        if (target and target != self.group) or await self.redis.exists(self.marker_key(event.id)):
            await self.redis.xack(self.stream, self.group, entry_id)
            return self._count("duplicate")
        if deliveries > self.max_attempts:
            return await self._dead_letter(entry, event, f"delivered {deliveries} times without success "
                                                         "(a consumer died while handling it)")
        try:
            await self._invoke(event, deliveries)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if deliveries >= self.max_attempts:
                return await self._dead_letter(entry, event, error)
            _log.warning("event %s (%s) failed, attempt %d/%d: %s", event.id, event.type, deliveries,
                         self.max_attempts, error)
            return self._count("failed")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.marker_key(event.id), entry_id, nx=True, ex=self.processed_ttl_s)
            pipe.xack(self.stream, self.group, entry_id)
            await pipe.execute()
        return self._count("processed")

    async def _invoke(self, event: CloudEvent, deliveries: int) -> None:
        """Run the handler in a CONSUMER span continuing the publisher's trace, with its correlation id."""
        carrier = {k: v for k, v in (("traceparent", event.traceparent), ("tracestate", event.tracestate)) if v}
        attributes: dict[str, Any] = {
            "messaging.system": "redis", "messaging.destination.name": self.stream,
            "messaging.consumer.group.name": self.group, "messaging.message.id": event.id,
            "messaging.operation.type": "process", "cloudevents.event_type": event.type,
            "revflow.delivery_count": deliveries,
        }
        token = set_correlation_id(event.correlationid or new_correlation_id())
        try:
            with self._tracer.start_as_current_span(f"process {event.type}", context=propagate.extract(carrier),
                                                    kind=SpanKind.CONSUMER, attributes=attributes):
                await self.handler(event)
        finally:
            token.var.reset(token)

    async def _dead_letter(self, entry: _Entry, event: CloudEvent | None, error: str) -> str:
        entry_id, fields, deliveries = entry
        record = dead_letter_fields(raw_event=fields.get(EVENT_FIELD.encode()), error=error,
                                    attempts=deliveries, stream=self.stream, stream_id=entry_id,
                                    group=self.group, consumer=self.name, event=event)
        # Registered first (another hash slot, so not in the transaction): a registered stream without dead letters
        # is harmless, a dead letter nobody can list is not.
        await self.redis.sadd(self.dlq_registry, self.stream_name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.dlq, record)  # never trimmed: a dead letter leaves only by replay or by hand
            pipe.xack(self.stream, self.group, entry_id)
            await pipe.execute()
        await refresh_depth(self.redis, self.stream)
        _log.error("event %s dead-lettered by %s after %d deliveries: %s", event.id if event else entry_id,
                   self.group, deliveries, error)
        return self._count("dead_lettered")

    def _count(self, outcome: str) -> str:
        label = "ok" if outcome == "processed" else outcome
        EVENTS_CONSUMED.labels(stream=self.stream, group=self.group, outcome=label).inc()
        return outcome


def _entries(reply: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """Entries of a one-stream XREADGROUP reply, in either RESP2 (list) or RESP3 (dict) shape."""
    if not reply:
        return []
    streams = reply.values() if isinstance(reply, dict) else (entries for _, entries in reply)
    return [(entry_id, fields or {}) for entries in streams for entry_id, fields in entries]
