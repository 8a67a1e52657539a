"""Event bus on a real Redis: publish/consume, reclaim, deduplication, dead letters, replay, tracing."""

from __future__ import annotations

import asyncio
import os

import msgspec
import pytest
from click.testing import CliRunner
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis

from contracts.events import CloudEvent, new_event
from revflow.commands.dlq import dlq
from services.runtime.correlation import current_correlation_id, set_correlation_id
from services.runtime.events import Consumer, DeadLetterNotFoundError, EventBus, domain_of
from services.runtime.metrics import REGISTRY
from services.runtime.redis import KeySpace

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CLOSED_WON = "revflow.crm.opportunity.closed_won.v1"


class Recorder:
    """A handler that counts its side effects in Redis and can be told to fail."""

    def __init__(self, redis: Redis, keyspace: KeySpace, name: str, fail: bool = False) -> None:
        self.redis, self.key, self.fail = redis, keyspace.key("effects", name), fail
        self.calls: list[CloudEvent] = []
        self.correlation_ids: list[str | None] = []

    async def __call__(self, event: CloudEvent) -> None:
        self.calls.append(event)
        self.correlation_ids.append(current_correlation_id())
        if self.fail:
            raise RuntimeError(f"ERP rejected {event.subject}")
        await self.redis.hincrby(self.key, event.id, 1)

    async def effects(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in (await self.redis.hgetall(self.key)).items()}


@pytest.fixture
def keyspace(key_prefix: str) -> KeySpace:
    return KeySpace(key_prefix)


@pytest.fixture
def bus(redis: Redis, keyspace: KeySpace) -> EventBus:
    return EventBus(redis, keyspace, source="/services/system/crm")


def closed_won(subject: str = "opp-1", **kw: object) -> CloudEvent:
    return new_event(type=CLOSED_WON, source="/services/system/crm", subject=subject,
                     data={"opportunity_id": subject, "amount": {"minor": 120000, "currency": "USD"}}, **kw)


def dlq_depth(c: Consumer) -> float | None:
    return REGISTRY.get_sample_value("revflow_events_dead_letter_depth", {"stream": c.dlq})


def consumer(redis: Redis, keyspace: KeySpace, handler: Recorder, group: str = "q2c", name: str = "w1",
             **kw: object) -> Consumer:
    return Consumer(redis, keyspace, "crm", group, name, handler, **kw)


class TestPublish:
    async def test_round_trip_carries_event_and_correlation_id(self, redis: Redis, keyspace: KeySpace,
                                                               bus: EventBus) -> None:
        handler = Recorder(redis, keyspace, "h")
        token = set_correlation_id("corr-123")
        try:
            entry_id = await bus.publish(closed_won())
        finally:
            token.var.reset(token)
        assert await redis.xlen(keyspace.tagged("events:crm")) == 1
        assert entry_id.count("-") == 1

        counts = await consumer(redis, keyspace, handler).run_once()

        assert (counts.processed, counts.failed) == (1, 0)
        (event,) = handler.calls
        assert event.correlationid == "corr-123" and handler.correlation_ids == ["corr-123"]
        assert event.data["amount"] == {"minor": 120000, "currency": "USD"}
        assert await redis.xpending(keyspace.tagged("events:crm"), "q2c") == {
            "pending": 0, "min": None, "max": None, "consumers": []}

    async def test_explicit_stream_and_domain_rule(self, redis: Redis, keyspace: KeySpace, bus: EventBus) -> None:
        assert domain_of("revflow.billing.invoice.paid.v1") == "billing"
        await bus.publish(closed_won(), stream="audit_feed")
        assert await redis.xlen(keyspace.tagged("events:audit_feed")) == 1
        with pytest.raises(ValueError):
            await bus.publish(closed_won(), stream="bad{tag}")


class TestRedelivery:
    async def test_dead_consumers_message_is_reclaimed_and_processed_once(
            self, redis: Redis, keyspace: KeySpace, bus: EventBus) -> None:
        handler = Recorder(redis, keyspace, "h")
        survivor = consumer(redis, keyspace, handler, name="survivor", claim_idle_ms=150)
        await survivor.ensure_group()
        event = closed_won()
        await bus.publish(event)
        # "dead" reads the message and dies before acknowledging it
        await redis.xreadgroup("q2c", "dead", {survivor.stream: ">"}, count=10)

        assert (await survivor.run_once()).processed == 0      # not idle long enough yet
        await asyncio.sleep(0.2)
        counts = await survivor.run_once()
        again = await survivor.run_once()

        assert (counts.reclaimed, counts.processed) == (1, 1)
        assert (again.reclaimed, again.processed) == (0, 0)
        assert await handler.effects() == {event.id: 1}
        assert (await redis.xpending(survivor.stream, "q2c"))["pending"] == 0


class TestRun:
    async def test_worker_loop_handles_events_until_stopped(self, redis: Redis, keyspace: KeySpace,
                                                            bus: EventBus) -> None:
        handler, stop = Recorder(redis, keyspace, "h"), asyncio.Event()
        worker = asyncio.create_task(consumer(redis, keyspace, handler).run(stop, block_ms=50))
        events = [closed_won(f"opp-{i}") for i in range(3)]
        for event in events:
            await bus.publish(event)
        async with asyncio.timeout(5):
            while len(await handler.effects()) < 3:
                await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(worker, 1)
        assert await handler.effects() == {e.id: 1 for e in events}


class TestIdempotency:
    async def test_duplicate_event_id_is_skipped_per_group(self, redis: Redis, keyspace: KeySpace,
                                                           bus: EventBus) -> None:
        q2c, ledger = Recorder(redis, keyspace, "q2c"), Recorder(redis, keyspace, "ledger")
        event = closed_won()
        await bus.publish(event)
        await bus.publish(event)  # the CRM webhook was delivered twice

        counts = await consumer(redis, keyspace, q2c).run_once()
        other = await consumer(redis, keyspace, ledger, group="ledger").run_once()
        await bus.publish(event)  # and once more, later
        late = await consumer(redis, keyspace, q2c).run_once()

        assert (counts.processed, counts.duplicate) == (1, 1)
        assert (other.processed, other.duplicate) == (1, 1)
        assert (late.processed, late.duplicate) == (0, 1)
        assert await q2c.effects() == {event.id: 1} and await ledger.effects() == {event.id: 1}


async def drain(c: Consumer, rounds: int = 20, pause: float = 0.025) -> int:
    """Run until something is dead-lettered (waiting out the retry delay); return the rounds used."""
    for i in range(rounds):
        if (await c.run_once()).dead_lettered:
            return i + 1
        await asyncio.sleep(pause)
    raise AssertionError("nothing was dead-lettered")


class TestDeadLetters:
    async def test_failing_handler_is_dead_lettered_with_error(self, redis: Redis, keyspace: KeySpace,
                                                                bus: EventBus) -> None:
        handler = Recorder(redis, keyspace, "h", fail=True)
        c = consumer(redis, keyspace, handler, max_attempts=3, claim_idle_ms=20)
        event = closed_won("opp-9")
        entry_id = await bus.publish(event)

        await drain(c)

        assert len(handler.calls) == 3
        (letter,) = await bus.list_dead_letters("crm")
        assert letter.error == "RuntimeError: ERP rejected opp-9"
        assert (letter.attempts, letter.stream_id, letter.group, letter.stream) == (3, entry_id, "q2c", c.stream)
        assert letter.event is not None and letter.event.id == event.id and letter.event.data == event.data
        assert (await redis.xpending(c.stream, "q2c"))["pending"] == 0
        assert dlq_depth(c) == 1

    async def test_replay_after_fix_is_processed_exactly_once(self, redis: Redis, keyspace: KeySpace,
                                                               bus: EventBus) -> None:
        handler, ledger = Recorder(redis, keyspace, "h", fail=True), Recorder(redis, keyspace, "ledger")
        c = consumer(redis, keyspace, handler, max_attempts=2, claim_idle_ms=20)
        other = consumer(redis, keyspace, ledger, group="ledger")
        event = closed_won()
        await bus.publish(event)
        await other.run_once()
        await drain(c)
        (letter,) = await bus.list_dead_letters()

        handler.fail = False  # the fix
        await bus.replay_dead_letter(letter.entry_id, "crm")
        with pytest.raises(DeadLetterNotFoundError):
            await bus.replay_dead_letter(letter.entry_id)  # a second click publishes nothing
        counts, other_counts = await c.run_once(), await other.run_once()
        await asyncio.sleep(0.03)
        later = await c.run_once()

        assert counts.processed == 1 and later.processed == 0
        assert other_counts.processed == 0 and other_counts.duplicate == 1   # addressed to q2c only
        assert await handler.effects() == {event.id: 1} and await ledger.effects() == {event.id: 1}
        assert await bus.list_dead_letters("crm") == []
        assert dlq_depth(c) == 0

    async def test_message_that_kills_its_consumers_is_dead_lettered(self, redis: Redis, keyspace: KeySpace,
                                                                     bus: EventBus) -> None:
        handler = Recorder(redis, keyspace, "h")
        c = consumer(redis, keyspace, handler, max_attempts=3, claim_idle_ms=0)
        await c.ensure_group()
        entry_id = await bus.publish(closed_won())
        await redis.xreadgroup("q2c", "crashed", {c.stream: ">"})
        await redis.xclaim(c.stream, "q2c", "crashed", 0, [entry_id], retrycount=3)  # three deaths so far

        counts = await c.run_once()

        assert counts.dead_lettered == 1 and handler.calls == []
        (letter,) = await bus.list_dead_letters("crm")
        assert letter.attempts == 4 and "died" in letter.error

    async def test_undecodable_entry_is_dead_lettered_at_once(self, redis: Redis, keyspace: KeySpace,
                                                              bus: EventBus) -> None:
        handler = Recorder(redis, keyspace, "h")
        await redis.xadd(bus.stream_key("crm"), {"ce": b"{not json"})
        counts = await consumer(redis, keyspace, handler).run_once()
        assert counts.dead_lettered == 1 and handler.calls == []
        (letter,) = await bus.list_dead_letters("crm")
        assert letter.event is None and letter.error.startswith("undecodable event")


class TestDlqCommands:
    async def test_list_and_replay(self, redis: Redis, keyspace: KeySpace, key_prefix: str,
                                   bus: EventBus) -> None:
        handler = Recorder(redis, keyspace, "h", fail=True)
        c = consumer(redis, keyspace, handler, max_attempts=1)
        await bus.publish(closed_won("opp-7"))
        await c.run_once()
        (letter,) = await bus.list_dead_letters()
        runner, common = CliRunner(), ["--redis-url", REDIS_URL, "--prefix", key_prefix]

        listed = await asyncio.to_thread(runner.invoke, dlq, ["list", "--domain", "crm", *common])
        replayed = await asyncio.to_thread(runner.invoke, dlq, ["replay", letter.entry_id, *common])
        again = await asyncio.to_thread(runner.invoke, dlq, ["replay", letter.entry_id, *common])

        assert listed.exit_code == 0, listed.output
        assert letter.entry_id in listed.output and "ERP rejected opp-7" in listed.output
        assert replayed.exit_code == 0 and "replayed" in replayed.output
        assert again.exit_code == 1
        handler.fail = False
        assert (await c.run_once()).processed == 1


class TestTracing:
    async def test_consumer_span_continues_the_publishers_trace(self, redis: Redis, keyspace: KeySpace) -> None:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        bus = EventBus(redis, keyspace, "/services/system/crm", tracer_provider=provider)
        handler = Recorder(redis, keyspace, "h")
        with provider.get_tracer("test").start_as_current_span("POST /v1/opportunities") as request_span:
            await bus.publish(closed_won())
        trace_id = request_span.get_span_context().trace_id

        await consumer(redis, keyspace, handler, tracer_provider=provider).run_once()

        (event,) = handler.calls
        assert event.traceparent and event.traceparent.split("-")[1] == f"{trace_id:032x}"
        spans = {s.kind: s for s in exporter.get_finished_spans()}
        producer, consumer_span = spans[SpanKind.PRODUCER], spans[SpanKind.CONSUMER]
        assert consumer_span.context.trace_id == trace_id
        assert consumer_span.parent is not None and consumer_span.parent.span_id == producer.context.span_id
        assert consumer_span.attributes["messaging.consumer.group.name"] == "q2c"
        assert msgspec.json.decode(msgspec.json.encode(event), type=CloudEvent) == event
