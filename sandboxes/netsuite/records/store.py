"""The sandbox's in-memory records: one dict per record type, internal ids per family, seeded master data.

A stored record is JSON-ready data::

    {"id": "12", "type": "salesOrder", "fields": {...}, "sublists": {"item": [{...}, ...]},
     "created": "2025-01-31T10:00:00Z", "modified": "..."}

References inside ``fields`` and lines are ``{"$ref": "<record type>", "id": "<id>"}`` (the concrete type,
such as ``serviceSaleItem``; for lists the sandbox does not model, the field name, such as ``subsidiary``).
Internal ids are allocated per family (entity, item, transaction, account), as NetSuite numbers them,
so a sales order and the invoice billed from it never share an id.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import nonexistent
from .types import RECORD_TYPES

__all__ = ["SEED_ACCOUNTS", "NetSuiteState"]

# (acctNumber, acctName, acctType): the chart of accounts a quote-to-cash flow posts to.
SEED_ACCOUNTS = (
    ("1000", "Checking", "Bank"),
    ("1100", "Accounts Receivable", "AcctRec"),
    ("1200", "Undeposited Funds", "OthCurrAsset"),
    ("2400", "Deferred Revenue", "DeferRevenue"),
    ("4000", "Revenue", "Income"),
    ("4100", "Services Revenue", "Income"),
)


@dataclass
class NetSuiteState:
    """Everything the sandbox knows about its one account.

    Args:
        clock: Unix seconds (tests may pin it).
    """

    clock: Callable[[], float] = time.time
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    version: int = 0
    """Bumped by every change to the records (:meth:`changed`); what is computed from them is kept per version."""
    memo: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """Values computed from the records (the SuiteQL tables), each with the version(s) it was computed at."""
    stamps: dict[str, int] = field(default_factory=dict)
    """Table family (``entity``, ``item``, ``account``, ``transaction``) -> :attr:`version` of its last change."""
    everything_at: int = 0
    """:attr:`version` of the last change to every family at once (reset, restore)."""
    external_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    """Record type -> external id -> internal id: NetSuite looks records up by external id in constant time, and so
    must the sandbox, or every ``eid:`` read would slow down as the account grows."""

    def __post_init__(self) -> None:
        self.reset()

    # --- records --------------------------------------------------------------------------------

    def now(self) -> str:
        """The current instant as NetSuite's REST API writes it (UTC, seconds)."""
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def today(self) -> str:
        """Today's date (``YYYY-MM-DD``), the default ``tranDate``."""
        return datetime.fromtimestamp(self.clock(), UTC).date().isoformat()

    def new_id(self, rtype: str) -> str:
        """The next internal id in the record type's family."""
        table = RECORD_TYPES[rtype].table
        self.counters[table] = self.counters.get(table, 0) + 1
        return str(self.counters[table])

    def changed(self, rtype: str | None = None) -> None:
        """Note a change to records of ``rtype`` (``None``: of every type): what was computed from them is out of date.

        Every write calls it: :meth:`add`, :meth:`remove`, an update in place, reset and restore.
        """
        self.version += 1
        if rtype is None:
            self.everything_at = self.version
        else:
            self.stamps[RECORD_TYPES[rtype].table] = self.version

    def stamp(self, family: str) -> int:
        """The :attr:`version` at which records of ``family`` last changed."""
        return max(self.stamps.get(family, 0), self.everything_at)

    def add(self, rtype: str, fields: dict[str, Any], sublists: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        """Store a new record and return it."""
        stamp = self.now()
        record = {"id": self.new_id(rtype), "type": rtype, "fields": fields, "sublists": sublists,
                  "created": stamp, "modified": stamp}
        self.records[rtype][record["id"]] = record
        self._index_external_id(record)
        self.changed(rtype)
        return record

    def remove(self, record: dict[str, Any]) -> None:
        """Delete a stored record."""
        del self.records[record["type"]][record["id"]]
        self._unindex_external_id(record["type"], record["fields"].get("externalId"), record["id"])
        self.changed(record["type"])

    def replace(self, record: dict[str, Any], work: dict[str, Any]) -> None:
        """Make a stored record ``work`` (an updated copy of it), in place."""
        old_external_id = record["fields"].get("externalId")
        record.clear()
        record.update(work)
        if record["fields"].get("externalId") != old_external_id:
            self._unindex_external_id(record["type"], old_external_id, record["id"])
            self._index_external_id(record)
        self.changed(record["type"])

    def get(self, rtype: str, record_id: str) -> dict[str, Any]:
        """A record by internal id, or NetSuite's 404 ``NONEXISTENT_ID``."""
        found = self.records[rtype].get(record_id)
        if found is None:
            raise nonexistent()
        return found

    def by_external_id(self, rtype: str, external_id: str) -> dict[str, Any] | None:
        """The record of this type carrying ``externalId``, if any."""
        record_id = self.external_ids.get(rtype, {}).get(external_id)
        return None if record_id is None else self.records[rtype].get(record_id)

    def by_external_id_in(self, family: str, external_id: str) -> dict[str, Any] | None:
        """The record of a family (``entity``, ``item``...) or of one record type carrying ``externalId``, if any."""
        return next((found for rtype in _types_of(family)
                     if (found := self.by_external_id(rtype, external_id)) is not None), None)

    def _index_external_id(self, record: dict[str, Any]) -> None:
        external_id = record["fields"].get("externalId")
        if external_id not in (None, ""):
            self.external_ids.setdefault(record["type"], {})[external_id] = record["id"]

    def _unindex_external_id(self, rtype: str, external_id: Any, record_id: str) -> None:
        index = self.external_ids.get(rtype, {})
        if external_id in index and index[external_id] == record_id:
            del index[external_id]

    def family(self, family: str) -> Iterator[dict[str, Any]]:
        """Every record of a family (``item``, ``transaction``...) or of one record type."""
        for rtype in _types_of(family):
            yield from self.records[rtype].values()

    def find(self, family: str, record_id: str) -> dict[str, Any] | None:
        """A record of a family by internal id (ids are unique within a family)."""
        return next((found for rtype in _types_of(family) if (found := self.records[rtype].get(record_id)) is not None),
                    None)

    def referrers(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Records holding a reference to ``record`` (deleting it would orphan them)."""
        return [other for bucket in self.records.values() for other in bucket.values()
                if other is not record and _refers(other, record["type"], record["id"])]

    # --- admin protocol -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every record and reseed the chart of accounts."""
        self.records = {name: {} for name in RECORD_TYPES}
        self.counters = {}
        self.external_ids = {}
        self.changed()
        for number, name, kind in SEED_ACCOUNTS:
            self.add("account", {"acctNumber": number, "acctName": name, "acctType": kind, "isInactive": False},
                     {})

    def inspect(self) -> dict[str, Any]:
        """Counts and records by type."""
        return {"counts": {name: len(bucket) for name, bucket in self.records.items()},
                "records": copy.deepcopy(self.records)}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the whole state."""
        return {"records": copy.deepcopy(self.records), "counters": dict(self.counters)}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        saved = data.get("records", {})
        self.records = {name: dict(saved.get(name, {})) for name in RECORD_TYPES}
        self.counters = {k: int(v) for k, v in data.get("counters", {}).items()}
        self.external_ids = {}
        for bucket in self.records.values():
            for record in bucket.values():
                self._index_external_id(record)
        self.changed()


def _types_of(family: str) -> list[str]:
    """The record types of a family (``entity``: ``customer``...), or the one record type named."""
    return [family] if family in RECORD_TYPES else [t for t, spec in RECORD_TYPES.items() if spec.table == family]


def _refers(record: dict[str, Any], rtype: str, record_id: str) -> bool:
    values = list(record["fields"].values())
    for lines in record["sublists"].values():
        for line in lines:
            values.extend(line.values())
    return any(isinstance(v, dict) and v.get("$ref") == rtype and v.get("id") == record_id for v in values)
