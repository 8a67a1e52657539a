"""The Chargebee sandbox's in-memory state: resources by type, the site clock, sequences, idempotency."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandboxes._kit import IdempotencyStore, IdFactory

from .errors import not_found

__all__ = ["KINDS", "ChargebeeState", "WebhookConfig"]

KINDS = ("customer", "item_family", "item", "item_price", "subscription", "invoice", "credit_note", "transaction",
         "usage", "unbilled_charge", "payment_source", "event")


@dataclass
class WebhookConfig:
    """Where events go; Chargebee protects the URL with optional HTTP Basic credentials, not a signature."""

    url: str | None = None
    username: str | None = None
    password: str | None = None


@dataclass
class ChargebeeState:
    """Everything the sandbox knows.

    Args:
        ids: Id factory (seeded for deterministic ids).
        clock: Wall clock in unix seconds; time travel adds an offset to it.
    """

    ids: IdFactory = field(default_factory=lambda: IdFactory(length=17))
    clock: Callable[[], float] = time.time
    offset: int = 0
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in KINDS})
    sequences: dict[str, int] = field(default_factory=dict)
    scheduled: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Subscription items to apply at the end of the current term (``end_of_term`` changes), by subscription."""
    items_changed_at: dict[str, int] = field(default_factory=dict)
    """When each subscription's items last changed (a backdated change may not reach before it), by subscription."""
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    source: str = "api"
    """Source recorded on events (``api`` for requests, ``scheduled_job`` for renewals)."""
    on_event: Callable[[dict[str, Any]], None] | None = None
    webhook_status: Callable[[str], str] | None = None
    """Delivery status of an event id (wired by the app to the dispatcher)."""

    def now(self) -> int:
        """The site's current time in unix seconds (after any time travel)."""
        return int(self.clock()) + self.offset

    def new_id(self, prefix: str = "") -> str:
        """A Chargebee-looking random id (``AzZlGJT9K3Vv71J0Y``), optionally prefixed (``ev_``)."""
        return self.ids.new(prefix)

    def next_number(self, name: str, prefix: str = "") -> str:
        """The next id of a numbered series (invoices ``1, 2, ...``; credit notes ``CN-1``)."""
        self.sequences[name] = self.sequences.get(name, 0) + 1
        return f"{prefix}{self.sequences[name]}"

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new resource (its ``object`` field names the collection)."""
        self.objects[obj["object"]][obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: Any, param: str | None = None) -> dict[str, Any]:
        """Fetch a resource or raise Chargebee's ``resource_not_found``."""
        found = self.objects[kind].get(object_id) if isinstance(object_id, str) else None
        if found is None or found.get("deleted"):
            raise not_found(param)
        return found

    def touch(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Record a change: ``updated_at`` and ``resource_version`` (milliseconds, strictly increasing)."""
        obj["updated_at"] = self.now()
        obj["resource_version"] = max(obj.get("resource_version", 0) + 1, self.now() * 1000)
        return obj

    # --- admin protocol -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every resource, sequence, idempotency key and the clock offset."""
        for bucket in self.objects.values():
            bucket.clear()
        self.sequences.clear()
        self.scheduled.clear()
        self.items_changed_at.clear()
        self.idempotency.clear()
        self.webhook = WebhookConfig()
        self.offset = 0
        self.ids.reset()

    def inspect(self) -> dict[str, Any]:
        """Counts and resources by type, and the site clock."""
        return {"counts": {kind: len(bucket) for kind, bucket in self.objects.items()},
                "objects": copy.deepcopy(self.objects), "now": self.now(),
                "idempotency_keys": len(self.idempotency)}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the whole state."""
        return {"objects": copy.deepcopy(self.objects), "sequences": dict(self.sequences), "offset": self.offset,
                "scheduled": copy.deepcopy(self.scheduled), "items_changed_at": dict(self.items_changed_at),
                "idempotency": self.idempotency.snapshot(), "webhook": vars(self.webhook).copy()}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        self.objects = {k: dict(data.get("objects", {}).get(k, {})) for k in KINDS}
        self.sequences = dict(data.get("sequences", {}))
        self.offset = int(data.get("offset", 0))
        self.scheduled = copy.deepcopy(data.get("scheduled", {}))
        self.items_changed_at = {k: int(v) for k, v in data.get("items_changed_at", {}).items()}
        self.idempotency.restore(data.get("idempotency", []))
        self.webhook = WebhookConfig(**data.get("webhook", {}))
