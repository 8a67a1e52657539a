"""The contract catalogue: every API and event type, its owner, status, recent consumers and version changes.

APIs, one per service and major version, come from the committed OpenAPI files
(``contracts/openapi/<service>.v<major>.json``, the current contracts) and their published baselines
(``contracts/openapi/published/``): a published file without a current one is a retired API. Consumers are the
clients seen calling a deprecated route (recorded by the runtime) and, for events, the consumer groups of each
domain's stream. Sunset dates are declared in ``SUNSETS`` (OpenAPI has no field for them) and must match the
``Deprecation`` of the route.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import contracts
from contracts.event_catalog import EVENT_CATALOG
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace
from services.runtime.versioning import deprecated_calls

__all__ = ["API_OWNERS", "OPENAPI_DIR", "SUNSETS", "api_entries", "build_catalogue", "diff_specs", "event_entries"]

OPENAPI_DIR = Path(contracts.__file__).parent / "openapi"

API_OWNERS = {"crm": "crm-system", "erp": "erp-system", "billing": "billing-system", "revrec": "revrec-system",
              "quote_to_cash": "quote-to-cash", "ops_console": "finance-ops-console", "crm_panel": "crm-panel",
              "partner": "partner-api", "example": "platform"}
"""Service -> the team that answers for its API (event owners use the same names)."""

SUNSETS = {"partner.v1": "2027-01-01", "example.v1 GET /v1/account-lookup/{account_id}": "2027-04-01"}
"""Sunset dates of deprecated APIs (``<name>``) and routes (``<name> <METHOD> <path>``)."""

_NAME = re.compile(r"^([a-z_]+)\.v([0-9]+)\.json$")
_METHODS = ("get", "put", "post", "patch", "delete")


@lru_cache(maxsize=64)
def _read(path: Path, mtime: float) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _spec(path: Path) -> dict[str, Any] | None:
    return _read(path, path.stat().st_mtime) if path.is_file() else None


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{m.upper()} {p}": op for p, item in (spec.get("paths") or {}).items() for m, op in item.items()
            if m in _METHODS and isinstance(op, dict)}


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    return (spec.get("components") or {}).get("schemas") or {}


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Operations and schemas added or removed from ``old`` to ``new``, and per shared schema its field changes."""
    old_ops, new_ops = _operations(old), _operations(new)
    old_schemas, new_schemas = _schemas(old), _schemas(new)
    changed = {}
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        before, after = old_schemas[name].get("properties") or {}, new_schemas[name].get("properties") or {}
        req_before = set(old_schemas[name].get("required") or ())
        req_after = set(new_schemas[name].get("required") or ())
        entry = {"fields_added": sorted(after.keys() - before.keys()),
                 "fields_removed": sorted(before.keys() - after.keys()),
                 "required_added": sorted(req_after - req_before)}
        if any(entry.values()):
            changed[name] = entry
    return {"operations_added": sorted(new_ops.keys() - old_ops.keys()),
            "operations_removed": sorted(old_ops.keys() - new_ops.keys()),
            "schemas_added": sorted(new_schemas.keys() - old_schemas.keys()),
            "schemas_removed": sorted(old_schemas.keys() - new_schemas.keys()), "schemas_changed": changed}


def _status(name: str, spec: dict[str, Any] | None) -> tuple[str, str | None, list[dict[str, Any]]]:
    if spec is None:
        return "retired", None, []
    ops = _operations(spec)
    deprecated = [{"operation": key, "sunset": SUNSETS.get(f"{name} {key}", SUNSETS.get(name))}
                  for key, op in sorted(ops.items()) if op.get("deprecated")]
    if ops and len(deprecated) == len(ops):
        return "deprecated", SUNSETS.get(name), deprecated
    return "active", None, deprecated


def api_entries(directory: Path = OPENAPI_DIR) -> list[dict[str, Any]]:
    """One entry per API (service and major) found current or published, with owner, status and diffs."""
    names = sorted({p.name for p in directory.glob("*.json")}
                   | {p.name for p in (directory / "published").glob("*.json")})
    entries = []
    for file in names:
        match = _NAME.match(file)
        if match is None:
            continue
        service, major = match.group(1), int(match.group(2))
        current, published = _spec(directory / file), _spec(directory / "published" / file)
        name = file.removesuffix(".json")
        status, sunset, deprecated = _status(name, current)
        entry: dict[str, Any] = {
            "name": name, "service": service, "major": major, "owner": API_OWNERS.get(service, "unassigned"),
            "status": status, "sunset": sunset, "deprecated_operations": deprecated,
            "operations": len(_operations(current or published or {})), "file": f"openapi/{file}",
            "published": published is not None,
            "changes_since_published": diff_specs(published, current) if published and current else None}
        previous = _spec(directory / f"{service}.v{major - 1}.json") if major > 1 else None
        if previous is not None and current is not None:
            entry["changes_from_previous_major"] = {"from": f"{service}.v{major - 1}", **diff_specs(previous, current)}
        entries.append(entry)
    return entries


async def _groups(redis: Any, stream: str, since: datetime) -> list[dict[str, Any]]:
    try:
        groups = await redis.xinfo_groups(stream)
    except Exception:  # no stream yet: nobody has published or subscribed
        return []
    found = []
    for group in groups:
        name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
        consumers = await redis.xinfo_consumers(stream, name)
        idle = min((int(c["idle"]) for c in consumers), default=None)
        last_seen = datetime.now(UTC) - timedelta(milliseconds=idle) if idle is not None else None
        found.append({"group": name, "consumers": len(consumers), "pending": int(group["pending"]),
                      "last_seen": last_seen.isoformat() if last_seen else None,
                      "seen_in_window": last_seen is not None and last_seen >= since})
    return found


async def event_entries(redis: Any, keyspace: KeySpace, *, days: int) -> list[dict[str, Any]]:
    """Every catalogued event type with owner, status and the consumer groups reading its domain's stream."""
    since = datetime.now(UTC) - timedelta(days=days)
    bus = EventBus(redis, keyspace, source="/services/process/quote_to_cash")
    by_domain: dict[str, list[dict[str, Any]]] = {}
    entries = []
    for type_, spec in sorted(EVENT_CATALOG.items()):
        if spec.domain not in by_domain:
            by_domain[spec.domain] = await _groups(redis, bus.stream_key(spec.domain), since)
        entries.append({"type": type_, "domain": spec.domain, "major": spec.major, "owner": spec.owner,
                        "status": spec.status.value, "replaced_by": spec.replaced_by, "source": spec.source,
                        "description": spec.description, "stream": spec.domain,
                        "consumer_groups": by_domain[spec.domain]})
    return entries


async def build_catalogue(redis: Any, keyspace: KeySpace, *, days: int,
                          directory: Path = OPENAPI_DIR) -> dict[str, Any]:
    """The whole catalogue: APIs with the clients seen on their deprecated routes, and events with their groups."""
    since = datetime.now(UTC) - timedelta(days=days)
    calls = await deprecated_calls(redis, keyspace, since=since)
    apis = api_entries(directory)
    for api in apis:
        prefix = f"/v{api['major']}/"
        seen = [c for c in calls if c.service == api["service"] and c.route.startswith(prefix)]
        api["consumers"] = [{"client_id": c.client_id, "operation": f"{c.method} {c.route}",
                             "last_seen": c.last_seen.isoformat()} for c in seen]
    return {"window_days": days, "generated_at": datetime.now(UTC).isoformat(), "apis": apis,
            "events": await event_entries(redis, keyspace, days=days)}
