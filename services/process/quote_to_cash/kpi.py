"""Operational and finance KPIs of one accounting period (``YYYY-MM``, UTC), from workflow state and event streams.

How each figure is measured (reads only; nothing here writes):

- **integration failure rate**: of the workflows started in the period (SLO breach records excluded), the
  fraction that stopped at least once for a person (a ``parked`` or ``dead_lettered`` history entry).
- **event processing latency** (p50 / p99, nearest rank): for each CRM ``closed_won`` and billing invoice
  event *published* in the period (its stream entry id is the instant Redis accepted it), the time until the
  workflow it starts was *created* (``activation:<deal>``, ``invoice_sync:<invoice>:<status>``). An event
  whose workflow already existed (a duplicate, or the activation's pull got there first) is not a sample.
- **mean time to resolution by owner**: each ``workflow.needs_attention`` event published in the period
  names the workflow, owner and instant; it is resolved at the workflow's next ``resumed``, ``replayed``,
  ``compensating`` or ``completed`` history entry (owners come from the event: a resumed workflow's record
  no longer holds its exception). Unresolved ones are counted as ``open``.
- **dead letters**: depth per stream and age of the oldest, now (not per period).
- **days to close**: from the end of the period to ``completed_at`` of its latest successful period close.
- **manual interventions**: ``resumed``, ``replayed`` and ``cancel_requested`` history entries in the period
  (dead letters replayed off the event bus leave no workflow history and are not counted).
- **billing accuracy** and **revenue leakage**: from the latest successful reconciliation run with
  ``as_of`` = the period (``None`` when none ran). Accuracy: the fraction of contracts with no unexplained
  CRM-vs-billing difference. Leakage: per currency, the unexplained differences *booked but never billed*
  (``unbilled_stopped``, ``unbilled_not_recurring``) and *billed but never recognised* (``invoice_not_linked``,
  ``revenue_billing_differs``).
- **bookings -> billings -> revenue consistency**: from the same run, per currency, what the CRM booked, billing
  billed and revrec recognised up to the period, and the unexplained differences per pair of systems compared
  (``crm-billing``, ``billing-erp``, ``billing-revrec``, ``revrec-erp``...); consistent when there are none.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime

import msgspec

from contracts.events import CloudEvent
from contracts.money import Money
from services.process.quote_to_cash.reconciliation import Difference, ReconciliationReport
from services.process.quote_to_cash.saga import WorkflowRecord, WorkflowState, WorkflowStore
from services.runtime.events import EventBus

__all__ = ["ConsistencyV1", "DeadLettersV1", "KpiReportV1", "LatencyV1", "ResolutionV1", "kpis", "percentile",
           "period_bounds"]

_PARALLEL = 32
_STOPPED = ("parked", "dead_lettered")
_RESOLVED = ("resumed", "replayed", "compensating", "completed")
_MANUAL = {"resumed": "resumes", "replayed": "replays", "cancel_requested": "cancels"}
BOOKED_NOT_BILLED = ("unbilled_stopped", "unbilled_not_recurring")
BILLED_NOT_RECOGNISED = ("invoice_not_linked", "revenue_billing_differs")
_INVOICE_STATUS = {"revflow.billing.invoice.finalized.v1": "open", "revflow.billing.invoice.paid.v1": "paid",
                   "revflow.billing.invoice.voided.v1": "void"}
_NEEDS_ATTENTION = "revflow.process.workflow.needs_attention.v1"
_EVENT_FIELD = b"ce"
"""The stream field the event bus keeps a structured-mode CloudEvent in."""


class LatencyV1(msgspec.Struct, frozen=True, kw_only=True):
    samples: int
    p50_seconds: float | None
    p99_seconds: float | None


class ResolutionV1(msgspec.Struct, frozen=True, kw_only=True):
    owner: str
    raised: int
    resolved: int
    open: int
    mean_seconds: float | None
    """Mean time from the exception to its resolution, over the resolved ones."""


class DeadLettersV1(msgspec.Struct, frozen=True, kw_only=True):
    depth: int
    by_stream: dict[str, int]
    oldest_age_seconds: float | None


class ConsistencyV1(msgspec.Struct, frozen=True, kw_only=True):
    """Bookings -> billings -> revenue of one currency, as the period's reconciliation found them."""

    currency: str
    booked: int
    billed: int
    """Invoiced by billing up to the period, before credit notes (usage and one-off charges included)."""
    recognized: int
    deferred: int
    unexplained_by_pair: dict[str, int]
    """Unexplained differences per pair of systems compared (``crm-billing``: 2...)."""
    consistent: bool


class KpiReportV1(msgspec.Struct, frozen=True, kw_only=True):
    """The period's operational KPIs and finance outcomes (amounts in minor units)."""

    period: str
    generated_at: datetime
    workflows_started: int
    workflows_failed: int
    integration_failure_rate: float | None
    event_latency: LatencyV1
    resolution: list[ResolutionV1]
    dead_letters: DeadLettersV1
    days_to_close: float | None
    close_workflow_id: str | None = None
    manual_interventions: dict[str, int]
    """``resumes``, ``replays``, ``cancels`` and ``total``."""
    reconciliation_run: str | None = None
    contracts_reconciled: int = 0
    billing_accuracy: float | None = None
    booked_not_billed: list[Money] = []
    billed_not_recognized: list[Money] = []
    consistency: list[ConsistencyV1] = []
    """Per currency; empty when no reconciliation ran for the period."""


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The first instant of ``period`` and the first instant after it (UTC)."""
    year, month = int(period[:4]), int(period[5:7])
    return datetime(year, month, 1, tzinfo=UTC), datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (the ``ceil(q x n)``-th smallest value)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def _records(store: WorkflowStore, ids: list[str]) -> dict[str, WorkflowRecord]:
    gate = asyncio.Semaphore(_PARALLEL)

    async def load(workflow_id: str) -> WorkflowRecord | None:
        async with gate:
            return await store.load(workflow_id)

    found = await asyncio.gather(*(load(i) for i in ids))
    return {r.id: r for r in found if r is not None}


async def _events(bus: EventBus, stream: str, start: datetime, end: datetime) -> list[tuple[datetime, CloudEvent]]:
    """Events published on ``stream`` in [start, end): (publish instant, event), from the stream entry ids."""
    lo, hi = max(0, int(start.timestamp() * 1000)), int(end.timestamp() * 1000) - 1
    if hi < lo:  # a period before 1970 has no stream entries (and no valid stream ids)
        return []
    rows = await bus.redis.xrange(bus.stream_key(stream), min=f"{lo}-0", max=f"{hi}-18446744073709551615")
    found = []
    for entry_id, fields in rows:
        raw = fields.get(_EVENT_FIELD)
        if raw is None:
            continue
        try:
            event = msgspec.json.decode(raw, type=CloudEvent)
        except msgspec.DecodeError:
            continue
        ms = int((entry_id.decode() if isinstance(entry_id, bytes) else entry_id).split("-")[0])
        found.append((datetime.fromtimestamp(ms / 1000, UTC), event))
    return found


def _started_by(event: CloudEvent) -> str | None:
    data = event.data if isinstance(event.data, dict) else {}
    if event.type == "revflow.crm.opportunity.closed_won.v1":
        return f"activation:{(data.get('opportunity') or {}).get('id')}"
    if event.type in _INVOICE_STATUS:
        return f"invoice_sync:{(data.get('invoice') or {}).get('id')}:{_INVOICE_STATUS[event.type]}"
    return None


async def _latency(store: WorkflowStore, bus: EventBus, start: datetime, end: datetime) -> LatencyV1:
    published = [(at, wid) for stream in ("crm", "billing") for at, event in await _events(bus, stream, start, end)
                 if (wid := _started_by(event)) is not None]
    records = await _records(store, sorted({wid for _, wid in published}))
    samples, seen = [], set()
    for at, wid in sorted(published):
        record = records.get(wid)
        if record is None or wid in seen or record.created_at < at:
            continue  # never started, a duplicate, or started before this event (by a pull)
        seen.add(wid)
        samples.append((record.created_at - at).total_seconds())
    return LatencyV1(samples=len(samples), p50_seconds=percentile(samples, 0.5), p99_seconds=percentile(samples, 0.99))


async def _resolution(store: WorkflowStore, bus: EventBus, start: datetime, end: datetime) -> list[ResolutionV1]:
    raised = []
    for _, event in await _events(bus, "process", start, end):
        data = event.data if isinstance(event.data, dict) else {}
        if event.type == _NEEDS_ATTENTION and data.get("workflow_id") and data.get("occurred_at"):
            raised.append((str(data["workflow_id"]), str(data.get("owner")),
                           datetime.fromisoformat(str(data["occurred_at"]).replace("Z", "+00:00"))))
    records = await _records(store, sorted({wid for wid, _, _ in raised}))
    by_owner: dict[str, list[float | None]] = {}
    for wid, owner, occurred in raised:
        record = records.get(wid)
        # The announcement follows the ``parked`` note by a moment: the exception began at that note.
        stopped = [h.at for h in record.history if h.event in _STOPPED and h.at <= occurred] if record else []
        began = max(stopped) if stopped else occurred
        fixed = next((h.at for h in record.history if h.event in _RESOLVED and h.at > began), None) if record else None
        by_owner.setdefault(owner, []).append((fixed - began).total_seconds() if fixed else None)
    rows = []
    for owner, times in sorted(by_owner.items()):
        done = [t for t in times if t is not None]
        rows.append(ResolutionV1(owner=owner, raised=len(times), resolved=len(done), open=len(times) - len(done),
                                 mean_seconds=sum(done) / len(done) if done else None))
    return rows


async def _dead_letters(bus: EventBus, now: datetime) -> DeadLettersV1:
    letters = await bus.list_dead_letters(count=10_000)
    by_stream: dict[str, int] = {}
    for letter in letters:
        by_stream[letter.stream] = by_stream.get(letter.stream, 0) + 1
    ages = [(now - datetime.fromisoformat(d.failed_at.replace("Z", "+00:00"))).total_seconds() for d in letters]
    return DeadLettersV1(depth=len(letters), by_stream=by_stream, oldest_age_seconds=max(ages) if ages else None)


def _reconciliation(record: WorkflowRecord | None) -> dict[str, object]:
    if record is None:
        return {}
    report = msgspec.convert(record.output("reconcile"), ReconciliationReport)
    unexplained = [d for d in report.differences if not d.explained]
    wrong = {c.deal for c in report.contracts for d in c.differences
             if not d.explained and d.systems == ("crm", "billing")}

    def total(codes: tuple[str, ...]) -> list[Money]:
        sums: dict[str, int] = {}
        for d in unexplained:
            if d.code in codes:
                sums[d.amount.currency] = sums.get(d.amount.currency, 0) + d.amount.amount_minor
        return [Money(amount_minor=v, currency=k) for k, v in sorted(sums.items())]

    contracts = len(report.contracts)
    return {"reconciliation_run": record.id, "contracts_reconciled": contracts,
            "billing_accuracy": (contracts - len(wrong)) / contracts if contracts else None,
            "booked_not_billed": total(BOOKED_NOT_BILLED), "billed_not_recognized": total(BILLED_NOT_RECOGNISED),
            "consistency": _consistency(report, unexplained)}


def _consistency(report: ReconciliationReport, unexplained: list[Difference]) -> list[ConsistencyV1]:
    rows = []
    for figures in report.totals:
        pairs: dict[str, int] = {}
        for d in unexplained:
            if d.amount.currency == figures.currency:
                pairs["-".join(d.systems)] = pairs.get("-".join(d.systems), 0) + 1
        rows.append(ConsistencyV1(
            currency=figures.currency, booked=figures.booked.amount_minor, billed=figures.billed.amount_minor,
            recognized=figures.recognized.amount_minor, deferred=figures.deferred.amount_minor,
            unexplained_by_pair=dict(sorted(pairs.items())), consistent=not pairs))
    return rows


async def kpis(store: WorkflowStore, bus: EventBus, period: str, now: datetime | None = None) -> KpiReportV1:
    """The KPIs of ``period`` (``YYYY-MM``) from the workflow records and event streams behind ``store``/``bus``."""
    now = now or datetime.now(UTC)
    start, end = period_bounds(period)
    rows = await store.summaries()
    interesting = [r.id for r in rows if r.kind != "slo_breach" and (
        r.updated_at >= start or r.kind in ("period_close", "reconciliation"))]
    records = await _records(store, interesting)
    started = [r for r in records.values() if start <= r.created_at < end and r.kind != "slo_breach"]
    failed = [r for r in started if any(h.event in _STOPPED for h in r.history)]
    manual = {name: 0 for name in _MANUAL.values()}
    for record in records.values():
        for entry in record.history:
            if entry.event in _MANUAL and start <= entry.at < end:
                manual[_MANUAL[entry.event]] += 1
    manual["total"] = sum(manual.values())
    closes = sorted((r for r in records.values() if r.kind == "period_close" and r.input.get("period") == period
                     and r.state is WorkflowState.SUCCEEDED and r.completed_at), key=lambda r: r.completed_at or end)
    close = closes[-1] if closes else None
    runs = sorted((r for r in records.values() if r.kind == "reconciliation" and r.input.get("as_of") == period
                   and r.state is WorkflowState.SUCCEEDED), key=lambda r: (r.completed_at or r.created_at, r.id))
    latency, resolution, dead = await asyncio.gather(
        _latency(store, bus, start, end), _resolution(store, bus, start, end), _dead_letters(bus, now))
    return KpiReportV1(
        period=period, generated_at=now, workflows_started=len(started), workflows_failed=len(failed),
        integration_failure_rate=len(failed) / len(started) if started else None, event_latency=latency,
        resolution=resolution, dead_letters=dead,
        days_to_close=(close.completed_at - end).total_seconds() / 86400 if close and close.completed_at else None,
        close_workflow_id=close.id if close else None, manual_interventions=manual,
        **_reconciliation(runs[-1] if runs else None))  # type: ignore[arg-type]
