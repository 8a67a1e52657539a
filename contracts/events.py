"""CloudEvents 1.0 envelope (structured JSON mode) and revflow's event catalogue.

Event ``type`` is ``revflow.<domain>.<entity>.<event>.v<major>``; ``source`` is the emitting service;
``subject`` is the business key; the extensions ``correlationid`` and ``traceparent`` tie an event to the
request and trace that caused it. Contract version: 1.

The catalogue (``EVENT_CATALOG``: type -> payload Struct, domain, owner, status) lives in
``contracts.event_catalog`` and is re-exported here with the codec that uses it: ``build_event`` wraps a
payload in an envelope with its catalogued type and source, ``encode_event`` checks and serialises an event,
``decode_event`` parses bytes into an event whose ``data`` is the typed payload, and ``decode_event_data``
turns the ``data`` of an already-parsed envelope into its payload Struct.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

from contracts.event_catalog import (
    EVENT_CATALOG,
    EventSpec,
    EventStatus,
    UnknownEventTypeError,
    event_spec,
    event_type_of,
)

__all__ = [
    "EVENT_CATALOG",
    "EVENT_TYPE_PATTERN",
    "CloudEvent",
    "EventSpec",
    "EventStatus",
    "UnknownEventTypeError",
    "build_event",
    "decode_event",
    "decode_event_data",
    "encode_event",
    "event_spec",
    "event_type_of",
    "new_event",
]

EVENT_TYPE_PATTERN = r"^revflow\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$"
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN)


class CloudEvent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A CloudEvents 1.0 event in structured JSON form, with revflow's extensions."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    """Unique per event; consumers deduplicate on it."""
    source: Annotated[str, msgspec.Meta(min_length=1)]
    """The emitting service, as a URI reference (``/services/system/crm``)."""
    type: Annotated[str, msgspec.Meta(pattern=EVENT_TYPE_PATTERN)]
    """``revflow.<domain>.<entity>.<event>.v<major>``."""
    specversion: Literal["1.0"]
    """Always ``1.0``; required on the wire, so it has no default (defaults are omitted when encoding)."""
    subject: str | None = None
    """The business key (opportunity id, invoice id, contract id)."""
    time: datetime | None = None
    """When the business change happened (UTC)."""
    datacontenttype: Literal["application/json"]
    dataschema: str | None = None
    data: Any = None
    """The payload: one of the catalogue's payload Structs, encoded as JSON."""
    correlationid: str | None = None
    """Extension: the correlation id of the request that caused the event."""
    traceparent: str | None = None
    """Extension: W3C trace context of the span that emitted the event."""
    tracestate: str | None = None


def new_event(
    *,
    type: str,
    source: str,
    data: Any,
    subject: str | None = None,
    correlationid: str | None = None,
    time: datetime | None = None,
    id: str | None = None,
) -> CloudEvent:
    """Build an event with a fresh id and the current UTC time, checking the type naming rule."""
    if not _EVENT_TYPE.match(type):
        raise ValueError(f"event type {type!r} does not match revflow.<domain>.<entity>.<event>.v<major>")
    return CloudEvent(
        id=id or uuid.uuid4().hex,
        specversion="1.0",
        datacontenttype="application/json",
        source=source,
        type=type,
        subject=subject,
        time=time or datetime.now(UTC),
        data=data,
        correlationid=correlationid,
    )


def build_event(
    payload: msgspec.Struct,
    *,
    subject: str,
    correlationid: str | None = None,
    traceparent: str | None = None,
    time: datetime | None = None,
    id: str | None = None,
    source: str | None = None,
) -> CloudEvent:
    """Wrap a catalogue payload in an envelope carrying its catalogued ``type`` and ``source``.

    Args:
        payload: An instance of a payload Struct listed in ``EVENT_CATALOG``.
        subject: The business key (opportunity id, invoice id, contract id, period).
        correlationid: The correlation id of the request that caused the event.
        traceparent: W3C trace context of the emitting span.
        time: When the business change happened; defaults to now (UTC).
        id: The event id; defaults to a fresh UUID.
        source: Overrides the catalogued source (for example a service instance URI).

    Raises:
        UnknownEventTypeError: When the payload's class is not in the catalogue.
    """
    spec = event_spec(event_type_of(payload))
    event = new_event(type=spec.type, source=source or spec.source, data=payload, subject=subject,
                      correlationid=correlationid, time=time, id=id)
    return msgspec.structs.replace(event, traceparent=traceparent) if traceparent else event


def decode_event_data(event: CloudEvent) -> msgspec.Struct:
    """Return the event's ``data`` as the payload Struct its ``type`` names in the catalogue.

    ``data`` may be the decoded JSON (a dict) or a payload instance; either way it is validated against the
    payload type, constraints included.

    Raises:
        UnknownEventTypeError: When ``event.type`` is not catalogued.
        msgspec.ValidationError: When ``data`` does not match the payload type; the message names the event
            type and the offending field.
    """
    spec = event_spec(event.type)
    data = event.data
    if isinstance(data, msgspec.Struct) and not isinstance(data, spec.payload):
        raise msgspec.ValidationError(
            f"{event.type}: data is a {type(data).__name__}, expected {spec.payload.__name__}"
        )
    try:
        # Through JSON rather than ``convert`` so a payload built in-process gets the same checks
        # (Meta constraints, tz-aware instants) as one read off the wire.
        return msgspec.json.decode(msgspec.json.encode(data), type=spec.payload)
    except msgspec.ValidationError as exc:
        raise msgspec.ValidationError(f"{event.type}: {exc}") from exc


def encode_event(event: CloudEvent) -> bytes:
    """Serialise an event to structured-mode JSON after checking its type and payload against the catalogue.

    Raises:
        UnknownEventTypeError: When ``event.type`` is not catalogued.
        msgspec.ValidationError: When ``data`` does not match the catalogued payload type.
    """
    decode_event_data(event)
    return msgspec.json.encode(event)


def decode_event(raw: bytes | str) -> CloudEvent:
    """Parse structured-mode JSON into an event whose ``data`` is the typed payload.

    Raises:
        msgspec.ValidationError: When the envelope or the payload is invalid.
        msgspec.DecodeError: When ``raw`` is not JSON.
        UnknownEventTypeError: When the type is not catalogued.
    """
    event = msgspec.json.decode(raw, type=CloudEvent)
    return msgspec.structs.replace(event, data=decode_event_data(event))
