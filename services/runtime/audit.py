"""Append-only, hash-chained audit stream of revenue-impacting writes, and its verification.

Each entry records who (``actor``) did what (``action``) to which business object (``subject``), when
(UTC), under which correlation id, and the sha256 digests of the canonical JSON of the object before and
after. ``hash`` is the sha256 of the entry's canonical JSON (sorted keys, every stored field but ``hash``),
which includes ``index`` and ``prev_hash``, the previous entry's hash: editing, inserting, deleting or
reordering an entry breaks the chain at that point.

Keys share the ``{audit}`` hash tag (one Cluster slot): ``<prefix>{audit}:stream`` (the entries) and
``<prefix>{audit}:head`` (hash, count and id of the last entry; it catches a truncated or forged tail).
Redis has no sha256 in Lua, so appends are optimistic: the client hashes the entry against the head it
read, and a Lua script appends only if the head is still that one (compare-and-append), else returns the
new head for another try. Any number of processes may append at once.

Limit: someone who can write Redis could rewrite the whole chain *and* its head consistently. Exporting the
head hash now and then to a store the writers cannot alter (WORM bucket, a ticket, the ERP) closes that.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec
from redis.asyncio import Redis

from services.runtime.correlation import current_correlation_id
from services.runtime.redis import KeySpace

__all__ = ["GENESIS", "AuditConflictError", "AuditEntry", "AuditLog", "BrokenLink", "VerifyResult", "digest"]

GENESIS = "0" * 64
"""``prev_hash`` of the first entry."""

BreakKind = Literal["entry_hash", "prev_link", "index", "digest", "malformed", "head"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REQUIRED = ("index", "actor", "action", "subject", "timestamp", "before_digest", "after_digest",
             "prev_hash", "hash")

# KEYS: stream, head. ARGV: expected head hash ('' = empty chain), new head hash, new count, number of entries,
# then per entry: its number of field/value items, then the items. All the entries or none are appended.
_APPEND_LUA = """
local head = redis.call('HMGET', KEYS[2], 'hash', 'count')
local current = head[1] or ''
if current ~= ARGV[1] then return {0, current, head[2] or '0'} end
local ids, pos = {}, 5
for i = 1, tonumber(ARGV[4]) do
  local n = tonumber(ARGV[pos])
  ids[i] = redis.call('XADD', KEYS[1], '*', unpack(ARGV, pos + 1, pos + n))
  pos = pos + n + 1
end
redis.call('HSET', KEYS[2], 'hash', ARGV[2], 'count', ARGV[3], 'id', ids[#ids])
return {1, ids}
"""
_BATCH = 100
"""Entries appended in one compare-and-append at most."""


class AuditConflictError(RuntimeError):
    """An append lost the race for the chain head too many times in a row."""


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One link of the audit chain."""

    id: str
    """Stream entry id (not hashed: Redis assigns it)."""
    index: int
    """Position in the chain, from 0."""
    actor: str
    action: str
    subject: str
    timestamp: datetime
    correlation_id: str | None
    before_digest: str
    after_digest: str
    prev_hash: str
    hash: str


class BrokenLink(msgspec.Struct, frozen=True, kw_only=True):
    """The first place the chain does not verify."""

    stream_id: str | None
    """Stream entry id (``None`` when the head record disagrees with the end of the stream)."""
    index: int
    """Position in the stream (the count, for a ``head`` break)."""
    kind: BreakKind
    """``entry_hash`` (content edited), ``prev_link`` (entry missing, inserted or reordered), ``index``,
    ``digest`` (a before/after digest is not a sha256), ``malformed`` (fields missing), ``head``."""
    detail: str


class VerifyResult(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    count: int
    """Entries checked (up to and including the broken one)."""
    head_hash: str
    """Hash of the last verified entry (``GENESIS`` when empty)."""
    broken: BrokenLink | None = None


def digest(value: Any) -> str:
    """sha256 (hex) of the canonical JSON of ``value`` (msgspec, keys and fields sorted)."""
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()


def _entry_hash(fields: dict[str, str]) -> str:
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


class AuditLog:
    """The audit chain of one deployment (one key prefix).

    Args:
        redis: client from ``services.runtime.redis.create_redis``.
        keyspace: the deployment's key prefix.
        max_tries: compare-and-append attempts before ``AuditConflictError``.
    """

    def __init__(self, redis: Redis, keyspace: KeySpace, *, max_tries: int = 1_000) -> None:
        self.redis = redis
        self.stream = keyspace.tagged("audit", "stream")
        self.head = keyspace.tagged("audit", "head")
        self.max_tries = max_tries
        self._append = redis.register_script(_APPEND_LUA)
        self._queued: list[tuple[dict[str, str], asyncio.Future[AuditEntry]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._known_head: tuple[str, int] | None = None

    async def append(self, actor: str, action: str, subject: str, before: Any, after: Any,
                     correlation_id: str | None = None) -> AuditEntry:
        """Append an entry for one write; ``correlation_id`` defaults to the current one.

        Appends of one process are written in order by one writer, many per compare-and-append (group commit):
        concurrent requests do not race each other for the head, only other processes do. It returns once the
        entry is in the chain.

        Raises:
            AuditConflictError: lost the race for the head ``max_tries`` times.
        """
        base = {"actor": actor, "action": action, "subject": subject, "before_digest": digest(before),
                "after_digest": digest(after), "timestamp": datetime.now(UTC).isoformat(timespec="microseconds")}
        correlation_id = correlation_id or current_correlation_id()
        if correlation_id:
            base["correlation_id"] = correlation_id
        done: asyncio.Future[AuditEntry] = asyncio.get_running_loop().create_future()
        self._queued.append((base, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await done

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[:_BATCH], self._queued[_BATCH:]
            try:
                entries = await self._append_batch([base for base, _ in batch])
            except Exception as exc:  # handed to every caller of the batch
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), entry in zip(batch, entries, strict=True):
                if not done.done():  # a caller that gave up still gets its entry written
                    done.set_result(entry)

    async def _append_batch(self, bases: list[dict[str, str]]) -> list[AuditEntry]:
        head_hash, count = self._known_head or await self._read_head()
        for attempt in range(self.max_tries):
            chained, prev = [], head_hash
            for offset, base in enumerate(bases):
                fields = {**base, "index": str(count + offset), "prev_hash": prev or GENESIS}
                fields["hash"] = prev = _entry_hash(fields)
                chained.append(fields)
            args: list[Any] = [head_hash, prev, count + len(chained), len(chained)]
            for fields in chained:
                args += [len(fields) * 2, *(x for pair in fields.items() for x in pair)]
            reply = await self._append(keys=[self.stream, self.head], args=args)
            if int(reply[0]) == 1:
                self._known_head = (prev, count + len(chained))
                return [_to_entry(_str(i), f) for i, f in zip(reply[1], chained, strict=True)]
            head_hash, count = _str(reply[1]), int(reply[2])
            self._known_head = None
            # Lost the race for the head: back off a little (full jitter) so writers stop colliding in lockstep.
            await asyncio.sleep(random.uniform(0, min(0.05, 0.0005 * 2 ** min(attempt, 10))))
        raise AuditConflictError(f"could not append to {self.stream} after {self.max_tries} tries")

    async def entries(self, start: str = "-", count: int = 100) -> list[AuditEntry]:
        """Up to ``count`` entries from stream id ``start`` on (entries missing fields are left out)."""
        rows = await self.redis.xrange(self.stream, min=start, max="+", count=count)
        decoded = [(_str(i), {_str(k): _str(v) for k, v in f.items()}) for i, f in rows]
        return [_to_entry(i, f) for i, f in decoded if all(k in f for k in _REQUIRED)]

    async def verify(self) -> VerifyResult:
        """Recompute the chain from the start; name the first broken link."""
        prev, index = GENESIS, 0
        async for entry_id, fields in self._rows():
            broken = _check(entry_id, index, fields, prev)
            if broken:
                return VerifyResult(ok=False, count=index + 1, head_hash=prev, broken=broken)
            prev, index = fields["hash"], index + 1
        head_hash, count = await self._read_head()
        if (head_hash or GENESIS) != prev or count != index:
            detail = (f"head record says {count} entries ending {head_hash[:12] or '-'}, stream has {index} "
                      f"ending {prev[:12]}: entries removed or forged at the end")
            broken = BrokenLink(stream_id=None, index=index, kind="head", detail=detail)
            return VerifyResult(ok=False, count=index, head_hash=prev, broken=broken)
        return VerifyResult(ok=True, count=index, head_hash=prev)

    async def _rows(self, page: int = 500) -> AsyncIterator[tuple[str, dict[str, str]]]:
        start = "-"
        while rows := await self.redis.xrange(self.stream, min=start, max="+", count=page):
            for raw_id, raw_fields in rows:
                yield _str(raw_id), {_str(k): _str(v) for k, v in raw_fields.items()}
            start = "(" + _str(rows[-1][0])

    async def _read_head(self) -> tuple[str, int]:
        head_hash, count = await self.redis.hmget(self.head, ["hash", "count"])
        try:
            return (_str(head_hash) if head_hash else ""), int(count or 0)
        except ValueError:  # a hand-edited head: verify reports the mismatch, append fails the CAS
            return (_str(head_hash) if head_hash else ""), -1


def _check(entry_id: str, index: int, fields: dict[str, str], prev: str) -> BrokenLink | None:
    """The break at this entry, if any, most specific first."""
    missing = [k for k in _REQUIRED if k not in fields]
    if missing:
        return BrokenLink(stream_id=entry_id, index=index, kind="malformed", detail=f"missing {missing}")
    if _entry_hash(fields) != fields["hash"]:
        return BrokenLink(stream_id=entry_id, index=index, kind="entry_hash",
                          detail="stored hash does not match the entry's content: a field was changed")
    if fields["prev_hash"] != prev:
        return BrokenLink(stream_id=entry_id, index=index, kind="prev_link",
                          detail=f"prev_hash {fields['prev_hash'][:12]} != previous entry's hash {prev[:12]}: "
                                 "an entry before it was removed, inserted or reordered")
    if fields["index"] != str(index):
        return BrokenLink(stream_id=entry_id, index=index, kind="index",
                          detail=f"entry says index {fields['index']}, found at {index}")
    bad = [k for k in ("before_digest", "after_digest") if not _SHA256.match(fields[k])]
    if bad:
        return BrokenLink(stream_id=entry_id, index=index, kind="digest", detail=f"{bad} not a sha256 digest")
    return None


def _to_entry(entry_id: str, fields: dict[str, str]) -> AuditEntry:
    return AuditEntry(
        id=entry_id, index=int(fields["index"]), actor=fields["actor"], action=fields["action"],
        subject=fields["subject"], timestamp=datetime.fromisoformat(fields["timestamp"]),
        correlation_id=fields.get("correlation_id"), before_digest=fields["before_digest"],
        after_digest=fields["after_digest"], prev_hash=fields["prev_hash"], hash=fields["hash"],
    )


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
