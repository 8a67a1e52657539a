"""Webhook signing and delivery with redelivery and delivery faults (dropped, duplicated, out of order).

The vendor app builds each delivery (URL, body bytes, a ``sign`` callable producing its signature headers
at send time) and hands it to :class:`WebhookDispatcher`, which posts from a background thread so request
handlers never wait on receivers. Failed deliveries (non-2xx or connection error) are retried with backoff
up to ``max_attempts``; ``redeliver`` resends a past delivery on demand. Fault draws use a seeded generator.
"""

from __future__ import annotations

import hashlib
import hmac
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Delivery", "DeliveryFaults", "WebhookDispatcher", "hmac_sha256_hex"]


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    """Hex HMAC-SHA256 of ``message`` under ``secret`` (the primitive most vendors sign with)."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """One webhook to send."""

    event_id: str
    """The vendor event id (for logs and redelivery)."""
    url: str
    """Receiver URL."""
    body: bytes
    """Exact bytes to post (the signature covers them)."""
    sign: Callable[[bytes], dict[str, str]]
    """Returns signature headers for the body, called at each attempt (fresh timestamps)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Other headers (content type, user agent)."""
    attempts: int = 0
    status: int | None = None
    delivered: bool = False


@dataclass
class DeliveryFaults:
    """Delivery faults; zero means off."""

    seed: int | None = None
    """Seed of the draws."""
    drop_rate: float = 0.0
    """Probability a delivery is silently never sent."""
    duplicate_rate: float = 0.0
    """Probability a delivery is sent twice."""
    reorder_window: int = 0
    """When > 1, deliveries are collected in groups of this size (or until 0.2 s pass) and sent shuffled."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeliveryFaults:
        """Build from JSON (raises TypeError/ValueError on bad fields)."""
        return cls(**data)


class WebhookDispatcher:
    """Background sender.

    Args:
        max_attempts: Attempts per delivery before giving up.
        retry_delay: First backoff in seconds (doubles each attempt).
        timeout: Per-attempt HTTP timeout in seconds.
    """

    def __init__(self, max_attempts: int = 3, retry_delay: float = 0.2, timeout: float = 5.0) -> None:
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.faults = DeliveryFaults()
        self._rng = random.Random()
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._pending = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self.log: list[dict[str, Any]] = []
        self.history: dict[str, list[Delivery]] = {}

    def set_faults(self, faults: DeliveryFaults) -> None:
        """Replace delivery faults and restart the random sequence."""
        self.faults = faults
        self._rng = random.Random(faults.seed)

    def reset(self) -> None:
        """Forget history and faults (queued deliveries still go out)."""
        self.set_faults(DeliveryFaults())
        self.log.clear()
        self.history.clear()

    def submit(self, delivery: Delivery) -> None:
        """Queue a delivery, applying drop/duplicate faults."""
        self.history.setdefault(delivery.event_id, []).append(delivery)
        if self._rng.random() < self.faults.drop_rate:
            self.log.append({"event": delivery.event_id, "url": delivery.url, "outcome": "dropped"})
            return
        copies = 2 if self._rng.random() < self.faults.duplicate_rate else 1
        for _ in range(copies):
            self._enqueue(delivery)

    def redeliver(self, event_id: str) -> int:
        """Send every past delivery of ``event_id`` again; returns how many were queued."""
        deliveries = self.history.get(event_id, [])
        for delivery in deliveries:
            self._enqueue(Delivery(delivery.event_id, delivery.url, delivery.body, delivery.sign,
                                   dict(delivery.headers)))
        return len(deliveries)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def _enqueue(self, delivery: Delivery) -> None:
        with self._lock:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
                self._thread.start()
        self._queue.put(delivery)

    def _batch(self) -> list[Delivery]:
        batch = [self._queue.get()]
        window = self.faults.reorder_window
        deadline = time.monotonic() + 0.2
        while window > 1 and len(batch) < window and time.monotonic() < deadline:
            try:
                batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        if window > 1:
            self._rng.shuffle(batch)
        return batch

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                for delivery in self._batch():
                    try:
                        self._send(client, delivery)
                    finally:
                        with self._lock:
                            self._pending -= 1
                            self._lock.notify_all()

    def _send(self, client: httpx.Client, delivery: Delivery) -> None:
        delay = self.retry_delay
        while delivery.attempts < self.max_attempts:
            delivery.attempts += 1
            headers = {**delivery.headers, **delivery.sign(delivery.body)}
            try:
                status: int | None = client.post(delivery.url, content=delivery.body, headers=headers).status_code
            except httpx.HTTPError:
                status = None
            delivery.status = status
            delivery.delivered = status is not None and 200 <= status < 300
            self.log.append({"event": delivery.event_id, "url": delivery.url, "attempt": delivery.attempts,
                             "status": status, "outcome": "delivered" if delivery.delivered else "failed"})
            if delivery.delivered:
                return
            time.sleep(delay)
            delay *= 2
