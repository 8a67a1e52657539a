"""The org's in-memory state: records, the recycle bin, sessions, API usage, query cursors, events.

Writes happen inside :meth:`OrgState.transaction` blocks: a failure rolls every record, the recycle bin,
the auto-numbers and the not-yet-sent stage-change events back to where the block began, which is how
``allOrNone`` composite requests and collections are emulated.

A transaction copies nothing up front: every change goes through :meth:`OrgState.put`,
:meth:`OrgState.remove`, :meth:`OrgState.discard` or (before a stored record is changed in place)
:meth:`OrgState.touch`, which note in an undo log what they replace. A rollback replays that log backwards,
so a write costs what it touches, not what the org holds. Transactions nest (each collection record is a
savepoint inside an ``allOrNone`` request); the log is dropped when the outermost one commits.
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
    """Where a transaction began: what a rollback restores."""

    undo: int
    """Length of the undo log."""
    numbers: dict[str, int]
    events: int


_ABSENT: Any = object()
"""Undo-log marker: the key was not there before."""


class _Put:
    """Undo of a change to a live record's slot (insert, replace or remove)."""

    __slots__ = ("previous", "record_id", "sobject")

    def __init__(self, sobject: str, record_id: str, previous: Any) -> None:
        self.sobject, self.record_id, self.previous = sobject, record_id, previous

    def undo(self, state: OrgState) -> None:
        bucket = state.records[self.sobject]
        if self.previous is _ABSENT:
            bucket.pop(self.record_id, None)
        else:
            bucket[self.record_id] = self.previous


class _Order:
    """Undo of a removal's effect on creation order: the type's ids as they stood before the first removal."""

    __slots__ = ("ids", "sobject")

    def __init__(self, sobject: str, ids: list[str]) -> None:
        self.sobject, self.ids = sobject, ids

    def undo(self, state: OrgState) -> None:
        bucket = state.records[self.sobject]
        ordered = {rid: bucket[rid] for rid in self.ids if rid in bucket}
        bucket.clear()
        bucket.update(ordered)


class _Fields:
    """Undo of in-place changes to a stored record: its fields as they were."""

    __slots__ = ("fields", "record")

    def __init__(self, record: dict[str, Any]) -> None:
        self.record, self.fields = record, dict(record)

    def undo(self, state: OrgState) -> None:
        self.record.clear()
        self.record.update(self.fields)


class _Bin:
    """Undo of a recycle-bin entry."""

    __slots__ = ("previous", "record_id")

    def __init__(self, record_id: str, previous: Any) -> None:
        self.record_id, self.previous = record_id, previous

    def undo(self, state: OrgState) -> None:
        if self.previous is _ABSENT:
            state.recycle.pop(self.record_id, None)
        else:
            state.recycle[self.record_id] = self.previous


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
        self._undo: list[_Put | _Order | _Fields | _Bin] = []
        self._frames: list[set[str]] = []
        """Per open transaction, the types whose creation order it has saved."""
        self._seed_org()

    def _seed_org(self) -> None:
        # A real org always has its standard price book; products get their standard prices there.
        now = self.stamp()
        pid = self.ids.new("01s")
        self.put("Pricebook2", {
            "Id": pid, "IsDeleted": False, "Name": "Standard Price Book", "IsActive": True, "IsStandard": True,
            "Description": None, "CreatedDate": now, "CreatedById": USER_ID, "LastModifiedDate": now,
            "LastModifiedById": USER_ID, "SystemModstamp": now, "Revflow_Id__c": None, "Legacy_Id__c": None,
        })

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

    # --- changes (the only way records and the recycle bin change, so a rollback can undo them) ----

    def put(self, sobject: str, record: dict[str, Any]) -> None:
        """Store ``record`` under its Id (a new record goes last in creation order; a replaced one keeps its place)."""
        bucket = self.records[sobject]
        if self._frames:
            self._undo.append(_Put(sobject, record["Id"], bucket.get(record["Id"], _ABSENT)))
        bucket[record["Id"]] = record

    def remove(self, sobject: str, record_id: str) -> dict[str, Any]:
        """Take a live record out of the org (the caller bins it); returns it."""
        bucket = self.records[sobject]
        if self._frames:
            if sobject not in self._frames[-1]:
                self._frames[-1].add(sobject)
                self._undo.append(_Order(sobject, list(bucket)))
            self._undo.append(_Put(sobject, record_id, bucket[record_id]))
        return bucket.pop(record_id)

    def discard(self, record_id: str, sobject: str, record: dict[str, Any]) -> None:
        """Put a deleted record in the recycle bin."""
        if self._frames:
            self._undo.append(_Bin(record_id, self.recycle.get(record_id, _ABSENT)))
        self.recycle[record_id] = (sobject, record)

    def touch(self, record: dict[str, Any]) -> dict[str, Any]:
        """Call before changing a stored record in place (a roll-up, a cleared lookup); returns it."""
        if self._frames:
            self._undo.append(_Fields(record))
        return record

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Roll every change back when the block raises."""
        snap = Snapshot(len(self._undo), dict(self.numbers), len(self.events))
        self._frames.append(set())
        try:
            yield
        except BaseException:
            while len(self._undo) > snap.undo:
                self._undo.pop().undo(self)
            self.numbers = snap.numbers
            del self.events[snap.events:]
            raise
        finally:
            self._frames.pop()
            if not self._frames:
                self._undo.clear()

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
