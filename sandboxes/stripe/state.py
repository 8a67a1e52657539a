"""The Stripe sandbox's in-memory state: objects by type, events, idempotency records, clocks."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sandboxes._kit import IdempotencyStore, IdFactory

from .errors import not_found

__all__ = ["KINDS", "RequestInfo", "StripeState"]

# object type -> (id prefix, noun used in "No such <noun>" messages)
KINDS: dict[str, tuple[str, str]] = {
    "customer": ("cus", "customer"),
    "product": ("prod", "product"),
    "price": ("price", "price"),
    "subscription": ("sub", "subscription"),
    "invoice": ("in", "invoice"),
    "invoiceitem": ("ii", "invoiceitem"),
    "credit_note": ("cn", "credit_note"),
    "charge": ("ch", "charge"),
    "refund": ("re", "refund"),
    "billing.meter": ("mtr", "billing.meter"),
    "billing.meter_event": ("mev", "billing.meter_event"),
    "test_helpers.test_clock": ("clock", "test_clock"),
    "webhook_endpoint": ("we", "webhook_endpoint"),
    "event": ("evt", "event"),
}
_BY_PREFIX = {prefix: kind for kind, (prefix, _) in KINDS.items()}


@dataclass
class RequestInfo:
    """The request being handled (events record it)."""

    id: str | None = None
    idempotency_key: str | None = None
    api_version: str = "2024-04-10"


@dataclass
class StripeState:
    """Everything the sandbox knows.

    Args:
        ids: Id factory (seeded for deterministic ids).
        clock: Wall clock in unix seconds; tests may pin it.
    """

    ids: IdFactory = field(default_factory=IdFactory)
    clock: Callable[[], float] = time.time
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in KINDS})
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    request: RequestInfo = field(default_factory=RequestInfo)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    metered_from: dict[str, int] = field(default_factory=dict)
    """Subscription item id -> when its current metered price took effect (Stripe keeps this out of the object)."""
    on_event: Callable[[dict[str, Any]], None] | None = None
    """Called with each new event (the app wires webhook delivery here)."""

    def new_id(self, kind: str) -> str:
        """A fresh id for an object of ``kind``."""
        return self.ids.new(KINDS[kind][0])

    def now(self, customer: str | dict[str, Any] | None = None) -> int:
        """Current time in unix seconds; a customer on a test clock sees the clock's frozen time."""
        cust = self.objects["customer"].get(customer) if isinstance(customer, str) else customer
        clock_id = cust.get("test_clock") if cust else None
        if clock_id and clock_id in self.objects["test_helpers.test_clock"]:
            return int(self.objects["test_helpers.test_clock"][clock_id]["frozen_time"])
        return int(self.clock())

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object (its ``object`` field names the collection)."""
        self.objects[obj["object"]][obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: Any, param: str = "id") -> dict[str, Any]:
        """Fetch an object or raise Stripe's ``resource_missing``."""
        found = self.objects[kind].get(object_id) if isinstance(object_id, str) else None
        if found is None or found.get("deleted"):
            raise not_found(KINDS[kind][1], str(object_id), param)
        return found

    def find(self, object_id: str) -> dict[str, Any] | None:
        """Any object by id (used by ``expand[]``)."""
        kind = _BY_PREFIX.get(object_id.split("_", 1)[0])
        if kind is None:
            return None
        return self.objects[kind].get(object_id)

    def newest_first(self, kind: str, where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        """Objects of ``kind`` newest first, optionally filtered."""
        items: Iterator[dict[str, Any]] = reversed(list(self.objects[kind].values()))
        return [o for o in items if not o.get("deleted") and (where is None or where(o))]

    # --- admin protocol -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object, event and idempotency key."""
        for bucket in self.objects.values():
            bucket.clear()
        self.idempotency.clear()
        self.webhook_secrets.clear()
        self.metered_from.clear()
        self.ids.reset()

    def inspect(self) -> dict[str, Any]:
        """Counts and objects by type."""
        return {
            "counts": {kind: len(bucket) for kind, bucket in self.objects.items()},
            "objects": copy.deepcopy(self.objects),
            "idempotency_keys": len(self.idempotency),
        }

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the whole state."""
        return {"objects": copy.deepcopy(self.objects), "idempotency": self.idempotency.snapshot(),
                "webhook_secrets": dict(self.webhook_secrets), "metered_from": dict(self.metered_from)}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        self.objects = {k: dict(data.get("objects", {}).get(k, {})) for k in KINDS}
        self.idempotency.restore(data.get("idempotency", []))
        self.webhook_secrets = dict(data.get("webhook_secrets", {}))
        self.metered_from = dict(data.get("metered_from", {}))
