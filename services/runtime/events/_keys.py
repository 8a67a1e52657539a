"""Key layout and wire encoding of the event bus (private).

Every key of one stream shares the stream's Cluster hash tag, so the multi-key transactions and scripts of
the bus (ACK + processed marker, dead-letter + ACK, replay) stay in one slot:

- ``<prefix>{events:<domain>}``                        the stream
- ``<prefix>{events:<domain>}:dlq``                    its dead letters (all groups)
- ``<prefix>{events:<domain>}:done:<group>:<event id>`` processed marker of one group
"""

from __future__ import annotations

import re

import msgspec

from contracts.events import CloudEvent
from services.runtime.redis import KeySpace

__all__ = [
    "EVENT_FIELD",
    "GROUP_FIELD",
    "REPLAY_FIELD",
    "decode_envelope",
    "dlq_key",
    "dlq_registry_key",
    "domain_of",
    "encode_envelope",
    "marker_key",
    "stream_key",
    "text",
]

EVENT_FIELD = "ce"
"""Stream field holding the structured-mode CloudEvent JSON."""
GROUP_FIELD = "group"
"""Stream field set on replayed entries: only this consumer group handles them."""
REPLAY_FIELD = "replay_of"
"""Stream field set on replayed entries: the dead-letter entry id they came from."""

_NAME = re.compile(r"^[a-z0-9_\-]{1,64}$")


def domain_of(event_type: str) -> str:
    """The domain of ``revflow.<domain>.<entity>.<event>.v<major>`` (``crm`` for a CRM event).

    Raises:
        ValueError: the type does not follow the naming rule.
    """
    parts = event_type.split(".")
    if len(parts) != 5 or parts[0] != "revflow" or not parts[1]:
        raise ValueError(f"event type {event_type!r} is not revflow.<domain>.<entity>.<event>.v<major>")
    return parts[1]


def stream_key(keyspace: KeySpace, stream: str) -> str:
    """The Redis key of the stream named ``stream`` (a domain such as ``crm``).

    Raises:
        ValueError: the name could break the key layout (braces, colons, spaces).
    """
    if not _NAME.match(stream):
        raise ValueError(f"stream name {stream!r} must match {_NAME.pattern}")
    return keyspace.tagged(f"events:{stream}")


def dlq_registry_key(keyspace: KeySpace) -> str:
    """The set of stream names that have (or had) a dead-letter stream: listing them needs no SCAN."""
    return keyspace.tagged("events", "dead-letter-streams")


def dlq_key(stream_key_: str) -> str:
    """The dead-letter stream of a stream key (same hash tag)."""
    return f"{stream_key_}:dlq"


def marker_key(stream_key_: str, group: str, event_id: str) -> str:
    """The processed marker of ``event_id`` for ``group`` (same hash tag as the stream)."""
    return f"{stream_key_}:done:{group}:{event_id}"


def encode_envelope(event: CloudEvent) -> bytes:
    """The CloudEvent as stored on the stream.

    The envelope only: payloads are checked against the catalogue by the producers that build them with
    ``contracts.events.build_event``; the bus also carries events of services outside the catalogue.
    """
    return msgspec.json.encode(event)


def decode_envelope(raw: bytes | None) -> CloudEvent:
    """Decode and validate a stream entry's event.

    Raises:
        msgspec.DecodeError: missing, malformed or invalid against the envelope.
    """
    if raw is None:
        raise msgspec.DecodeError(f"entry has no {EVENT_FIELD!r} field")
    return msgspec.json.decode(raw, type=CloudEvent)


def text(value: bytes | str | None) -> str | None:
    """Redis replies are bytes (``decode_responses=False``); this is the one place they become text."""
    if value is None or isinstance(value, str):
        return value
    return value.decode()
