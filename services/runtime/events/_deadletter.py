"""Dead-letter entries: their format, listing and replay (private; used by the bus and the consumer).

A dead letter is one entry of ``<stream>:dlq`` with the fields ``event`` (the original CloudEvent JSON,
byte for byte), ``error``, ``attempts``, ``stream`` (source stream key), ``stream_id`` (the source entry
id), ``group``, ``consumer``, ``event_id``, ``event_type`` and ``failed_at`` (UTC, ISO 8601).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec
from redis.asyncio import Redis

from contracts.events import CloudEvent
from services.runtime.events._keys import EVENT_FIELD, GROUP_FIELD, REPLAY_FIELD, decode_envelope, dlq_key, text
from services.runtime.metrics import DEAD_LETTERS

__all__ = ["REPLAY_LUA", "DeadLetter", "DeadLetterNotFoundError", "dead_letter_fields", "parse_dead_letter",
           "refresh_depth"]

# Read the dead letter, put its event back on the source stream addressed to the failed group, and delete
# it, in one step: a replay clicked twice (two operators, a retried CLI call) publishes exactly one copy.
REPLAY_LUA = f"""
local rows = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #rows == 0 then return false end
local f = rows[1][2]
local ev, grp
for i = 1, #f, 2 do
  if f[i] == 'event' then ev = f[i + 1] elseif f[i] == 'group' then grp = f[i + 1] end
end
if not ev or not grp then return redis.error_reply('dead letter has no event or group field') end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*',
  '{EVENT_FIELD}', ev, '{GROUP_FIELD}', grp, '{REPLAY_FIELD}', ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return id
"""


class DeadLetterNotFoundError(KeyError):
    """No such dead-letter entry (never existed, or already replayed)."""


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A message a consumer group gave up on, with what is needed to fix and replay it."""

    entry_id: str
    """Id of the entry in the dead-letter stream (what ``replay_dead_letter`` takes)."""
    dlq: str
    """Key of the dead-letter stream holding it."""
    stream: str
    """Key of the stream the message came from (and is replayed to)."""
    stream_id: str
    """Id of the original entry in that stream."""
    group: str
    """Consumer group that failed it; a replay is handled by this group only."""
    consumer: str
    """Consumer that dead-lettered it."""
    attempts: int
    """Deliveries to the group before giving up."""
    error: str
    """Last error, ``ExceptionType: message``."""
    failed_at: str
    """When it was dead-lettered (UTC, ISO 8601)."""
    event_id: str | None = None
    event_type: str | None = None
    event: CloudEvent | None = None
    """The original event; ``None`` when it could not be decoded (see ``error``)."""


def dead_letter_fields(
    *, raw_event: bytes | None, error: str, attempts: int, stream: str, stream_id: str, group: str,
    consumer: str, event: CloudEvent | None,
) -> dict[str, bytes | str | int]:
    """The fields of a new dead-letter entry."""
    return {
        "event": raw_event or b"",
        "error": error[:4000],
        "attempts": attempts,
        "stream": stream,
        "stream_id": stream_id,
        "group": group,
        "consumer": consumer,
        "event_id": event.id if event else "",
        "event_type": event.type if event else "",
        "failed_at": datetime.now(UTC).isoformat(),
    }


def parse_dead_letter(dlq: str, entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> DeadLetter:
    """A dead-letter stream entry as a ``DeadLetter``."""
    f = {text(k): text(v) for k, v in fields.items()}
    try:
        event: CloudEvent | None = decode_envelope(fields.get(b"event"))
    except msgspec.DecodeError:
        event = None
    return DeadLetter(
        entry_id=text(entry_id) or "",
        dlq=dlq,
        stream=f.get("stream") or dlq.removesuffix(":dlq"),
        stream_id=f.get("stream_id") or "",
        group=f.get("group") or "",
        consumer=f.get("consumer") or "",
        attempts=int(f.get("attempts") or 0),
        error=f.get("error") or "",
        failed_at=f.get("failed_at") or "",
        event_id=f.get("event_id") or None,
        event_type=f.get("event_type") or None,
        event=event,
    )


async def refresh_depth(redis: Redis, stream: str) -> int:
    """Set the ``DEAD_LETTERS`` gauge of ``stream``'s dead-letter stream to its length, and return it."""
    dlq = dlq_key(stream)
    depth = int(await redis.xlen(dlq))
    DEAD_LETTERS.labels(stream=dlq).set(depth)
    return depth
