"""The org's in-memory state: records, the recycle bin, sessions, API usage, query cursors, events.

Writes happen inside :meth:`OrgState.transaction` blocks: a failure rolls every record, the recycle bin,
the auto-numbers and the not-yet-sent stage-change events back to where the block began, which is how
``allOrNone`` composite requests and collections are emulated.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import deleted, not_found
from .ids import IdFactory, is_id, to18
from .schema import OBJECTS, lookup

__all__ = ["USER_ID", "OrgState", "Snapshot", "spec_of"]

USER_ID = to18("0055g00000SbxUs")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Snapshot:
    """What a transaction restores on rollback."""

    records: dict[str, dict[str, dict[str, Any]]]
    recycle: dict[str, tuple[str, dict[str, Any]]]
    numbers: dict[str, int]
    events: int


@dataclass
class OrgState:
    """Everything the org knows.

    Args:
        ids: Record id factory (seeded for deterministic ids).
        clock: Current instant (aware, UTC); tests may pin it.
        org_id: The 18-character organization id (``00D…``).
    """

    ids: IdFactory = field(default_factory=IdFactory)
    clock: Callable[[], datetime] = _utcnow
    org_id: str = to18("00D5g000004SbxO")
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in OBJECTS})
    recycle: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """Deleted records by id (they answer ``ENTITY_IS_DELETED`` and show in ``queryAll``)."""
    numbers: dict[str, int] = field(default_factory=dict)
    """Auto-number counters (``ContractNumber``, ``OrderNumber``)."""
    sessions: set[str] = field(default_factory=set)
    usage: int = 0
    cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    """Opportunity stage changes not yet handed to the outbound-message notifier."""

    def __post_init__(self) -> None:
        self._seed_org()

    def _seed_org(self) -> None:
        # A real org always has its standard price book; products get their standard prices there.
        now = self.stamp()
        pid = self.ids.new("01s")
        self.records["Pricebook2"][pid] = {
            "Id": pid, "IsDeleted": False, "Name": "Standard Price Book", "IsActive": True, "IsStandard": True,
            "Description": None, "CreatedDate": now, "CreatedById": USER_ID, "LastModifiedDate": now,
            "LastModifiedById": USER_ID, "SystemModstamp": now, "Revflow_Id__c": None, "Legacy_Id__c": None,
        }

    def stamp(self) -> str:
        """The current instant in Salesforce's datetime format (``2024-05-01T10:00:00.000+0000``)."""
        now = self.clock().astimezone(UTC)
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"

    def standard_pricebook(self) -> dict[str, Any]:
        """The org's standard price book."""
        return next(r for r in self.records["Pricebook2"].values() if r["IsStandard"])

    def next_number(self, name: str) -> str:
        """The next auto-number of a series, as Salesforce formats them (``00000100``)."""
        self.numbers[name] = self.numbers.get(name, 99) + 1
        return f"{self.numbers[name]:08d}"

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        """A live record by id, or Salesforce's NOT_FOUND / ENTITY_IS_DELETED."""
        if not is_id(record_id):
            raise not_found(f"Provided external ID field does not exist or is not accessible: {record_id}")
        rid = to18(record_id)
        found = self.records[sobject].get(rid)
        if found is not None:
            return found
        if rid in self.recycle and self.recycle[rid][0] == sobject:
            raise deleted()
        raise not_found()

    def find(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """Any live record by id, with its sObject name."""
        if not is_id(record_id):
            return None
        rid = to18(record_id)
        for name, spec in OBJECTS.items():
            if rid.startswith(spec.key_prefix) and rid in self.records[name]:
                return name, self.records[name][rid]
        return None

    def rows(self, sobject: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Records of a type in creation order (deleted ones too for ``queryAll``)."""
        live = list(self.records[sobject].values())
        if include_deleted:
            live += [rec for name, rec in self.recycle.values() if name == sobject]
        return live

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Roll every change back when the block raises."""
        snap = Snapshot(copy.deepcopy(self.records), copy.deepcopy(self.recycle), dict(self.numbers),
                        len(self.events))
        try:
            yield
        except BaseException:
            self.records, self.recycle, self.numbers = snap.records, snap.recycle, snap.numbers
            del self.events[snap.events:]
            raise

    # --- admin protocol -------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to a fresh org: no records but the standard price book; sessions are kept."""
        self.records = {k: {} for k in OBJECTS}
        self.recycle.clear()
        self.numbers.clear()
        self.cursors.clear()
        self.events.clear()
        self.usage = 0
        self.ids.reset()
        self._seed_org()

    def inspect(self) -> dict[str, Any]:
        """Counts and records by type."""
        return {"counts": {k: len(v) for k, v in self.records.items()}, "records": copy.deepcopy(self.records),
                "deleted": len(self.recycle), "api_usage": self.usage}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the whole state."""
        return {"records": copy.deepcopy(self.records), "numbers": dict(self.numbers),
                "recycle": {k: list(v) for k, v in self.recycle.items()}, "sessions": sorted(self.sessions)}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        self.records = {k: dict(data.get("records", {}).get(k, {})) for k in OBJECTS}
        self.numbers = dict(data.get("numbers", {}))
        self.recycle = {k: (v[0], v[1]) for k, v in data.get("recycle", {}).items()}
        self.sessions = set(data.get("sessions", [])) | self.sessions
        self.cursors.clear()
        self.events.clear()


def spec_of(name: str) -> Any:
    """An sObject's spec or NOT_FOUND (an unknown type in a REST path is a 404)."""
    spec = lookup(name)
    if spec is None:
        raise not_found()
    return spec
