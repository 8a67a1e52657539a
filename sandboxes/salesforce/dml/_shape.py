"""The JSON shape of a record on the wire: ``attributes`` first, then fields in describe order."""

from __future__ import annotations

from typing import Any

from ..errors import invalid_field
from ..schema import ObjectSpec

__all__ = ["API_VERSION", "record_url", "wire_record"]

API_VERSION = "62.0"


def record_url(sobject: str, record_id: str) -> str:
    """``/services/data/v62.0/sobjects/Account/001…``."""
    return f"/services/data/v{API_VERSION}/sobjects/{sobject}/{record_id}"


def wire_record(obj: ObjectSpec, record: dict[str, Any], fields: list[str] | None = None) -> dict[str, Any]:
    """A record as ``GET /sobjects/{type}/{id}`` answers it (``fields`` limits the fields, Id always kept)."""
    out: dict[str, Any] = {"attributes": {"type": obj.name, "url": record_url(obj.name, record["Id"])}}
    if fields is None:
        out.update({name: record.get(name) for name in obj.fields})
        return out
    for name in fields:
        spec = obj.field(name.strip())
        if spec is None:
            raise invalid_field(obj.name, name.strip())
        out[spec.name] = record.get(spec.name)
    out.setdefault("Id", record["Id"])
    return out
