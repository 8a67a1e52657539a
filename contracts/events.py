"""CloudEvents 1.0 envelope (structured JSON mode) and revflow's event catalogue.

Event ``type`` is ``revflow.<domain>.<entity>.<event>.v<major>``; ``source`` is the emitting service;
``subject`` is the business key; the extensions ``correlationid`` and ``traceparent`` tie an event to the
request and trace that caused it. Contract version: 1.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "EVENT_TYPE_PATTERN",
    "CloudEvent",
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
