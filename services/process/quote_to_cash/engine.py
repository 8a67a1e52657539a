"""Starting, kicking and inspecting workflows: what the process API and the workers share.

A *kick* asks some worker to advance a workflow. Kicks travel on a private command stream (``q2c``) of the
runtime's event bus, so they get consumer groups, reclaim of a dead worker's messages and dead letters for
free; the saga's lease makes a duplicate kick harmless. Durable timers (retries, ``WaitUntil``, subject
re-checks) become kicks when due. ``DealLinks`` keeps the ids one deal has in every system, so the workflows
that follow an activation (invoice sync, amendment, usage, ...) find them without asking each system.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from redis.asyncio import Redis

from contracts.event_payloads import WorkflowCompleted, WorkflowNeedsAttention
from contracts.events import CloudEvent, build_event, new_event
from services.process.quote_to_cash.metrics_book import MetricsBook
from services.process.quote_to_cash.pipeline import DealBoard
from services.process.quote_to_cash.saga import (
    Assignment,
    PersonRequest,
    RunnerPolicy,
    SagaRunner,
    Summary,
    WorkflowDefinition,
    WorkflowRecord,
    WorkflowState,
    WorkflowStore,
)
from services.runtime.correlation import current_correlation_id
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace

__all__ = ["KICK_STREAM", "KICK_TYPE", "DealLinks", "UnknownWorkflowError", "Workflows"]

KICK_STREAM = "q2c"
"""The private command stream of workflow kicks (not part of the event catalogue)."""
KICK_TYPE = "revflow.process.workflow.run_requested.v1"
ACTIONS = ("resume", "retry", "cancel")
_SAFETY_NET = timedelta(seconds=10)

_log = logging.getLogger("revflow.process")


class UnknownWorkflowError(KeyError):
    """No workflow has this id."""


class CatalogMemo:
    """Which catalogue items were synced to billing recently, and with what definition.

    An activation syncs each of its deal's items to the billing catalogue. Most deals sell the same items at
    the same list prices, so an item synced with the very same definition less than ``ttl_s`` ago is not synced
    again: a definition that changes (a new name or list price) is synced at once, and an edit made in the
    billing system's own UI is overwritten at the latest ``ttl_s`` later. ``ttl_s`` 0 syncs every time.
    """

    def __init__(self, redis: Redis, keyspace: KeySpace, ttl_s: float) -> None:
        self.redis, self.keyspace, self.ttl_ms = redis, keyspace, int(ttl_s * 1000)

    def _key(self, sku: str) -> str:
        return self.keyspace.tagged("q2c:catalog", sku)

    @staticmethod
    def _digest(definition: Any) -> str:
        return hashlib.sha256(msgspec.json.encode(definition, order="sorted")).hexdigest()

    async def synced(self, sku: str, definition: Any) -> bool:
        """Whether ``sku`` was synced with exactly ``definition`` within the last ``ttl_s``."""
        if self.ttl_ms <= 0:
            return False
        raw = await self.redis.get(self._key(sku))
        return raw is not None and raw.decode() == self._digest(definition)

    async def remember(self, sku: str, definition: Any) -> None:
        """Record that ``sku`` was just synced with ``definition``."""
        if self.ttl_ms > 0:
            await self.redis.set(self._key(sku), self._digest(definition), px=self.ttl_ms)


class DealLinks:
    """The ids one deal has in each system (``customer_key``, ``subscription_id``, ``revenue_contract_id``...)."""

    def __init__(self, redis: Redis, keyspace: KeySpace) -> None:
        self.redis, self.keyspace = redis, keyspace
        self.subscriptions_key = keyspace.tagged("q2c:subscriptions")
        self.one_off_key = keyspace.tagged("q2c:one_off_invoices")
        """Billing invoice id -> deal, for deals billed by one invoice and no subscription."""
        self.invoices_key = keyspace.tagged("q2c:invoices")

    def _key(self, deal: str) -> str:
        return self.keyspace.tagged(f"deal:{deal}")

    async def record(self, deal: str, **ids: str | None) -> None:
        values = {k: v for k, v in ids.items() if v is not None}
        if values:
            await self.redis.hset(self._key(deal), mapping=values)
        if ids.get("subscription_id"):
            await self.redis.hset(self.subscriptions_key, str(ids["subscription_id"]), deal)
        if ids.get("one_off_invoice_id"):
            await self.redis.hset(self.one_off_key, str(ids["one_off_invoice_id"]), deal)

    async def of(self, deal: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self._key(deal))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def deal_of_subscription(self, subscription_id: str) -> str | None:
        raw = await self.redis.hget(self.subscriptions_key, subscription_id)
        return raw.decode() if raw is not None else None

    async def deal_of_one_off_invoice(self, invoice_id: str) -> str | None:
        raw = await self.redis.hget(self.one_off_key, invoice_id)
        return raw.decode() if raw is not None else None

    async def record_invoice(self, billing_invoice_id: str, erp_invoice_id: str) -> None:
        await self.redis.hset(self.invoices_key, billing_invoice_id, erp_invoice_id)

    async def erp_invoice_of(self, billing_invoice_id: str) -> str | None:
        raw = await self.redis.hget(self.invoices_key, billing_invoice_id)
        return raw.decode() if raw is not None else None

    async def deals(self) -> list[str]:
        """Every deal revflow made a subscription or a one-off invoice for (a cancelled activation's stays listed)."""
        billed = [*await self.redis.hvals(self.subscriptions_key), *await self.redis.hvals(self.one_off_key)]
        return sorted({v.decode() for v in billed})


class Workflows:
    """The process tier's workflows over one Redis: start, kick, request, and (in workers) advance."""

    def __init__(self, redis: Redis, keyspace: KeySpace, bus: EventBus,
                 definitions: Mapping[str, WorkflowDefinition], *, systems: Any = None,
                 policy: RunnerPolicy | None = None, lease_ms: int = 10_000) -> None:
        self.bus, self.definitions = bus, definitions
        self.store = WorkflowStore(redis, keyspace, lease_ms=lease_ms)
        self.links = DealLinks(redis, keyspace)
        self.deals = DealBoard(self.store)
        """The pipeline rows of this process (grouped by deal, kept current incrementally)."""
        self.metrics = MetricsBook(redis, keyspace)
        """Every activated deal's finance figures per period, summed incrementally."""
        self.runner = SagaRunner(self.store, definitions, systems, kick=self.kick, policy=policy,
                                 on_change=self._announce)

    async def start(self, kind: str, subject: str, data: dict[str, Any], *, workflow_id: str | None = None,
                    correlation_id: str | None = None) -> tuple[WorkflowRecord, bool]:
        """Start a workflow (idempotent by id: a second start returns the first run, ``created=False``)."""
        definition = self.definitions.get(kind)
        if definition is None:
            raise ValueError(f"kind: unknown workflow {kind!r}; known: {', '.join(sorted(self.definitions))}")
        workflow_id = workflow_id or f"{kind}:{subject}"
        record = definition.new_record(workflow_id, subject, data, correlation_id or current_correlation_id())
        # A wake-up first: if this process dies before the kick below, the timer still starts the workflow.
        await self.store.schedule(workflow_id, datetime.now(UTC) + _SAFETY_NET)
        created = await self.store.create(record)
        if not created:
            existing = await self.store.load(workflow_id)
            return (existing or record), False
        await self.kick(workflow_id)
        return record, True

    async def knows_deal(self, deal: str) -> bool:
        """Whether ``deal`` has reached revflow: it has ids in the systems, or a workflow of it is queued or running."""
        return bool(await self.links.of(deal)) or await self.store.head_of(deal) is not None

    async def kick(self, workflow_id: str) -> None:
        """Ask a worker to advance ``workflow_id`` now."""
        event = new_event(type=KICK_TYPE, source="/services/process/quote_to_cash", subject=workflow_id,
                          data={"workflow_id": workflow_id}, correlationid=current_correlation_id())
        await self.bus.publish(event, stream=KICK_STREAM)

    async def get(self, workflow_id: str) -> WorkflowRecord:
        record = await self.store.load(workflow_id)
        if record is None:
            raise UnknownWorkflowError(workflow_id)
        return record

    async def request(self, workflow_id: str, action: str, *, actor: str | None = None,
                      note: str | None = None) -> WorkflowRecord:
        """Record a person's request (resume, retry, cancel) and kick the workflow; the worker applies it.

        The worker writes ``actor`` and ``note`` into the workflow's history.

        Raises:
            UnknownWorkflowError: no such workflow.
            ValueError: the action does not apply to the workflow's current state.
        """
        record = await self.get(workflow_id)
        if action not in ACTIONS:
            raise ValueError(f"action: one of {', '.join(ACTIONS)}")
        if record.state.is_terminal:
            raise ValueError(f"action: workflow {workflow_id} has already finished ({record.state})")
        refusal = self.definitions[record.kind].cancel_refusal(record) if action == "cancel" else None
        if refusal is not None:
            raise ValueError(f"action: {refusal}")
        if action in ("resume", "retry") and record.state not in (
                WorkflowState.PARKED, WorkflowState.DEAD_LETTERED, WorkflowState.RETRYING):
            raise ValueError(f"action: {action} applies to a parked, dead-lettered or retrying workflow; "
                             f"{workflow_id} is {record.state}")
        await self.store.request(workflow_id, PersonRequest(action=action, actor=actor, note=note))
        await self.kick(workflow_id)
        return record

    async def assign(self, workflow_id: str, assignee: str, *, actor: str, note: str | None = None) -> Assignment:
        """Name the person who works on a workflow's open exception (replacing any earlier assignee).

        Raises:
            UnknownWorkflowError: no such workflow.
            ValueError: the workflow has no open exception to work on.
        """
        record = await self.get(workflow_id)
        if record.exception is None or record.state.is_terminal:
            raise ValueError(f"workflow {workflow_id} has no open exception to assign ({record.state})")
        assignment = Assignment(assignee=assignee, assigned_by=actor, assigned_at=datetime.now(UTC),
                                exception_at=record.exception.occurred_at, note=note)
        await self.store.assign(workflow_id, assignment)
        return assignment

    async def current_assignments(self, records: Sequence[WorkflowRecord | Summary]) -> dict[str, Assignment]:
        """The assignment of each workflow's open exception (earlier exceptions' assignments do not carry over)."""
        found = await self.store.assignments([r.id for r in records if r.exception is not None])
        by_id = {r.id: r for r in records}
        return {wid: a for wid, a in found.items()
                if (exc := by_id[wid].exception) is not None and a.exception_at == exc.occurred_at}

    async def handle_kick(self, event: CloudEvent) -> None:
        """Consumer handler of the kick stream (workers only)."""
        workflow_id = (event.data or {}).get("workflow_id") if isinstance(event.data, dict) else None
        if workflow_id:
            await self.runner.advance(str(workflow_id))

    async def fire_timers(self, now: datetime | None = None) -> int:
        """Kick every workflow whose timer is due; the number kicked."""
        due = await self.store.due(now or datetime.now(UTC))
        for workflow_id, score in due:
            await self.kick(workflow_id)
            await self.store.clear_timer(workflow_id, score)
        return len(due)

    async def _announce(self, record: WorkflowRecord) -> None:
        """Publish ``workflow.completed`` or ``workflow.needs_attention`` for the other tiers."""
        now = datetime.now(UTC)
        payload: WorkflowCompleted | WorkflowNeedsAttention
        if record.state is WorkflowState.SUCCEEDED:
            payload = WorkflowCompleted(workflow_id=record.id, workflow=record.kind, subject=record.subject,
                                        completed_at=record.completed_at or now)
        elif record.exception is not None:
            payload = WorkflowNeedsAttention(
                workflow_id=record.id, workflow=record.kind, subject=record.subject, step=record.exception.step,
                owner=record.exception.owner, reason=record.exception.reason[:1000], fix=record.exception.fix[:1000],
                business_status=record.business_status,
                dead_lettered=record.state is WorkflowState.DEAD_LETTERED, occurred_at=now)
        else:
            return
        await self.bus.publish(build_event(payload, subject=record.subject, correlationid=record.correlation_id))
