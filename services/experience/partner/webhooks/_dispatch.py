"""Attempting due deliveries: sign, POST, log the attempt, and schedule the retry with exponential backoff.

Any number of replicas run a dispatcher; the schedule's claim script gives each due delivery to one of them.
A replica polls the schedule, and looks at once when it scheduled something itself (an event it consumed, a
ping, a redelivery), so a delivery does not wait for the next poll.
A receiver's 2xx ends a delivery. Anything else (another status, a timeout, a refused connection) is retried
after ``base * 2^(n-1)`` seconds capped at ``cap`` (the upper half jittered, so receivers coming back from an
outage are not hit by every retry at once), until ``max_attempts`` attempts have failed; the delivery is then
``failed`` and waits for a redelivery. Redirects are not followed: a webhook URL must answer itself.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from services.experience.partner.schemas import DeliveryAttempt, DeliveryStatus
from services.experience.partner.webhooks._signing import SIGNATURE_HEADER, signature_header
from services.experience.partner.webhooks._store import DeliveryRecord, WebhookStore

__all__ = ["DispatchPolicy", "Dispatcher", "backoff"]

_log = logging.getLogger("revflow.partner.webhooks")
USER_AGENT = "revflow-webhooks/1"


class DispatchPolicy:
    """How deliveries are attempted and retried."""

    def __init__(self, *, max_attempts: int = 8, base_seconds: float = 30.0, cap_seconds: float = 3_600.0,
                 lease_seconds: float = 60.0, poll_seconds: float = 1.0, concurrency: int = 16) -> None:
        self.max_attempts, self.base, self.cap = max_attempts, base_seconds, cap_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.poll, self.concurrency = poll_seconds, concurrency


def backoff(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the ``attempt``-th failed attempt: between half and all of ``base * 2^(n-1)``."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + rand() * ceiling / 2


class Dispatcher:
    """Claims due deliveries and attempts them, ``policy.concurrency`` at a time."""

    def __init__(self, store: WebhookStore, http: httpx.AsyncClient, policy: DispatchPolicy) -> None:
        self.store, self.http, self.policy = store, http, policy
        self._gate = asyncio.Semaphore(policy.concurrency)
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next poll (something was scheduled in this process)."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set."""
        tasks: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            try:
                await self.run_once(tasks)
            except Exception:
                _log.exception("webhook dispatch failed; retrying")
            await self._pause(stop)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the next poll, a wake-up, or the stop."""
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wakeup.wait())]
        try:
            await asyncio.wait(waits, timeout=self.policy.poll, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            self._wakeup.clear()

    async def run_once(self, tasks: set[asyncio.Task[None]] | None = None) -> int:
        """Claim what is due (as many as free slots) and start attempting it; the number started."""
        free = self.policy.concurrency - (len(tasks) if tasks is not None else 0)
        if free <= 0:
            return 0
        claimed = await self.store.claim_due(datetime.now(UTC), self.policy.lease, free)
        for tenant, delivery_id, lease in claimed:
            task = asyncio.create_task(self.attempt(tenant, delivery_id, lease))
            if tasks is not None:
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        return len(claimed)

    async def attempt(self, tenant: str, delivery_id: str, lease: int) -> None:
        """One attempt of one delivery this replica holds."""
        async with self._gate:
            record = await self.store.delivery(tenant, delivery_id)
            hook = await self.store.webhook(tenant, record.webhook_id) if record else None
            body = await self.store.payload(tenant, delivery_id) if record else None
            if record is None:
                await self.store.drop(tenant, delivery_id, lease)
                return
            if hook is None or body is None:
                await self._give_up(record, lease)
                return
            record.attempts += 1
            record.round_attempts += 1
            attempt = await self._post(record, hook.url, hook.secret, body)
            ok = attempt.status_code is not None and 200 <= attempt.status_code < 300
            self._advance(record, ok)
            await self.store.settle(record, lease, attempt)

    def _advance(self, record: DeliveryRecord, ok: bool) -> None:
        if ok:
            record.status, record.next_attempt_at, record.redelivering = DeliveryStatus.SUCCEEDED, None, False
        elif record.round_attempts >= self.policy.max_attempts:
            record.status, record.next_attempt_at, record.redelivering = DeliveryStatus.FAILED, None, False
        else:
            delay = backoff(record.round_attempts, self.policy.base, self.policy.cap)
            record.status = DeliveryStatus.RETRYING
            record.next_attempt_at = datetime.now(UTC) + timedelta(seconds=delay)

    async def _post(self, record: DeliveryRecord, url: str, secret: str, body: bytes) -> DeliveryAttempt:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   SIGNATURE_HEADER: signature_header(secret, body), "Revflow-Event-Id": record.event_id,
                   "Revflow-Event-Type": record.event_type, "Revflow-Delivery-Id": record.id,
                   "Revflow-Delivery-Attempt": str(record.attempts)}
        at = datetime.now(UTC)
        started = time.perf_counter()
        status, error = None, None
        try:
            response = await self.http.post(url, content=body, headers=headers)
            status = response.status_code
        except httpx.TimeoutException:
            error = "timed out"
        except Exception as exc:  # refused, reset, unresolvable: the attempt failed, the dispatcher goes on
            error = f"{type(exc).__name__}: could not deliver"
        return DeliveryAttempt(attempt=record.attempts, at=at, status_code=status, error=error,
                               duration_ms=int((time.perf_counter() - started) * 1000),
                               redelivery=record.redelivering)

    async def _give_up(self, record: DeliveryRecord, lease: int) -> None:
        record.status, record.next_attempt_at = DeliveryStatus.FAILED, None
        await self.store.settle(record, lease, None)
        _log.info("delivery %s dropped: its webhook or payload no longer exists", record.id)
