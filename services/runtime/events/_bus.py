"""The publishing side of the event bus, and dead-letter administration (private)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, TracerProvider
from redis.asyncio import Redis

from contracts.events import CloudEvent, new_event
from services.runtime.correlation import current_correlation_id
from services.runtime.events._deadletter import (
    REPLAY_LUA,
    DeadLetter,
    DeadLetterNotFoundError,
    parse_dead_letter,
    refresh_depth,
)
from services.runtime.events._keys import (
    EVENT_FIELD,
    dlq_key,
    dlq_registry_key,
    domain_of,
    encode_envelope,
    stream_key,
    text,
)
from services.runtime.metrics import EVENTS_PUBLISHED
from services.runtime.redis import KeySpace

_GLOB = re.compile(r"([*?\[\]\\])")

__all__ = ["DEFAULT_MAXLEN", "EventBus"]

DEFAULT_MAXLEN = 100_000
"""Approximate cap of each stream; trimming never waits for consumers, so size it above any backlog."""



class EventBus:
    """Publishes CloudEvents to one Redis stream per domain and administers their dead letters.

    Args:
        redis: client from ``services.runtime.redis.create_redis``.
        keyspace: the service's key prefix.
        source: this service as a CloudEvents ``source`` (used by ``emit``).
        maxlen: approximate ``MAXLEN`` of every stream.
        tracer_provider: where producer spans go; the global provider when ``None``.
    """

    def __init__(self, redis: Redis, keyspace: KeySpace, source: str, *, maxlen: int = DEFAULT_MAXLEN,
                 tracer_provider: TracerProvider | None = None) -> None:
        self.redis = redis
        self.keyspace = keyspace
        self.source = source
        self.maxlen = maxlen
        self._tracer = trace.get_tracer("revflow.events", tracer_provider=tracer_provider)
        self._replay = redis.register_script(REPLAY_LUA)

    def stream_key(self, stream: str) -> str:
        """The Redis key of the stream named ``stream`` (a domain: ``crm``, ``billing``)."""
        return stream_key(self.keyspace, stream)

    async def publish(self, event: CloudEvent, stream: str | None = None) -> str:
        """Append ``event`` to its domain's stream (or to ``stream``) and return the stream entry id.

        The published copy gets ``correlationid`` from the current correlation id when it has none, and
        ``traceparent``/``tracestate`` of a PRODUCER span that is a child of the current span.
        """
        key = self.stream_key(stream or domain_of(event.type))
        with self._tracer.start_as_current_span(
            f"publish {event.type}", kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "redis", "messaging.destination.name": key,
                        "messaging.message.id": event.id, "cloudevents.event_type": event.type},
        ):
            event = _stamp(event)
            entry_id = await self.redis.xadd(key, {EVENT_FIELD: encode_envelope(event)}, maxlen=self.maxlen,
                                             approximate=True)
        EVENTS_PUBLISHED.labels(stream=key, type=event.type).inc()
        return text(entry_id) or ""

    async def emit(self, type: str, data: Any, *, subject: str | None = None) -> str:
        """Build an event from this bus's ``source`` (``contracts.events.new_event``) and publish it."""
        return await self.publish(new_event(type=type, source=self.source, data=data, subject=subject))

    async def dead_letter_streams(self) -> list[str]:
        """Names of the streams that have (or had) dead letters: consumers register a stream on its first one.

        Dead letters written before the registry existed are found once per deployment by a SCAN, which then
        records that it ran.
        """
        registry = dlq_registry_key(self.keyspace)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.smembers(registry)
            pipe.exists(f"{registry}:backfilled")
            members, backfilled = await pipe.execute()
        names = {text(raw) or "" for raw in members}
        if not backfilled:
            pattern = _GLOB.sub(r"\\\1", self.keyspace.prefix) + "{events:*}:dlq"
            async for raw in self.redis.scan_iter(match=pattern, count=1000, _type="STREAM"):
                key = text(raw) or ""
                names.add(key[len(self.keyspace.prefix) + len("{events:"):-len("}:dlq")])
            if names:
                await self.redis.sadd(registry, *names)
            await self.redis.set(f"{registry}:backfilled", "1")
        return sorted(names)

    async def list_dead_letters(self, stream: str | None = None, *, count: int = 100,
                                start: str = "-") -> list[DeadLetter]:
        """Dead letters of ``stream`` (every stream when ``None``), oldest first, from entry id ``start``."""
        names = [stream] if stream else await self.dead_letter_streams()
        letters: list[DeadLetter] = []
        for name in names:
            key = self.stream_key(name)
            rows = await self.redis.xrange(dlq_key(key), min=start, max="+", count=count)
            letters.extend(parse_dead_letter(dlq_key(key), entry_id, fields) for entry_id, fields in rows)
            await refresh_depth(self.redis, key)
        return letters[:count]

    async def replay_dead_letter(self, dlq_entry_id: str, stream: str | None = None) -> str:
        """Put a dead letter's original event back on its stream, for the group that failed it.

        Atomic (Lua): the dead letter is removed as its event is re-published, so replaying the same
        entry twice publishes one copy. The copy is addressed to the failed group only (other groups
        acknowledge it unhandled); that group has never marked the event processed, so it handles it.

        Args:
            dlq_entry_id: ``DeadLetter.entry_id``.
            stream: name of the stream whose dead letters hold it; searched across all when ``None``.

        Returns:
            The id of the new entry in the source stream.

        Raises:
            DeadLetterNotFoundError: no such dead letter (perhaps already replayed).
        """
        names = [stream] if stream else await self.dead_letter_streams()
        for name in names:
            key = self.stream_key(name)
            new_id = await self._replay(keys=[dlq_key(key), key], args=[dlq_entry_id, self.maxlen])
            if new_id:
                await refresh_depth(self.redis, key)
                return text(new_id) or ""
        raise DeadLetterNotFoundError(dlq_entry_id)


def _stamp(event: CloudEvent) -> CloudEvent:
    """Fill the correlation id (when absent) and the W3C trace context of the current span."""
    changes: dict[str, str | None] = {}
    if not event.correlationid and (correlation_id := current_correlation_id()):
        changes["correlationid"] = correlation_id
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if "traceparent" in carrier:
        changes["traceparent"] = carrier["traceparent"]
        changes["tracestate"] = carrier.get("tracestate")
    return msgspec.structs.replace(event, **changes) if changes else event
