"""Governance of the quote-to-cash process: who owns which data, and which contracts exist and who uses them.

- ``sor``: the system-of-record map as the process applies it (start-up validation, drift between an owner and
  a follower found during a workflow).
- ``catalogue``: every API (service and major) and event type with owner, status, consumers and version diffs.

It reads configuration, committed contract files and Redis; it never writes to a system.
"""

from services.process.quote_to_cash.governance.catalogue import api_entries, build_catalogue, event_entries
from services.process.quote_to_cash.governance.sor import (
    DRIFT_CODE,
    Booked,
    active_map,
    booked_terms,
    check_drift,
    record_booked_terms,
    startup_map,
)

__all__ = [
    "DRIFT_CODE",
    "Booked",
    "active_map",
    "api_entries",
    "booked_terms",
    "build_catalogue",
    "check_drift",
    "event_entries",
    "record_booked_terms",
    "startup_map",
]
