"""The HubSpot sandbox's in-memory state: records by object type, associations, and pending webhook events."""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .schema import Prop, build_properties

__all__ = ["HubSpotState", "WebhookConfig"]


@dataclass
class WebhookConfig:
    """The app's webhook settings: where events go, the secret they are signed with, what is subscribed."""

    target_url: str | None = None
    app_secret: str = "sandbox-app-secret"
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    """``{"id", "eventType", "propertyName"?, "active"}`` as HubSpot's webhooks API lists them."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready view (the secret is shown: this is a sandbox)."""
        return {"targetUrl": self.target_url, "appSecret": self.app_secret,
                "subscriptions": copy.deepcopy(self.subscriptions)}


@dataclass
class HubSpotState:
    """Everything the sandbox knows.

    Args:
        seed: Makes object ids repeat from one run to the next.
        clock: Wall clock in unix seconds.
        portal_id: The HubSpot account id (appears in webhook events).
        app_id: The private app's id (appears in webhook events).
        custom_properties: Extra property definitions by object type.
    """

    seed: int | None = None
    clock: Callable[[], float] = field(default=lambda: datetime.now(UTC).timestamp())
    portal_id: int = 62515
    app_id: int = 1160452
    custom_properties: dict[str, list[Prop]] | None = None
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    associations: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    """``"type:id"`` -> ``"totype:toid"`` -> association type ids (both directions are stored)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """Events raised by the request being handled; the wire layer hands them to delivery."""
    sent_events: list[dict[str, Any]] = field(default_factory=list)
    webhooks: WebhookConfig = field(default_factory=WebhookConfig)
    initial_webhooks: WebhookConfig = field(default_factory=WebhookConfig)
    """Webhook settings the app was built with; a reset returns to them."""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.properties = build_properties(self.custom_properties)
        self.reset()

    def now(self) -> datetime:
        """The current instant, UTC."""
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def new_id(self) -> str:
        """A fresh numeric object id (HubSpot ids are numeric strings)."""
        self._next_id += self._rng.randint(1, 97)
        return str(self._next_id)

    def new_event_id(self) -> int:
        """A fresh webhook event id."""
        self._next_event += 1
        return self._next_event

    # --- admin protocol -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every record, association and event; webhook settings return to the app's initial ones."""
        self._rng = random.Random(self.seed)
        self._next_id = 10_000_000_000 + self._rng.randint(0, 10**9)
        self._next_event = self._rng.randint(1, 10**6)
        self.objects = {t: {} for t in self.properties}
        self.associations = {}
        self.events = []
        self.sent_events = []
        self.webhooks = copy.deepcopy(self.initial_webhooks)

    def inspect(self) -> dict[str, Any]:
        """Counts and records by type, associations and the webhook log."""
        counts = {t: sum(1 for r in bucket.values() if not r["archived"]) for t, bucket in self.objects.items()}
        return {"counts": counts, "archived": {t: len(b) - counts[t] for t, b in self.objects.items()},
                "objects": copy.deepcopy(self.objects), "associations": copy.deepcopy(self.associations),
                "webhooks": self.webhooks.to_json(), "events": copy.deepcopy(self.sent_events)}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the whole state."""
        return {"objects": copy.deepcopy(self.objects), "associations": copy.deepcopy(self.associations),
                "webhooks": self.webhooks.to_json(), "next_id": self._next_id}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        self.objects = {t: dict(data.get("objects", {}).get(t, {})) for t in self.properties}
        self.associations = copy.deepcopy(data.get("associations", {}))
        hooks = data.get("webhooks", {})
        self.webhooks = WebhookConfig(hooks.get("targetUrl"), hooks.get("appSecret", self.webhooks.app_secret),
                                      list(hooks.get("subscriptions", [])))
        self._next_id = int(data.get("next_id", self._next_id))
