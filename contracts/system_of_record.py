"""The system-of-record map: which system owns each canonical object and, where needed, each field.

The map is declared configuration (``system_of_record.yaml`` beside this module), versioned by its ``version``
field. ``validate_map`` enforces the one rule that keeps two systems from overwriting each other: every canonical
object has exactly one owner. Followers receive values only from the owner; a value a follower changed on its
own is drift. Contract version: 1.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import msgspec.yaml

from contracts.process import ExceptionOwner

__all__ = [
    "CANONICAL_OBJECTS",
    "DEFAULT_MAP_PATH",
    "SYSTEMS",
    "FieldOwnerV1",
    "ObjectOwnerV1",
    "SystemOfRecordError",
    "SystemOfRecordMapV1",
    "load_map",
    "parse_map",
    "validate_map",
]

DEFAULT_MAP_PATH = Path(__file__).with_name("system_of_record.yaml")

CANONICAL_OBJECTS = ("customer", "product", "price_list", "contract_terms", "subscription", "invoice",
                     "ledger_posting", "revenue_schedule", "metrics")
"""Every object the map must give exactly one owner."""

SYSTEMS = ("crm", "erp", "billing", "revrec", "reporting")
"""The systems that can own an object."""


class SystemOfRecordError(ValueError):
    """The map breaks a rule; the message names the object (or field) and what is wrong."""


class FieldOwnerV1(msgspec.Struct, frozen=True, kw_only=True):
    owner: str
    """The system whose value of this field wins."""
    team: ExceptionOwner
    """The team that fixes drift of this field."""


class ObjectOwnerV1(msgspec.Struct, frozen=True, kw_only=True):
    object: str
    owner: str
    """The system of record of the object."""
    team: ExceptionOwner
    """The team that answers for the object's data (and owns its drift exceptions)."""
    note: str = ""
    fields: dict[str, FieldOwnerV1] = {}
    """Fields owned by another system than the object's owner."""


class SystemOfRecordMapV1(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    objects: tuple[ObjectOwnerV1, ...]

    def owner_of(self, obj: str, field: str | None = None) -> FieldOwnerV1:
        """The owner (system and team) of ``obj``, or of its ``field`` when the map names one.

        Raises:
            KeyError: ``obj`` is not in the map.
        """
        for entry in self.objects:
            if entry.object == obj:
                if field is not None and field in entry.fields:
                    return entry.fields[field]
                return FieldOwnerV1(owner=entry.owner, team=entry.team)
        raise KeyError(obj)


def parse_map(raw: Any) -> SystemOfRecordMapV1:
    """Decode a map (already read from YAML) without judging it; ``validate_map`` judges it.

    Raises:
        SystemOfRecordError: the document does not have the map's shape.
    """
    try:
        return msgspec.convert(raw, SystemOfRecordMapV1)
    except msgspec.ValidationError as exc:
        raise SystemOfRecordError(f"system-of-record map is malformed: {exc}") from None


def validate_map(sor: SystemOfRecordMapV1) -> SystemOfRecordMapV1:
    """Return ``sor`` when every canonical object has exactly one owner that is a known system.

    Raises:
        SystemOfRecordError: naming each object with two owners, no owner or an unknown system.
    """
    problems: list[str] = []
    counts = Counter(entry.object for entry in sor.objects)
    for obj in CANONICAL_OBJECTS:
        owners = sorted({e.owner for e in sor.objects if e.object == obj})
        if counts[obj] == 0:
            problems.append(f"object '{obj}' has no owner")
        elif counts[obj] > 1:
            problems.append(f"object '{obj}' has {counts[obj]} owners ({', '.join(owners)}); it needs exactly one")
    for entry in sor.objects:
        if entry.object not in CANONICAL_OBJECTS:
            problems.append(f"object '{entry.object}' is not a canonical object ({', '.join(CANONICAL_OBJECTS)})")
        for name, system in [(entry.object, entry.owner)] + [
                (f"{entry.object}.{f}", o.owner) for f, o in entry.fields.items()]:
            if system not in SYSTEMS:
                problems.append(f"'{name}' is owned by unknown system '{system}' (known: {', '.join(SYSTEMS)})")
    if problems:
        raise SystemOfRecordError(f"system-of-record map v{sor.version} is invalid: " + "; ".join(problems))
    return sor


def load_map(path: str | Path | None = None) -> SystemOfRecordMapV1:
    """Read, decode and validate the map at ``path`` (the committed map by default).

    Raises:
        SystemOfRecordError: the file is missing, not YAML, or breaks a rule.
    """
    where = Path(path) if path is not None else DEFAULT_MAP_PATH
    try:
        raw = msgspec.yaml.decode(where.read_bytes())  # PyYAML is imported only here, by msgspec
    except (OSError, msgspec.DecodeError) as exc:
        raise SystemOfRecordError(f"system-of-record map {where.name} cannot be read: {exc}") from None
    return validate_map(parse_map(raw))
