"""Hash-chained audit stream on a real Redis: appends, concurrent writers, tamper detection, the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable

import msgspec
import pytest
from click.testing import CliRunner
from redis.asyncio import Redis

from revflow.commands.audit import audit
from services.runtime.audit import GENESIS, AuditLog, digest
from services.runtime.correlation import set_correlation_id
from services.runtime.redis import KeySpace, create_redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
Fields = dict[str, str]


@pytest.fixture
def log(redis: Redis, key_prefix: str) -> AuditLog:
    return AuditLog(redis, KeySpace(key_prefix))


async def seed(log: AuditLog, n: int = 5) -> None:
    for i in range(n):
        await log.append("svc:billing", "invoice.create", f"inv-{i}", None, {"id": f"inv-{i}", "total": 100 * i})


def rehash(fields: Fields) -> Fields:
    """What a forger who knows the algorithm computes: sha256 of the sorted canonical JSON without hash."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return {**fields, "hash": hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()}


async def rows(redis: Redis, log: AuditLog) -> list[tuple[str, Fields]]:
    return [(i.decode(), {k.decode(): v.decode() for k, v in f.items()}) for i, f in await redis.xrange(log.stream)]


async def rewrite(redis: Redis, log: AuditLog, change: Callable[[int, Fields], Fields | None]) -> list[str]:
    """Rebuild the stream with the same ids, passing each entry through ``change`` (None drops it)."""
    before = await rows(redis, log)
    await redis.delete(log.stream)
    for i, (entry_id, fields) in enumerate(before):
        changed = change(i, dict(fields))
        if changed is not None:
            await redis.xadd(log.stream, changed, id=entry_id)
    return [entry_id for entry_id, _ in before]


class TestAppend:
    async def test_chain_links_and_digests(self, log: AuditLog) -> None:
        token = set_correlation_id("corr-42")
        try:
            first = await log.append("user:ana", "contract.modify", "ct-1", {"price": 100}, {"price": 120})
        finally:
            token.var.reset(token)
        second = await log.append("svc:revrec", "schedule.create", "ct-1", None, {"lines": 12},
                                  correlation_id="corr-43")

        assert (first.index, first.prev_hash, second.prev_hash) == (0, GENESIS, first.hash)
        assert first.correlation_id == "corr-42" and second.correlation_id == "corr-43"
        assert first.before_digest == digest({"price": 100}) == digest({"price": 100})
        assert first.after_digest == hashlib.sha256(b'{"price":120}').hexdigest()
        assert digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
        assert first.timestamp.utcoffset() is not None and first.timestamp.utcoffset().total_seconds() == 0
        assert [e.hash for e in await log.entries()] == [first.hash, second.hash]
        result = await log.verify()
        assert result.ok and result.count == 2 and result.head_hash == second.hash

    async def test_empty_chain_verifies(self, log: AuditLog) -> None:
        result = await log.verify()
        assert result.ok and result.count == 0 and result.head_hash == GENESIS

    async def test_concurrent_writers_keep_one_chain(self, log: AuditLog, key_prefix: str) -> None:
        # separate clients (own connection pools) stand in for separate processes
        clients = [create_redis(REDIS_URL) for _ in range(4)]
        writers = [AuditLog(c, KeySpace(key_prefix)) for c in clients]
        try:
            entries = await asyncio.gather(*(
                writers[i % 4].append(f"worker-{i % 4}", "invoice.post", f"inv-{i}", None, {"n": i})
                for i in range(80)))
        finally:
            for c in clients:
                await c.aclose()

        assert sorted(e.index for e in entries) == list(range(80))
        result = await log.verify()
        assert result.ok and result.count == 80


    async def test_one_process_appends_in_call_order_with_few_round_trips(self, log: AuditLog, redis: Redis) -> None:
        before = await _script_calls(redis)
        entries = await asyncio.gather(*(log.append("svc", "invoice.post", f"inv-{i}", None, {"n": i})
                                         for i in range(50)))
        assert [e.subject for e in sorted(entries, key=lambda e: e.index)] == [f"inv-{i}" for i in range(50)]
        assert (await log.verify()).count == 50
        # Group commit: 50 concurrent appends of one process reach Redis in a few compare-and-appends, not 50+.
        assert await _script_calls(redis) - before < 10

    async def test_a_caller_that_gives_up_still_gets_its_entry_in_the_chain(self, log: AuditLog) -> None:
        waiting = asyncio.ensure_future(log.append("svc", "invoice.post", "inv-gone", None, {"n": 1}))
        await asyncio.sleep(0)
        waiting.cancel()
        await log.append("svc", "invoice.post", "inv-next", None, {"n": 2})
        assert [e.subject for e in await log.entries()] == ["inv-gone", "inv-next"]
        assert (await log.verify()).ok


async def _script_calls(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval"))


class TestTamperDetection:
    async def test_edited_field(self, redis: Redis, log: AuditLog) -> None:
        await seed(log)
        ids = await rewrite(redis, log, lambda i, f: {**f, "actor": "user:mallory"} if i == 2 else f)
        broken = (await log.verify()).broken
        assert broken is not None and (broken.kind, broken.index, broken.stream_id) == ("entry_hash", 2, ids[2])

    async def test_deleted_entry(self, redis: Redis, log: AuditLog) -> None:
        await seed(log)
        ids = [i for i, _ in await rows(redis, log)]
        await redis.xdel(log.stream, ids[1])
        broken = (await log.verify()).broken
        assert broken is not None and (broken.kind, broken.index, broken.stream_id) == ("prev_link", 1, ids[2])

    async def test_deleted_entry_replaced_by_a_forged_one(self, redis: Redis, log: AuditLog) -> None:
        await seed(log)
        entries = await rows(redis, log)
        await redis.xdel(log.stream, entries[2][0])
        forged = rehash({**entries[2][1], "after_digest": digest({"total": 1})})
        await redis.xadd(log.stream, forged)  # lands at the end, with a self-consistent hash
        broken = (await log.verify()).broken
        assert broken is not None and (broken.kind, broken.index) == ("prev_link", 2)

    async def test_forged_last_entry_with_a_valid_hash(self, redis: Redis, log: AuditLog) -> None:
        await seed(log)
        last_id, last = (await rows(redis, log))[-1]
        await redis.xdel(log.stream, last_id)
        await redis.xadd(log.stream, rehash({**last, "subject": "inv-999"}))
        broken = (await log.verify()).broken
        assert broken is not None and broken.kind == "head"

    async def test_truncated_tail(self, redis: Redis, log: AuditLog) -> None:
        await seed(log)
        ids = [i for i, _ in await rows(redis, log)]
        await redis.xdel(log.stream, *ids[3:])
        result = await log.verify()
        assert result.broken is not None and (result.broken.kind, result.broken.index) == ("head", 3)

    async def test_trimmed_start(self, redis: Redis, log: AuditLog) -> None:
        await seed(log)
        await redis.xtrim(log.stream, maxlen=3, approximate=False)  # a "retention" trim
        result = await log.verify()
        assert result.broken is not None and (result.broken.kind, result.broken.index) == ("prev_link", 0)

    async def test_malformed_digest(self, redis: Redis, log: AuditLog) -> None:
        await seed(log, 3)
        await rewrite(redis, log, lambda i, f: rehash({**f, "before_digest": "n/a"}) if i == 2 else f)
        await redis.hset(log.head, "hash", (await rows(redis, log))[-1][1]["hash"])  # head forged as well
        broken = (await log.verify()).broken
        assert broken is not None and (broken.kind, broken.index) == ("digest", 2)

    async def test_missing_field(self, redis: Redis, log: AuditLog) -> None:
        await seed(log, 2)
        await rewrite(redis, log, lambda i, f: {k: v for k, v in f.items() if k != "prev_hash"} if i == 0 else f)
        broken = (await log.verify()).broken
        assert broken is not None and (broken.kind, broken.index) == ("malformed", 0)

    async def test_appends_after_tampering_do_not_hide_it(self, redis: Redis, log: AuditLog) -> None:
        await seed(log)
        await rewrite(redis, log, lambda i, f: {**f, "subject": "inv-x"} if i == 1 else f)
        await seed(log, 2)
        broken = (await log.verify()).broken
        assert broken is not None and (broken.kind, broken.index) == ("entry_hash", 1)


class TestVerifyCommand:
    async def test_exit_status(self, redis: Redis, log: AuditLog, key_prefix: str) -> None:
        await seed(log, 3)
        args = ["verify", "--redis-url", REDIS_URL, "--prefix", key_prefix]
        ok = await asyncio.to_thread(CliRunner().invoke, audit, args)
        await rewrite(redis, log, lambda i, f: {**f, "action": "invoice.void"} if i == 1 else f)
        bad = await asyncio.to_thread(CliRunner().invoke, audit, args)

        assert ok.exit_code == 0 and ok.output.startswith("OK: 3 entries"), ok.output
        assert bad.exit_code == 1 and "index 1" in bad.output and "entry_hash" in bad.output, bad.output

    async def test_redis_down_is_not_reported_as_broken(self) -> None:
        result = await asyncio.to_thread(CliRunner().invoke, audit, ["verify", "--redis-url", "redis://127.0.0.1:1/0"])
        assert result.exit_code == 2
