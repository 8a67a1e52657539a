"""The durable step runner: workflows as ordered ``(do, undo)`` steps whose state lives in Redis.

A workflow is a ``WorkflowDefinition`` (a kind and its steps) applied to one input. The runner advances a
workflow under a **lease** (a fencing token in Redis), persisting the whole record after every step, so a
worker that dies mid-step loses nothing: another worker reclaims the kick (see ``queue``), takes the lease
when it lapses and re-runs the unfinished step. That re-run is a no-op downstream because each step's
idempotency key is ``<workflow id>:<step name>`` and the system APIs pass it on in the vendor's own
idempotency mechanism.

How a step's failure is handled:

- ``StepFailed(retryable=True)`` (a 429, 5xx, timeout, open circuit): retried with exponential backoff and full
  jitter through a durable timer; after ``max_attempts`` the workflow is ``dead_lettered`` (business status
  ``needs_attention``, owner ``integration`` unless the failure named one) and waits for a replay.
- ``StepFailed(retryable=False)`` (bad data, missing master data): the workflow is ``parked`` with the business
  status, owner and fix the failure carries, and waits for ``resume`` after the fix.
- ``WaitUntil``: the workflow sleeps on a durable timer and continues at that instant (timers survive restarts).

``cancel`` compensates: the ``undo`` of every completed step runs in reverse order, each with its own
idempotency key (``<workflow id>:<step>:undo``). A step attempted but not finished (its answer lost, its
worker killed) may still have written: its ``find_unfinished``, when it has one, looks for what it wrote, and
what it finds is undone. A finished step without an undo (master data, a read) is kept. A definition may name the step
after which its effects are live (``live_after``): from then on ``cancel`` is refused with the way to end them.
Workflows of one subject (a deal) run one at a time in arrival order: a later one waits while an earlier one is
unfinished, parked included; only a dated one (usage of a day) passes one that waits on a timer for a later day.

Keys (Redis Cluster ready): a workflow's record and lease share the hash tag ``{wf:<id>}``; the listing index,
the per-subject queues and the timers have their own tags and are only read or written one key at a time.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from prometheus_client import Counter, Histogram
from redis.asyncio import Redis
from redis.exceptions import RedisError

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.mirror import HashMirror, VersionedHash
from services.runtime.metrics import REGISTRY
from services.runtime.redis import KeySpace

__all__ = [
    "Assignment",
    "ExceptionRecord",
    "HistoryEntry",
    "LeaseLost",
    "PersonRequest",
    "Step",
    "StepContext",
    "StepFailed",
    "StepRecord",
    "WaitUntil",
    "WorkflowDefinition",
    "WorkflowRecord",
    "WorkflowState",
    "WorkflowStore",
]

_log = logging.getLogger("revflow.saga")

STEP_LATENCY = Histogram(
    "revflow_workflow_step_duration_seconds", "Workflow step run time by workflow, step and outcome.",
    ["workflow", "step", "outcome"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
WORKFLOWS_FINISHED = Counter(
    "revflow_workflows_finished_total", "Workflows that reached a terminal state, by workflow and outcome.",
    ["workflow", "outcome"], registry=REGISTRY,
)


class WorkflowState(enum.StrEnum):
    """The technical state of a workflow (finance reads ``BusinessStatus`` instead)."""

    RUNNING = "running"
    RETRYING = "retrying"
    """A step failed transiently; a timer brings it back after the backoff."""
    WAITING = "waiting"
    """On a timer (``WaitUntil``) or behind an earlier workflow of the same subject."""
    PARKED = "parked"
    """A step failed for a reason a person must fix; ``resume`` continues from that step."""
    DEAD_LETTERED = "dead_lettered"
    """Retries exhausted; ``retry`` (replay) continues from that step."""
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    SUCCEEDED = "succeeded"

    @property
    def is_terminal(self) -> bool:
        return self in (WorkflowState.SUCCEEDED, WorkflowState.COMPENSATED)


class StepFailed(Exception):
    """A step could not complete; says whether retrying can help, who owns the fix, and what the fix is.

    ``refused``: the request the workflow was started with can never be carried out as asked (a credit larger than
    the invoice, usage of a product the deal does not meter) and nothing of it was written. Parking it would hold
    every later workflow of the deal for a resume that cannot succeed, so the workflow ends instead (``refused`` in
    its history, with the reason and the fix: ask again, correctly) and undoes any step it had done.
    """

    def __init__(self, reason: str, *, retryable: bool, owner: ExceptionOwner = ExceptionOwner.INTEGRATION,
                 fix: str | None = None, code: str | None = None,
                 business_status: BusinessStatus = BusinessStatus.NEEDS_ATTENTION,
                 retry_after: float | None = None, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.retryable, self.owner, self.code = reason, retryable, owner, code
        self.refused = refused and not retryable
        self.fix = fix or ("Nothing to do: revflow retries on its own." if retryable
                           else "Correct the cause named in the reason, then resume the workflow.")
        self.business_status, self.retry_after = business_status, retry_after


class WaitUntil(Exception):
    """Raised by a step to sleep on a durable timer; the step runs again at ``until``.

    ``effects_from`` is the business day the workflow waits for, from which its changes apply: a later workflow of
    the subject about an earlier day (``WorkflowDefinition.dated``) runs ahead of it meanwhile.
    """

    def __init__(self, until: datetime, reason: str, *, effects_from: date | None = None) -> None:
        super().__init__(reason)
        self.until, self.reason, self.effects_from = until, reason, effects_from


class LeaseLost(RuntimeError):
    """Another worker holds the workflow now (this one stalled past its lease); stop touching it."""


class StepRecord(msgspec.Struct, kw_only=True):
    name: str
    status: str = "pending"
    """``pending``, ``running``, ``done``, ``failed``, ``refused``, ``undone`` or ``skipped``; a finished step
    without an undo stays ``done`` through compensation (master data, reads)."""
    attempts: int = 0
    """Runs since the workflow was started or last resumed (the retry budget); ``history`` has every run."""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    output: dict[str, Any] = {}
    error: str | None = None


class ExceptionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Why a workflow stopped, who must act, and what to do."""

    step: str
    owner: ExceptionOwner
    reason: str
    fix: str
    code: str | None = None
    retryable: bool = False
    occurred_at: datetime


def _exception_of(step: str, failure: StepFailed, *, fix: str | None = None) -> ExceptionRecord:
    """The exception a failed step leaves on its workflow (``fix`` when the runner says more than the step)."""
    return ExceptionRecord(step=step, owner=failure.owner, reason=failure.reason, fix=fix or failure.fix,
                           code=failure.code, retryable=failure.retryable, occurred_at=_now())


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    step: str | None
    event: str
    """``started``, ``step_started``, ``step_done``, ``retry_scheduled``, ``parked``, ``resumed``, ..."""
    detail: str | None = None
    actor: str | None = None
    """Who asked for it, for what people do (``resumed``, ``replayed``, ``cancel_requested``): the person named by
    the calling application, else the calling client."""


class PersonRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What a person asked of a workflow (resume, retry, cancel), waiting for the worker that applies it."""

    action: str
    actor: str | None = None
    note: str | None = None


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    """Who works on a workflow's exception.

    It holds for that exception only: once the workflow parks again, the new exception is unassigned.
    """

    assignee: str
    assigned_by: str
    assigned_at: datetime
    exception_at: datetime
    """``occurred_at`` of the exception assigned."""
    note: str | None = None


class WorkflowRecord(msgspec.Struct, kw_only=True):
    """Everything known about one workflow run; persisted whole after every step."""

    id: str
    kind: str
    subject: str
    """The business key the workflow changes (the opportunity or contract); serialises workflows."""
    input: dict[str, Any]
    state: WorkflowState = WorkflowState.RUNNING
    business_status: BusinessStatus = BusinessStatus.PENDING_VALIDATION
    step_index: int = 0
    steps: list[StepRecord] = []
    exception: ExceptionRecord | None = None
    refusal: ExceptionRecord | None = None
    """Why the request the workflow was started with was refused (it then ended compensated, owing nothing)."""
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    wake_at: datetime | None = None
    waiting_for: str | None = None
    effects_from: date | None = None
    """While on a timer: the business day the workflow waits for (``WaitUntil.effects_from``)."""
    correlation_id: str | None = None
    compensate: bool = False
    """Set by ``cancel``: the runner undoes completed steps instead of advancing."""
    resumes: int = 0
    """Manual interventions (resume, retry) so far."""
    history: list[HistoryEntry] = []
    external_ids: dict[str, str] = {}
    """Ids created in each system (``erp_customer``, ``subscription``, ...), collected from step outputs."""

    def step(self, name: str) -> StepRecord:
        return next(s for s in self.steps if s.name == name)

    def output(self, name: str) -> dict[str, Any]:
        """The output of step ``name`` (empty until it completed)."""
        return self.step(name).output

    def note(self, event: str, step: str | None = None, detail: str | None = None, actor: str | None = None) -> None:
        self.history.append(HistoryEntry(at=_now(), step=step, event=event, detail=detail, actor=actor))


@dataclass(frozen=True, kw_only=True)
class StepContext:
    """What a step sees: the workflow (input and earlier outputs), its idempotency key and the system APIs."""

    workflow: WorkflowRecord
    step: str
    key: str
    """``<workflow id>:<step>`` (``:undo`` for compensation): pass it as the Idempotency-Key of every write."""
    systems: Any
    attempt: int

    @property
    def input(self) -> dict[str, Any]:
        return self.workflow.input

    def output(self, step: str) -> dict[str, Any]:
        return self.workflow.output(step)

    def sub_key(self, part: str) -> str:
        """A key for one of several writes within the step (``<key>:<part>``)."""
        return f"{self.key}:{part}"


StepFn = Callable[[StepContext], Awaitable[Mapping[str, Any] | None]]


@dataclass(frozen=True)
class Step:
    """One step: ``do`` returns the step's output record; ``undo`` reverses it during compensation."""

    name: str
    do: StepFn
    status: BusinessStatus
    """The business status while this step is the one to run."""
    undo: StepFn | None = None
    find_unfinished: StepFn | None = None
    """For compensation, when an attempt never finished (a timeout after the vendor committed, a worker killed
    mid-step): looks the step's write up by what it was made for, and returns the output the step would have
    returned, or ``None`` when nothing was written. What it finds is undone like a finished step's; without it,
    an unfinished step is skipped."""


@dataclass(frozen=True)
class WorkflowDefinition:
    kind: str
    steps: tuple[Step, ...]
    description: str = ""
    ids: Callable[[str, Mapping[str, Any]], Mapping[str, str]] = field(default=lambda step, output: {})
    """Picks the ids worth showing (``subscription``: ``sub_123``) out of a step's output."""
    live_after: str | Callable[[WorkflowRecord], str | None] | None = None
    """The step after which the workflow's effects are live in the systems of record and cannot be undone (or a
    function naming it for one workflow, ``None`` for never): from then on ``cancel`` is refused, and
    ``cancel_instead`` says how to end what was done."""
    cancel_instead: str = ""
    dated: Callable[[Mapping[str, Any]], date | None] | None = None
    """The business day a workflow of this kind is about (a usage record's day), from its input. Such a workflow
    runs ahead of an earlier one of its subject that waits on a timer for a later day (an amendment, a renewal or
    a cancellation dated ahead), since that one changes nothing before its day: usage is then billed in the period
    it belongs to instead of queueing until the change is made."""
    input_shape: type | None = None
    """The outer shape a hand-started workflow's input must have (a msgspec ``Struct``): ``POST /v1/workflows``
    refuses any other with a 400 naming the field. What the fields hold (a deal's lines, dates, prices) is the
    workflow's own validation, which parks the workflow for its owner."""

    def cancel_refusal(self, record: WorkflowRecord) -> str | None:
        """Why ``record`` can no longer be cancelled, or ``None`` while it can.

        An attempt of the live step that may have committed (running, failed in a way a retry could fix, or failed
        inside revflow after the call) counts as done: its answer may only have been lost.
        """
        live = self.live_after(record) if callable(self.live_after) else self.live_after
        if live is None:
            return None
        step, exception = record.step(live), record.exception
        unknown = record.state is WorkflowState.RETRYING or (exception is not None and exception.step == live and (
            exception.retryable or exception.code == "internal_error"))
        if step.status == "done":
            return f"{record.id} is live since its step {live}: {self.cancel_instead}"
        if step.status == "running" or (step.status == "failed" and unknown):
            return (f"{record.id} may be live: its step {live} was attempted and its outcome is unknown. Retry the "
                    f"workflow (the step is idempotent), then: {self.cancel_instead}")
        return None

    def new_record(self, workflow_id: str, subject: str, data: dict[str, Any],
                   correlation_id: str | None) -> WorkflowRecord:
        now = _now()
        record = WorkflowRecord(id=workflow_id, kind=self.kind, subject=subject, input=data,
                                business_status=self.steps[0].status, created_at=now, updated_at=now,
                                steps=[StepRecord(name=s.name) for s in self.steps], correlation_id=correlation_id)
        record.note("started")
        return record


def _now() -> datetime:
    return datetime.now(UTC)


# A person's request is read with the lease and deleted only by the save that records it having been applied (and
# only if no newer request replaced it meanwhile): a worker killed in between leaves it for the next holder.
_SAVE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
return 1 + redis.call('EXISTS', KEYS[3])
"""
_CLAIM = """
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return {redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[3]) or ''}
"""
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('EXISTS', KEYS[2])
"""
_ZREM_IF_SCORE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(WorkflowRecord)


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the listing index (what a pipeline view filters on)."""

    id: str
    kind: str
    subject: str
    state: WorkflowState
    business_status: BusinessStatus
    owner: ExceptionOwner | None = None
    step: str | None = None
    created_at: datetime
    updated_at: datetime
    customer: str | None = None
    exception: ExceptionRecord | None = None
    """Why the workflow waits for a person (so the exception queue needs no record reads)."""
    refusal: ExceptionRecord | None = None
    """Why its request was refused (``refused=true`` lists these)."""


_summary_decoder = msgspec.json.Decoder(Summary)
_request_decoder = msgspec.json.Decoder(PersonRequest)
_assignment_decoder = msgspec.json.Decoder(Assignment)


def _decode_request(raw: bytes) -> PersonRequest:
    if not raw.lstrip().startswith(b"{"):  # written before requests named who asked
        return PersonRequest(action=raw.decode())
    return _request_decoder.decode(raw)


class Claim(msgspec.Struct, frozen=True):
    """What taking a workflow's lease returned: the fencing token, the record and a person's request."""

    token: str
    record: WorkflowRecord | None
    request: PersonRequest | None
    request_raw: bytes = b""
    """The request as stored: the save that applies it passes it back, so that exactly that request is consumed."""


def align_steps(record: WorkflowRecord, definition: WorkflowDefinition) -> bool:
    """Line a record saved under an earlier version of its workflow up with the definition, by step name.

    The runner pairs ``definition.steps[i]`` with ``record.steps[i]``; a step added since the record was saved
    would otherwise shift every later one. A new step before the record's position is ``skipped`` (the
    workflow was already past that point), one after it ``pending``; a step no longer defined is dropped; the
    position stays on the same step (or the next one still defined). Returns whether anything changed.
    """
    names = [step.name for step in definition.steps]
    if [step.name for step in record.steps] == names:
        return False
    saved = {step.name: step for step in record.steps}
    ahead = [step.name for step in record.steps[record.step_index:] if step.name in names]
    reached = names.index(ahead[0]) if ahead else len(names)
    record.steps = [saved.get(name) or StepRecord(name=name, status="skipped" if i < reached else "pending")
                    for i, name in enumerate(names)]
    record.step_index = reached
    record.note("steps_aligned", detail=f"saved steps {', '.join(saved)}; now {', '.join(names)}")
    return True


class WorkflowStore:
    """Workflow records, leases, per-subject queues, timers and the listing index in Redis."""

    def __init__(self, redis: Redis, keyspace: KeySpace, *, lease_ms: int = 10_000) -> None:
        self.redis, self.keyspace, self.lease_ms = redis, keyspace, lease_ms
        self._save = redis.register_script(_SAVE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._claim = redis.register_script(_CLAIM)
        self._zrem_if = redis.register_script(_ZREM_IF_SCORE)
        self.index = VersionedHash(redis, keyspace, "q2c:index")
        """The listing index: one row per workflow, mirrored by every process that lists workflows."""
        self.timers_key = keyspace.tagged("q2c:timers")
        self._mirror = HashMirror(self.index, _summary_decoder.decode)

    def record_key(self, workflow_id: str) -> str:
        return self.keyspace.tagged(f"wf:{workflow_id}")

    def lease_key(self, workflow_id: str) -> str:
        return self.keyspace.tagged(f"wf:{workflow_id}", "lease")

    def request_key(self, workflow_id: str) -> str:
        return self.keyspace.tagged(f"wf:{workflow_id}", "request")

    @property
    def assignments_key(self) -> str:
        return self.keyspace.tagged("q2c:assignments")

    def subject_key(self, subject: str) -> str:
        return self.keyspace.tagged(f"q2c:subject:{subject}")

    # -- records ---------------------------------------------------------------------------------------------

    async def create(self, record: WorkflowRecord) -> bool:
        """Store a new workflow unless one with its id exists; queue it behind its subject's earlier ones."""
        created = await self.redis.set(self.record_key(record.id), _encoder.encode(record), nx=True)
        if created:
            await self.redis.rpush(self.subject_key(record.subject), record.id)
            await self.index_row(record)
        return bool(created)

    async def load(self, workflow_id: str) -> WorkflowRecord | None:
        raw = await self.redis.get(self.record_key(workflow_id))
        return None if raw is None else _decoder.decode(raw)

    async def load_many(self, workflow_ids: list[str]) -> list[WorkflowRecord]:
        """The records of ``workflow_ids`` that exist, in one round trip.

        A pipeline of GETs, not MGET: each record has its own Cluster slot.
        """
        if not workflow_ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for workflow_id in workflow_ids:
                pipe.get(self.record_key(workflow_id))
            raws = await pipe.execute()
        return [_decoder.decode(raw) for raw in raws if raw is not None]

    async def save(self, record: WorkflowRecord, token: str, *, consumed: bytes = b"") -> bool:
        """Persist ``record`` if this worker still holds its lease (fencing), and refresh the index.

        ``consumed`` is the stored request (``Claim.request_raw``) that ``record`` now reflects; it is deleted
        in the same write, unless a newer request replaced it. Returns whether a person's request (resume,
        retry, cancel) waits for the workflow, read in the same round trip as the write.
        """
        record.updated_at = _now()
        saved = await self._save(keys=[self.record_key(record.id), self.lease_key(record.id),
                                       self.request_key(record.id)],
                                 args=[token, _encoder.encode(record), self.lease_ms, consumed])
        if not saved:
            raise LeaseLost(f"workflow {record.id}: lease lost before saving")
        await self.index_row(record)
        return int(saved) > 1

    async def index_row(self, record: WorkflowRecord) -> None:
        """Write ``record``'s listing row (idempotent: the same record writes the same row)."""
        customer = record.input.get("customer", {}).get("name") if isinstance(record.input.get("customer"),
                                                                                dict) else None
        summary = Summary(id=record.id, kind=record.kind, subject=record.subject, state=record.state,
                          business_status=record.business_status,
                          owner=record.exception.owner if record.exception else None,
                          step=record.steps[min(record.step_index, len(record.steps) - 1)].name if record.steps
                          else None, created_at=record.created_at, updated_at=record.updated_at, customer=customer,
                          exception=record.exception, refusal=record.refusal)
        await self.index.put(record.id, _encoder.encode(summary))

    async def summaries(self) -> list[Summary]:
        """Every workflow's index row, as of now (read through this process's mirror of the index)."""
        return list((await self._mirror.rows()).values())

    async def rows_by_id(self) -> dict[str, Summary]:
        """Every workflow's index row by workflow id, as of now; a changed row is a new object."""
        return await self._mirror.rows()

    # -- leases ----------------------------------------------------------------------------------------------

    async def claim(self, workflow_id: str) -> Claim | None:
        """Take the workflow's lease, its record and any waiting request in one round trip; ``None`` if held."""
        token = uuid.uuid4().hex
        reply = await self._claim(keys=[self.record_key(workflow_id), self.lease_key(workflow_id),
                                        self.request_key(workflow_id)], args=[token, self.lease_ms])
        if not reply:
            return None
        raw_record, raw_request = reply
        return Claim(token=token, record=_decoder.decode(raw_record) if raw_record else None,
                     request=_decode_request(raw_request) if raw_request else None, request_raw=raw_request or b"")

    async def renew(self, workflow_id: str, token: str) -> bool:
        return bool(await self._renew(keys=[self.lease_key(workflow_id)], args=[token, self.lease_ms]))

    async def release(self, workflow_id: str, token: str) -> bool:
        """Let go of the lease; whether a request waits for the workflow (read in the same round trip)."""
        return bool(await self._release(keys=[self.lease_key(workflow_id), self.request_key(workflow_id)],
                                        args=[token]))

    # -- requests from people (resume, retry, cancel) ----------------------------------------------------------

    async def request(self, workflow_id: str, request: PersonRequest) -> None:
        await self.redis.set(self.request_key(workflow_id), _encoder.encode(request), ex=7 * 86_400)

    # -- who works on an exception ------------------------------------------------------------------------------

    async def assign(self, workflow_id: str, assignment: Assignment) -> None:
        await self.redis.hset(self.assignments_key, workflow_id, _encoder.encode(assignment))

    async def assignments(self, workflow_ids: list[str]) -> dict[str, Assignment]:
        """The recorded assignment of each workflow that has one (current or stale: compare ``exception_at``)."""
        if not workflow_ids:
            return {}
        raws = await self.redis.hmget(self.assignments_key, workflow_ids)
        return {wid: _assignment_decoder.decode(raw) for wid, raw in zip(workflow_ids, raws, strict=True) if raw}

    # -- subjects (one workflow at a time per deal) --------------------------------------------------------------

    async def head_of(self, subject: str) -> str | None:
        raw = await self.redis.lindex(self.subject_key(subject), 0)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def queue_of(self, subject: str) -> list[str]:
        """The subject's unfinished workflows, oldest first (finished ones until they are cleared)."""
        return [raw.decode() if isinstance(raw, bytes) else raw
                for raw in await self.redis.lrange(self.subject_key(subject), 0, -1)]

    async def leave_subject(self, subject: str, workflow_id: str) -> str | None:
        """Remove a finished workflow from its subject's queue; the next workflow's id, if any."""
        await self.redis.lrem(self.subject_key(subject), 0, workflow_id)
        return await self.head_of(subject)

    # -- timers ----------------------------------------------------------------------------------------------

    async def schedule(self, workflow_id: str, at: datetime, *, exact: bool = False) -> None:
        """Wake ``workflow_id`` at ``at`` (an earlier pending wake-up wins unless ``exact``)."""
        await self.redis.zadd(self.timers_key, {workflow_id: at.timestamp() * 1000}, lt=not exact)

    async def due(self, now: datetime, limit: int = 200) -> list[tuple[str, float]]:
        rows = await self.redis.zrangebyscore(self.timers_key, "-inf", now.timestamp() * 1000, start=0, num=limit,
                                              withscores=True)
        return [(member.decode() if isinstance(member, bytes) else member, score) for member, score in rows]

    async def clear_timer(self, workflow_id: str, score: float) -> None:
        """Remove the wake-up unless it was moved later meanwhile."""
        await self._zrem_if(keys=[self.timers_key], args=[workflow_id, score])


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter, in seconds."""
    return random.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))


@dataclass
class RunnerPolicy:
    max_attempts: int = 8
    retry_base_s: float = 0.5
    retry_cap_s: float = 30.0
    subject_recheck_s: float = 2.0
    """How often a workflow waiting behind another of its subject checks again (besides being kicked)."""
    unfinished_settle_s: float = 60.0
    """How long after an unfinished step's last attempt began compensation waits before it looks for what the
    step wrote: a system API may still be retrying a slow vendor with that attempt's write."""


class Lease:
    """Holds a workflow's lease while a run lasts, renewing it in the background."""

    def __init__(self, store: WorkflowStore, workflow_id: str, token: str) -> None:
        self.store, self.workflow_id, self.token = store, workflow_id, token
        self.lost = False
        self.request_waiting = False
        """Whether a person's request was waiting when the lease was let go."""
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Lease:
        self._task = asyncio.create_task(self._keep())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.request_waiting = await self.store.release(self.workflow_id, self.token)

    async def _keep(self) -> None:
        period = self.store.lease_ms / 3000
        while True:
            await asyncio.sleep(period)
            if not await self.store.renew(self.workflow_id, self.token):
                self.lost = True
                return


Notify = Callable[[WorkflowRecord], Awaitable[None]]


class SagaRunner:
    """Advances workflows: one call of ``advance`` runs a workflow as far as it can go right now."""

    def __init__(self, store: WorkflowStore, definitions: Mapping[str, WorkflowDefinition], systems: Any, *,
                 kick: Callable[[str], Awaitable[None]], policy: RunnerPolicy | None = None,
                 on_change: Notify | None = None) -> None:
        self.store, self.definitions, self.systems = store, definitions, systems
        self.kick, self.policy = kick, policy or RunnerPolicy()
        self.on_change = on_change

    async def advance(self, workflow_id: str) -> WorkflowRecord | None:
        """Run ``workflow_id`` until it finishes, parks, sleeps or waits; a no-op if another worker holds it."""
        claim = await self.store.claim(workflow_id)
        if claim is None:
            # The holder runs it; requests it has not seen yet are picked up when it lets go. This kick is
            # acknowledged now, so should the holder die, nothing would bring the workflow back: a wake-up once
            # its lease could have lapsed does. Exact, so that a due wake-up being fired right now (an earlier
            # one would win) cannot take this one with it when the timer loop clears it.
            await self.store.schedule(workflow_id, _now() + timedelta(milliseconds=self.store.lease_ms), exact=True)
            return None
        record = claim.record
        async with Lease(self.store, workflow_id, claim.token) as lease:
            if record is not None:
                try:
                    await self._advance(record, claim)
                except LeaseLost:
                    _log.warning("workflow %s: lease lost mid-run; the new holder continues it", workflow_id)
                    return None
        if record is not None and not record.state.is_terminal and lease.request_waiting:
            await self.kick(workflow_id)
        return record

    async def _advance(self, record: WorkflowRecord, claim: Claim) -> None:
        token, request = claim.token, claim.request
        if not record.state.is_terminal and align_steps(record, self.definitions[record.kind]):
            await self.store.save(record, token)
        if record.state.is_terminal:
            if request:
                record.note("request_ignored", detail=f"{request.action}: the workflow had already finished",
                            actor=request.actor)
                await self.store.save(record, token, consumed=claim.request_raw)
            else:
                # The record and its listing row live in different slots, so they are written one after the other:
                # a holder killed between the two left the row behind, and its unacknowledged kick brings us here.
                await self.store.index_row(record)
            return
        if request:
            self._apply(record, request)
            await self.store.save(record, token, consumed=claim.request_raw)
        if record.compensate:
            await self._compensate(record, token)
            return
        if record.state in (WorkflowState.PARKED, WorkflowState.DEAD_LETTERED):
            return
        if record.wake_at is not None and record.wake_at > _now():
            # Woken early: by a duplicate kick, or by an earlier pending wake-up that kept ``wake_at`` from being
            # recorded (the earlier one wins) and that the timer loop now clears. Re-arm it, or nothing brings the
            # workflow back.
            await self.store.schedule(record.id, record.wake_at, exact=True)
            return
        if not await self._our_turn(record, token):
            return
        await self._run_steps(record, token)

    def _apply(self, record: WorkflowRecord, request: PersonRequest) -> None:
        who, action = request.actor, request.action
        refusal = self.definitions[record.kind].cancel_refusal(record) if action == "cancel" else None
        if refusal is not None:  # the step that made it live finished after the request was taken
            record.note("cancel_refused", detail=refusal, actor=who)
        elif action == "cancel":
            record.compensate = True
            record.note("cancel_requested", detail=request.note, actor=who)
        elif action in ("resume", "retry") and record.state in (
                WorkflowState.PARKED, WorkflowState.DEAD_LETTERED, WorkflowState.RETRYING):
            step = record.steps[record.step_index]
            step.attempts, step.status = 0, "pending"
            record.state, record.exception, record.wake_at = WorkflowState.RUNNING, None, None
            record.resumes += 1
            record.note("resumed" if action == "resume" else "replayed", step=step.name, detail=request.note, actor=who)
        else:
            record.note("request_ignored", detail=f"{action} does not apply to a {record.state} workflow", actor=who)

    async def _our_turn(self, record: WorkflowRecord, token: str) -> bool:
        """Whether every earlier workflow of the subject has finished (clearing finished ones from the queue).

        A dated workflow also passes an earlier one waiting on a timer for a later business day.
        """
        dated = self.definitions[record.kind].dated
        day = dated(record.input) if dated else None
        while True:
            head = await self.store.head_of(record.subject) if day is None else await self._blocker(record, day)
            if head is None or head == record.id:
                if record.state is WorkflowState.WAITING and record.waiting_for:
                    record.state, record.waiting_for = WorkflowState.RUNNING, None
                return True
            earlier = await self.store.load(head)
            if earlier is None or earlier.state.is_terminal:
                await self.store.leave_subject(record.subject, head)
                continue
            if record.waiting_for != head:
                record.state, record.waiting_for = WorkflowState.WAITING, head
                record.note("waiting", detail=f"behind {head} ({earlier.business_status}) of {record.subject}")
                await self.store.save(record, token)
            await self.store.schedule(record.id, _now() + timedelta(seconds=self.policy.subject_recheck_s))
            return False

    async def _blocker(self, record: WorkflowRecord, day: date) -> str | None:
        """The first earlier workflow of the subject a workflow about ``day`` must wait for, if any."""
        for earlier_id in await self.store.queue_of(record.subject):
            if earlier_id == record.id:
                return None
            earlier = await self.store.load(earlier_id)
            if (earlier is None or earlier.state is not WorkflowState.WAITING or earlier.waiting_for is not None
                    or earlier.effects_from is None or day >= earlier.effects_from):
                return earlier_id
        return None

    async def _run_steps(self, record: WorkflowRecord, token: str) -> None:
        """Run the remaining steps in order.

        One write per step: a finished step is saved together with the start of the next (or with the
        workflow's end), and that write also tells whether a person's request waits, in which case the next
        step is not started and the next kick applies the request first.
        """
        definition = self.definitions[record.kind]
        while record.step_index < len(definition.steps):
            step = definition.steps[record.step_index]
            state = record.steps[record.step_index]
            before = (record.state, record.business_status, record.wake_at, state.status, state.attempts,
                      state.started_at, len(record.history))
            record.state, record.business_status, record.wake_at = WorkflowState.RUNNING, step.status, None
            state.status, state.attempts, state.started_at = "running", state.attempts + 1, _now()
            record.note("step_started", step=step.name, detail=f"attempt {state.attempts}")
            if await self.store.save(record, token):
                (record.state, record.business_status, record.wake_at, state.status, state.attempts,
                 state.started_at, kept) = before
                del record.history[kept:]
                await self.store.save(record, token)
                return
            context = StepContext(workflow=record, step=step.name, key=f"{record.id}:{step.name}",
                                  systems=self.systems, attempt=state.attempts)
            try:
                output = await step.do(context)
            except WaitUntil as wait:
                state.status, record.state, record.wake_at = "pending", WorkflowState.WAITING, wait.until
                record.effects_from = wait.effects_from
                state.attempts -= 1
                record.note("waiting", step=step.name, detail=f"until {wait.until.isoformat()}: {wait.reason}")
                await self.store.save(record, token)
                await self.store.schedule(record.id, wait.until)
                return
            except StepFailed as failure:
                self._observe(record, step, state, "retry" if failure.retryable else "failed")
                await self._failed(record, step, state, failure, token)
                return
            except (RedisError, LeaseLost):
                raise  # infrastructure: the kick stays pending and is retried; the step re-runs with its key
            except Exception as exc:  # a defect in revflow: park it for integration instead of spinning
                _log.exception("workflow %s: step %s raised", record.id, step.name)
                self._observe(record, step, state, "error")
                await self._failed(record, step, state, StepFailed(
                    f"unexpected {type(exc).__name__} in step {step.name}", retryable=False, code="internal_error",
                    fix="A revflow defect: report it with the workflow id and correlation id; after the fix, "
                        "resume the workflow."), token)
                return
            self._observe(record, step, state, "done")
            state.status, state.finished_at, state.error = "done", _now(), None
            state.output = dict(output or {})
            record.external_ids.update(definition.ids(step.name, state.output))
            record.step_index += 1
            record.note("step_done", step=step.name)
        record.state, record.business_status, record.completed_at = (
            WorkflowState.SUCCEEDED, BusinessStatus.COMPLETED, _now())
        record.note("completed")
        WORKFLOWS_FINISHED.labels(workflow=record.kind, outcome="succeeded").inc()
        await self._finish(record, token)

    @staticmethod
    def _observe(record: WorkflowRecord, step: Step, state: StepRecord, outcome: str) -> None:
        elapsed = (_now() - state.started_at).total_seconds() if state.started_at else 0.0
        STEP_LATENCY.labels(workflow=record.kind, step=step.name, outcome=outcome).observe(elapsed)

    async def _failed(self, record: WorkflowRecord, step: Step, state: StepRecord, failure: StepFailed,
                      token: str) -> None:
        state.status, state.error = "failed", failure.reason
        if failure.refused and self.definitions[record.kind].cancel_refusal(record) is None:
            state.status = "refused"
            record.note("refused", step=step.name, detail=f"{failure.code or 'refused'}: {failure.reason}. "
                                                          f"{failure.fix} (owner: {failure.owner.value})")
            # The owner is told as of any exception (they must ask again); the record keeps no open exception.
            record.exception = record.refusal = _exception_of(step.name, failure)
            await self._notify(record)
            record.compensate = True
            await self._compensate(record, token)
            return
        if failure.retryable and state.attempts < self.policy.max_attempts:
            delay = max(failure.retry_after or 0.0,
                        backoff(state.attempts, self.policy.retry_base_s, self.policy.retry_cap_s))
            record.state, record.wake_at = WorkflowState.RETRYING, _now() + timedelta(seconds=delay)
            record.note("retry_scheduled", step=step.name, detail=f"in {delay:.2f}s: {failure.reason}")
            await self.store.save(record, token)
            await self.store.schedule(record.id, record.wake_at)
            return
        exhausted = failure.retryable
        record.state = WorkflowState.DEAD_LETTERED if exhausted else WorkflowState.PARKED
        record.business_status = BusinessStatus.NEEDS_ATTENTION if exhausted else failure.business_status
        fix = (f"Retried {state.attempts} times without success. Check the upstream's health, then replay the "
               "workflow (retry)." if exhausted else failure.fix)
        record.exception = _exception_of(step.name, failure, fix=fix)
        record.wake_at = None
        record.note("dead_lettered" if exhausted else "parked", step=step.name, detail=failure.reason)
        await self.store.save(record, token)
        await self._notify(record)

    async def _compensate(self, record: WorkflowRecord, token: str) -> None:
        definition = self.definitions[record.kind]
        if record.state is not WorkflowState.COMPENSATING:
            record.state, record.exception, record.wake_at = WorkflowState.COMPENSATING, None, None
            record.note("compensating")
            await self.store.save(record, token)
        for index in range(len(definition.steps) - 1, -1, -1):
            step, state = definition.steps[index], record.steps[index]
            unfinished = state.status in ("running", "failed") and state.attempts > 0
            if state.status != "done" and not (unfinished and step.find_unfinished is not None):
                if state.status in ("pending", "running", "failed"):
                    state.status = "skipped"
                continue
            context = StepContext(workflow=record, step=step.name, key=f"{record.id}:{step.name}:undo",
                                  systems=self.systems, attempt=1)
            try:
                if state.status != "done" and not await self._found(record, step, context, token):
                    continue
                if step.undo is None:
                    if not any(h.event == "step_kept" and h.step == step.name for h in record.history):
                        record.note("step_kept", step=step.name, detail="nothing of it is undone (it has no undo)")
                    continue
                await step.undo(context)
            except StepFailed as failure:
                await self._undo_failed(record, step, failure, token)
                return
            state.status = "undone"
            record.note("step_undone", step=step.name)
            await self.store.save(record, token)
        record.state, record.business_status, record.completed_at = (
            WorkflowState.COMPENSATED, BusinessStatus.CANCELLED, _now())
        record.note("compensated")
        refused = any(s.status == "refused" for s in record.steps)
        WORKFLOWS_FINISHED.labels(workflow=record.kind, outcome="refused" if refused else "compensated").inc()
        await self._finish(record, token)

    async def _found(self, record: WorkflowRecord, step: Step, context: StepContext, token: str) -> bool:
        """Whether an unfinished step's write was made after all; if so it becomes done with what was found.

        Raises:
            StepFailed: (retryable) the last attempt began too recently for its write to have settled.
        """
        state = record.step(step.name)
        settled_at = (state.started_at or _now()) + timedelta(seconds=self.policy.unfinished_settle_s)
        if settled_at > _now():
            wait = (settled_at - _now()).total_seconds()
            raise StepFailed(f"its last attempt began less than {self.policy.unfinished_settle_s:g}s ago and its write "
                             f"may still land; looking in {wait:.1f}s", retryable=True, retry_after=wait)
        found = await step.find_unfinished(context) if step.find_unfinished is not None else None
        if found is None:
            state.status = "skipped"
            record.note("step_checked", step=step.name, detail="unfinished, and nothing of it was written")
        else:
            state.status, state.output, state.error = "done", dict(found), None
            record.external_ids.update(self.definitions[record.kind].ids(step.name, state.output))
            record.note("step_found", step=step.name, detail="unfinished, but its write had been made")
        await self.store.save(record, token)
        return found is not None

    async def _undo_failed(self, record: WorkflowRecord, step: Step, failure: StepFailed, token: str) -> None:
        if failure.retryable:
            delay = max(failure.retry_after or 0.0, backoff(2, self.policy.retry_base_s, self.policy.retry_cap_s))
            record.note("undo_retry_scheduled", step=step.name, detail=f"in {delay:.2f}s: {failure.reason}")
            await self.store.save(record, token)
            await self.store.schedule(record.id, _now() + timedelta(seconds=delay))
            return
        record.exception = _exception_of(step.name, failure,
                                         fix=f"Undo of {step.name} failed: {failure.fix} Then cancel again.")
        record.business_status = BusinessStatus.NEEDS_ATTENTION
        record.note("undo_failed", step=step.name, detail=failure.reason)
        await self.store.save(record, token)
        await self._notify(record)

    async def _finish(self, record: WorkflowRecord, token: str) -> None:
        await self.store.save(record, token)
        following = await self.store.leave_subject(record.subject, record.id)
        if following is not None:
            await self.kick(following)
        await self._notify(record)

    async def _notify(self, record: WorkflowRecord) -> None:
        if self.on_change is None:
            return
        try:
            await self.on_change(record)
        except Exception:  # the workflow's state is saved; a lost notification is logged, not fatal
            _log.exception("workflow %s: change notification failed", record.id)
