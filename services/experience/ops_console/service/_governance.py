"""Governance and service levels, shaped from the process API (pure: no I/O).

The system-of-record map with each object's followers, the contract catalogue with the clients still calling
deprecated routes, the SLOs with the open breach exception of each, and one period's KPIs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec

from contracts.system_of_record import SYSTEMS
from services.experience.ops_console.schemas import (
    CatalogueApiV1,
    CatalogueEventV1,
    CatalogueV1,
    DeprecatedCallerV1,
    FieldOwnerRowV1,
    KpisV1,
    ObjectOwnerRowV1,
    SchemaChangeV1,
    SloRowV1,
    SlosV1,
    SpecDiffV1,
    SystemOfRecordV1,
)

__all__ = ["BREACH_KIND", "catalogue", "catalogue_api", "kpi_report", "slo_report", "system_of_record"]

BREACH_KIND = "slo_breach"
"""The workflow kind of the exception the process opens for a breached objective (subject ``slo:<name>``)."""
STATUS_ORDER = {"deprecated": 0, "active": 1, "retired": 2}


def _followers(declared: Any, owner: str, systems: Iterable[str]) -> list[str]:
    if isinstance(declared, list):
        return [str(s) for s in declared if s != owner]
    return [s for s in systems if s != owner]


def system_of_record(raw: Mapping[str, Any]) -> SystemOfRecordV1:
    """The map, each object (and field owned apart) with its followers."""
    objects = list(raw.get("objects") or [])
    systems = list(dict.fromkeys([*SYSTEMS, *(str(o.get("owner")) for o in objects)]))
    rows = []
    for obj in objects:
        owner = str(obj["owner"])
        fields = [FieldOwnerRowV1(field=name, owner=str(f["owner"]), team=str(f["team"]),
                                  followers=_followers(f.get("followers"), str(f["owner"]), systems))
                  for name, f in sorted((obj.get("fields") or {}).items())]
        rows.append(ObjectOwnerRowV1(object=str(obj["object"]), owner=owner, team=str(obj["team"]),
                                     followers=_followers(obj.get("followers"), owner, systems),
                                     note=str(obj.get("note") or ""), fields=fields))
    return SystemOfRecordV1(version=int(raw["version"]), systems=systems, objects=rows)


def _diff(raw: Mapping[str, Any], source: str, target: str) -> SpecDiffV1:
    changed = [SchemaChangeV1(schema=name, **{k: list(v) for k, v in entry.items()
                                              if k in ("fields_added", "fields_removed", "required_added")})
               for name, entry in sorted((raw.get("schemas_changed") or {}).items())]
    return SpecDiffV1(from_version=source, to_version=target,
                      operations_added=list(raw.get("operations_added") or []),
                      operations_removed=list(raw.get("operations_removed") or []),
                      schemas_added=list(raw.get("schemas_added") or []),
                      schemas_removed=list(raw.get("schemas_removed") or []), schemas_changed=changed)


def _api(raw: Mapping[str, Any]) -> CatalogueApiV1:
    name = str(raw["name"])
    changes = []
    if isinstance(raw.get("changes_since_published"), Mapping):
        changes.append(_diff(raw["changes_since_published"], f"{name} (published)", name))
    if isinstance(raw.get("changes_from_previous_major"), Mapping):
        previous = raw["changes_from_previous_major"]
        changes.append(_diff(previous, str(previous.get("from") or ""), name))
    fields = {k: raw[k] for k in ("name", "service", "major", "owner", "status", "sunset", "operations",
                                  "published", "deprecated_operations", "consumers") if k in raw}
    return msgspec.convert({**fields, "changes": changes}, CatalogueApiV1)


def catalogue(raw: Mapping[str, Any]) -> CatalogueV1:
    """Every API (deprecated first, then active, then retired) and event type, and who calls deprecated routes."""
    apis = sorted((_api(a) for a in raw.get("apis") or []),
                  key=lambda a: (STATUS_ORDER.get(a.status, len(STATUS_ORDER)), a.name))
    sunsets = {(a.name, d.operation): d.sunset for a in apis for d in a.deprecated_operations}
    callers = sorted((DeprecatedCallerV1(client_id=c.client_id, api=a.name, operation=c.operation,
                                         last_seen=c.last_seen, sunset=sunsets.get((a.name, c.operation), a.sunset))
                      for a in apis for c in a.consumers), key=lambda c: (c.api, c.client_id, c.operation))
    events = msgspec.convert(list(raw.get("events") or []), list[CatalogueEventV1])
    return CatalogueV1(window_days=int(raw.get("window_days") or 0),
                       generated_at=msgspec.convert(raw.get("generated_at"), datetime | None),
                       apis=apis, events=events, deprecated_callers=callers)


def catalogue_api(raw: Mapping[str, Any]) -> CatalogueApiV1:
    """One API of the catalogue, with its diffs between versions."""
    return _api(raw)


def slo_report(raw: Mapping[str, Any], exceptions: Mapping[str, Any] | None) -> SlosV1:
    """The objectives, each breached one with the open breach exception the process opened for it."""
    open_breaches: dict[str, str] = {}
    for row in sorted((exceptions or {}).get("data") or [], key=lambda r: str(r.get("occurred_at") or "")):
        if row.get("kind") == BREACH_KIND and str(row.get("subject") or "").startswith("slo:"):
            open_breaches.setdefault(str(row["subject"])[4:], str(row["workflow_id"]))
    slos = [msgspec.convert({**slo, "breach_exception": open_breaches.get(slo["name"])}, SloRowV1)
            for slo in raw.get("slos") or []]
    return SlosV1(evaluated_at=msgspec.convert(raw["evaluated_at"], datetime), rule=str(raw.get("rule") or ""),
                  slos=slos)


def kpi_report(raw: Mapping[str, Any]) -> KpisV1:
    return msgspec.convert(raw, KpisV1)
