"""An in-memory idempotency record store: first response per key, replayed for matching repeats.

The vendor decides what counts as "the same request" (its fingerprint) and which responses are saved;
the store only remembers them, scoped per caller (for example per API key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["IdempotencyStore", "Saved"]


@dataclass(frozen=True)
class Saved:
    """A saved first response."""

    fingerprint: str
    """Hash of method, path and parameters of the first request."""
    status: int
    """Status code of the first response."""
    body: bytes
    """Body bytes of the first response."""
    headers: tuple[tuple[str, str], ...] = ()
    """Headers worth replaying (for example the request id)."""


class IdempotencyStore:
    """Saved responses keyed by ``(scope, key)``."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], Saved] = {}

    def get(self, scope: str, key: str) -> Saved | None:
        """The saved response for this key, if any."""
        return self._records.get((scope, key))

    def save(self, scope: str, key: str, saved: Saved) -> None:
        """Remember the first response (a later save for the same key is ignored)."""
        self._records.setdefault((scope, key), saved)

    def clear(self) -> None:
        """Forget every key."""
        self._records.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        """JSON-ready records."""
        return [
            {"scope": s, "key": k, "fingerprint": v.fingerprint, "status": v.status,
             "body": v.body.decode(), "headers": [list(h) for h in v.headers]}
            for (s, k), v in self._records.items()
        ]

    def restore(self, records: list[dict[str, Any]]) -> None:
        """Load records written by :meth:`snapshot`."""
        self._records = {
            (r["scope"], r["key"]): Saved(r["fingerprint"], r["status"], r["body"].encode(),
                                          tuple(tuple(h) for h in r["headers"]))
            for r in records
        }

    def __len__(self) -> int:
        return len(self._records)
