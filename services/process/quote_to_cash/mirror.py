"""A Redis hash that other processes can mirror cheaply: every write moves a version and records the field.

``VersionedHash`` writes a field, bumps the hash's version and scores the field in a change-order sorted set,
all in one script, so a reader that has seen version ``v`` knows exactly which fields changed after it
(``ZRANGEBYSCORE (v +inf``). ``HashMirror`` is such a reader: the first read loads the whole hash; later reads
fetch only the changed fields, so a read costs what changed, not the size of the hash. A read never returns
fields older than the hash at the moment it began. An epoch, set with the first write after the keys were
created, tells a mirror that the hash was cleared and written again behind it. The keys share one hash tag
(one Cluster slot).

Used for the workflow index (the pipeline, exception queue and listings read it) and the metrics ledger.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from redis.asyncio import Redis

from services.runtime.redis import KeySpace

__all__ = ["HashMirror", "VersionedHash"]

T = TypeVar("T")

_PUT = """
if redis.call('EXISTS', KEYS[4]) == 0 then redis.call('SET', KEYS[4], ARGV[3]) end
local version = redis.call('INCR', KEYS[2])
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('ZADD', KEYS[3], version, ARGV[1])
return version
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class VersionedHash:
    """One hash, its version and its change order (``<name>``, ``<name>:version``, ``<name>:changes``)."""

    def __init__(self, redis: Redis, keyspace: KeySpace, name: str) -> None:
        self.redis = redis
        self.key = keyspace.tagged(name)
        self.version_key = keyspace.tagged(name, "version")
        self.changes_key = keyspace.tagged(name, "changes")
        self.epoch_key = keyspace.tagged(name, "epoch")
        self._put = redis.register_script(_PUT)

    async def put(self, field: str, value: bytes) -> int:
        """Write ``field`` (an empty value deletes it); the hash's new version."""
        return int(await self._put(keys=[self.key, self.version_key, self.changes_key, self.epoch_key],
                                   args=[field, value, uuid.uuid4().hex]))

    async def delete(self, field: str) -> int:
        return await self.put(field, b"")


class HashMirror(Generic[T]):
    """This process's decoded copy of a ``VersionedHash``, brought up to date on each read."""

    def __init__(self, source: VersionedHash, decode: Callable[[bytes], T], *, reload_after: int = 5_000) -> None:
        self._source, self._decode, self._reload_after = source, decode, reload_after
        self._rows: dict[str, T] = {}
        self._version: int | None = None
        self._epoch: bytes | None = None
        self._lock = asyncio.Lock()

    async def rows(self) -> dict[str, T]:
        """A copy of the hash by field, decoded, up to date as of this call; a changed field is a new object."""
        async with self._lock:
            if self._version is None or not await self._catch_up():
                await self._load()
            return dict(self._rows)

    async def _load(self) -> None:
        redis, source = self._source.redis, self._source
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(source.version_key)
            pipe.get(source.epoch_key)
            version, epoch = await pipe.execute()
        raw = await redis.hgetall(source.key)
        self._rows = {_text(k): self._decode(v) for k, v in raw.items()}
        self._version, self._epoch = int(version or 0), epoch

    async def _catch_up(self) -> bool:
        """Apply the fields changed since the last read; ``False`` when a reload is needed or cheaper."""
        redis, source = self._source.redis, self._source
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(source.version_key)
            pipe.get(source.epoch_key)
            pipe.zrangebyscore(source.changes_key, f"({self._version}", "+inf", withscores=True,
                               start=0, num=self._reload_after + 1)
            version, epoch, changed = await pipe.execute()
        if epoch != self._epoch or int(version or 0) < (self._version or 0):
            return False  # the hash was cleared or restored behind us: what we hold is not a base
        if not changed:
            return True
        if len(changed) > self._reload_after:
            return False
        fields = [_text(member) for member, _ in changed]
        for field, raw in zip(fields, await redis.hmget(source.key, fields), strict=True):
            if raw is None:
                self._rows.pop(field, None)
            else:
                self._rows[field] = self._decode(raw)
        self._version = max(self._version or 0, int(max(score for _, score in changed)))
        return True
