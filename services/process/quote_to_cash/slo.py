"""Service level objectives of quote to cash, measured from workflow state, with error budgets and burn rates.

Each objective counts **events** (one workflow run, or one closed period) as good or bad:

- ``activation_5m``: 99 % of closed-won deals activated within 5 minutes (``activation`` created -> completed).
- ``invoice_erp_15m``: 99 % of billing invoices posted to the ERP within 15 minutes of finalization
  (``invoice_sync`` created -> its ``erp_invoice`` step finished; voided invoices are not counted).
- ``amendment_revenue_15m``: 99 % of amendments reflected in the revenue schedules within 15 minutes
  (``amendment`` created -> its ``revenue`` step finished).
- ``period_close_once``: every period's close journals are posted exactly once: per period, the close runs
  whose ``post_journals`` step is done (posted and not reversed) number exactly one. Objective 100 %.

An event belongs to the instant its clock started (``created_at``; for a period, its first posting). A run
still unfinished past the threshold is already bad; one within it is *pending* and not counted; a cancelled
run that never reached the measured step is not counted.

For each window (1 h, 24 h, 30 d, ending now): ``burn rate = bad fraction / (1 - objective)`` (1 = spending
the budget exactly as fast as the 30-day objective allows). The **error budget remaining** is that of the
30-day window: ``1 - bad / ((1 - objective) x events)`` (negative once overspent; 1 with no event).

**Breach rule**: an objective is breached when the 1 h burn rate is at least 14.4 (2 % of a 30-day budget in
one hour), or the 24 h burn rate at least 6 (20 % in a day), or the 30-day budget is spent (remaining <= 0).
An objective of 100 % has no budget: any bad event in 30 days breaches it (its burn rate is reported as
``None``, and as +Inf in the gauge). ``SloMonitor`` opens one ``slo_breach`` exception owned by
``integration`` per breached objective and hour (``slo_breach:<slo>:<YYYYMMDDTHH00Z>``), and none while an
earlier one of the same objective is still open.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec
from prometheus_client import Gauge

from contracts.event_payloads import WorkflowNeedsAttention
from contracts.events import build_event
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.engine import Workflows
from services.process.quote_to_cash.saga import ExceptionRecord, WorkflowRecord, WorkflowState, WorkflowStore
from services.process.quote_to_cash.workflows.slo_breach import ACKNOWLEDGE, SLO_BREACH, breach_fix
from services.runtime.metrics import REGISTRY

__all__ = ["BREACH_RULE", "OBJECTIVES", "WINDOWS", "Event", "Objective", "SloMonitor", "SloReportV1", "SloV1",
           "SloWindowV1", "evaluate", "measure", "open_breaches"]

_log = logging.getLogger("revflow.slo")

WINDOWS: dict[str, timedelta] = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "30d": timedelta(days=30)}
FAST_BURN, SLOW_BURN = 14.4, 6.0
BREACH_RULE = (f"breached when the 1h burn rate >= {FAST_BURN}, or the 24h burn rate >= {SLOW_BURN}, or the 30d "
               "error budget is spent; an objective of 100% breaches on any bad event in 30d")
_PARALLEL = 32


@dataclass(frozen=True)
class Event:
    """One thing an objective counts: when its clock started, and whether it met the objective."""

    at: datetime
    good: bool
    workflow_id: str


def _latency(step: str | None, threshold: timedelta) -> Callable[[WorkflowRecord, datetime], Event | None]:
    """Events of a latency objective: created_at -> completed_at (``step`` None) or that step's finish."""

    def event(record: WorkflowRecord, now: datetime) -> Event | None:
        if step is None:
            end = record.completed_at if record.state is WorkflowState.SUCCEEDED else None
        else:
            found = next((s for s in record.steps if s.name == step), None)
            end = found.finished_at if found is not None and found.status in ("done", "undone") else None
        if end is not None:
            return Event(record.created_at, end - record.created_at <= threshold, record.id)
        if record.state.is_terminal or now - record.created_at <= threshold:
            return None  # cancelled before the measured point, or still within the objective: not counted
        return Event(record.created_at, False, record.id)

    return event


@dataclass(frozen=True)
class Objective:
    name: str
    description: str
    workflow: str
    """The workflow kind measured."""
    target: float
    threshold: timedelta | None
    events: Callable[[list[WorkflowRecord], datetime], list[Event]]
    include: Callable[[WorkflowRecord], bool] = lambda record: True


def _per_record(fn: Callable[[WorkflowRecord, datetime], Event | None]
                ) -> Callable[[list[WorkflowRecord], datetime], list[Event]]:
    return lambda records, now: [e for r in records if (e := fn(r, now)) is not None]


def _close_events(records: list[WorkflowRecord], now: datetime) -> list[Event]:
    """One event per period with journals posted: good when exactly one close run's posting stands."""
    posted: dict[str, list[tuple[datetime, str]]] = {}
    for record in records:
        step = next((s for s in record.steps if s.name == "post_journals"), None)
        if step is not None and step.status == "done" and step.finished_at is not None:
            posted.setdefault(str(record.input.get("period")), []).append((step.finished_at, record.id))
    return [Event(min(runs)[0], len(runs) == 1, min(runs)[1]) for runs in posted.values()]


OBJECTIVES: tuple[Objective, ...] = (
    Objective("activation_5m", "99% of closed-won deals activated within 5 minutes", "activation", 0.99,
              timedelta(minutes=5), _per_record(_latency(None, timedelta(minutes=5)))),
    Objective("invoice_erp_15m", "99% of invoices posted to the ERP within 15 minutes of finalization",
              "invoice_sync", 0.99, timedelta(minutes=15), _per_record(_latency("erp_invoice", timedelta(minutes=15))),
              include=lambda record: record.input.get("status") != "void"),
    Objective("amendment_revenue_15m", "99% of amendments in the revenue schedules within 15 minutes",
              "amendment", 0.99, timedelta(minutes=15), _per_record(_latency("revenue", timedelta(minutes=15)))),
    Objective("period_close_once", "Every period's close journals posted exactly once", "period_close", 1.0, None,
              _close_events),
)


class SloWindowV1(msgspec.Struct, frozen=True, kw_only=True):
    window: str
    """``1h``, ``24h`` or ``30d``, ending at ``evaluated_at``."""
    events: int
    good: int
    bad: int
    bad_fraction: float
    burn_rate: float | None
    """bad fraction / (1 - objective); ``None`` when the objective (100%) leaves no budget and an event was bad."""


class SloV1(msgspec.Struct, frozen=True, kw_only=True):
    """One objective: its figures per window, the 30-day budget left and whether it is breached."""

    name: str
    description: str
    workflow: str
    objective: float
    threshold_seconds: int | None
    windows: list[SloWindowV1]
    error_budget_remaining: float
    """Of the 30-day window: 1 - bad / allowed bad (negative once overspent)."""
    breached: bool
    breach_reason: str | None = None
    late: list[str] = []
    """Ids of the bad events' workflows in the 30-day window (the first twenty)."""


class SloReportV1(msgspec.Struct, frozen=True, kw_only=True):
    evaluated_at: datetime
    rule: str
    slos: list[SloV1]


_GAUGES = {
    "objective": Gauge("revflow_slo_objective", "Target fraction of good events.", ["slo"], registry=REGISTRY),
    "events": Gauge("revflow_slo_events", "Events counted in the window.", ["slo", "window"], registry=REGISTRY),
    "bad": Gauge("revflow_slo_bad_events", "Bad events in the window.", ["slo", "window"], registry=REGISTRY),
    "burn": Gauge("revflow_slo_burn_rate", "Bad fraction / (1 - objective) over the window.", ["slo", "window"],
                  registry=REGISTRY),
    "budget": Gauge("revflow_slo_error_budget_remaining", "Fraction of the 30-day error budget left.", ["slo"],
                    registry=REGISTRY),
    "breached": Gauge("revflow_slo_breached", "1 when the objective is breached (see the breach rule).", ["slo"],
                      registry=REGISTRY),
}


def _window(objective: Objective, name: str, events: list[Event]) -> SloWindowV1:
    bad = sum(1 for e in events if not e.good)
    fraction = bad / len(events) if events else 0.0
    if objective.target < 1:
        burn: float | None = fraction / (1 - objective.target)
    else:
        burn = 0.0 if bad == 0 else None
    return SloWindowV1(window=name, events=len(events), good=len(events) - bad, bad=bad, bad_fraction=fraction,
                       burn_rate=burn)


def _budget(objective: Objective, month: SloWindowV1) -> float:
    if objective.target >= 1 or month.events == 0:
        return 1.0 if month.bad == 0 else 0.0
    return 1 - month.bad / ((1 - objective.target) * month.events)


def _breach(objective: Objective, windows: dict[str, SloWindowV1], budget: float) -> str | None:
    month = windows["30d"]
    if objective.target >= 1:
        return f"{month.bad} bad event(s) in 30d with a 100% objective" if month.bad else None
    hour, day = windows["1h"].burn_rate or 0.0, windows["24h"].burn_rate or 0.0
    if hour >= FAST_BURN:
        return f"1h burn rate {hour:.1f} >= {FAST_BURN} ({windows['1h'].bad} of {windows['1h'].events} late)"
    if day >= SLOW_BURN:
        return f"24h burn rate {day:.1f} >= {SLOW_BURN} ({windows['24h'].bad} of {windows['24h'].events} late)"
    if budget <= 0 and month.bad:
        return f"30d error budget spent ({month.bad} of {month.events} late)"
    return None


def measure(objective: Objective, events: Iterable[Event], now: datetime) -> SloV1:
    """The figures of ``objective`` from its events (pure: what the tests compare with their own computation)."""
    events = list(events)
    windows = {name: _window(objective, name, [e for e in events if now - span < e.at <= now])
               for name, span in WINDOWS.items()}
    budget = _budget(objective, windows["30d"])
    reason = _breach(objective, windows, budget)
    late = sorted(e.workflow_id for e in events if not e.good and now - WINDOWS["30d"] < e.at <= now)
    return SloV1(name=objective.name, description=objective.description, workflow=objective.workflow,
                 objective=objective.target,
                 threshold_seconds=int(objective.threshold.total_seconds()) if objective.threshold else None,
                 windows=list(windows.values()), error_budget_remaining=budget, breached=reason is not None,
                 breach_reason=reason, late=late[:20])


async def _records(store: WorkflowStore, kinds: set[str], since: datetime) -> list[WorkflowRecord]:
    rows = [r for r in await store.summaries()
            if r.kind in kinds and (r.kind == "period_close" or r.created_at >= since)]
    gate = asyncio.Semaphore(_PARALLEL)

    async def load(workflow_id: str) -> WorkflowRecord | None:
        async with gate:
            return await store.load(workflow_id)

    return [r for r in await asyncio.gather(*(load(row.id) for row in rows)) if r is not None]


def _export(slo: SloV1) -> None:
    _GAUGES["objective"].labels(slo=slo.name).set(slo.objective)
    for window in slo.windows:
        _GAUGES["events"].labels(slo=slo.name, window=window.window).set(window.events)
        _GAUGES["bad"].labels(slo=slo.name, window=window.window).set(window.bad)
        burn = math.inf if window.burn_rate is None else window.burn_rate
        _GAUGES["burn"].labels(slo=slo.name, window=window.window).set(burn)
    _GAUGES["budget"].labels(slo=slo.name).set(slo.error_budget_remaining)
    _GAUGES["breached"].labels(slo=slo.name).set(1 if slo.breached else 0)


async def evaluate(store: WorkflowStore, now: datetime | None = None,
                   objectives: tuple[Objective, ...] = OBJECTIVES) -> SloReportV1:
    """Measure every objective from the workflow records in ``store`` and export the gauges (reads only)."""
    now = now or datetime.now(UTC)
    longest = max((o.threshold for o in objectives if o.threshold), default=timedelta(0))
    records = await _records(store, {o.workflow for o in objectives}, now - WINDOWS["30d"] - longest)
    slos = []
    for objective in objectives:
        mine = [r for r in records if r.kind == objective.workflow and objective.include(r)]
        slo = measure(objective, objective.events(mine, now), now)
        _export(slo)
        slos.append(slo)
    return SloReportV1(evaluated_at=now, rule=BREACH_RULE, slos=slos)


def breach_id(slo: str, now: datetime) -> str:
    return f"{SLO_BREACH.kind}:{slo}:{now.astimezone(UTC):%Y%m%dT%H00Z}"


async def open_breaches(workflows: Workflows, report: SloReportV1) -> list[str]:
    """Open a parked ``slo_breach`` exception (owner ``integration``) per breached objective; the ids opened."""
    store = workflows.store
    breached = [slo for slo in report.slos if slo.breached]
    if not breached:
        return []
    still_open = {row.subject for row in await store.summaries()
                  if row.kind == SLO_BREACH.kind and not row.state.is_terminal}
    opened = []
    for slo in breached:
        subject = f"slo:{slo.name}"
        if subject in still_open:
            continue
        reason = f"SLO {slo.name} breached: {slo.breach_reason}"
        if slo.late:
            reason += f"; late: {', '.join(slo.late[:5])}"
        record = SLO_BREACH.new_record(breach_id(slo.name, report.evaluated_at), subject,
                                       {"slo": slo.name, "reason": slo.breach_reason, "late": slo.late}, None)
        fix = breach_fix(slo.name)
        record.state, record.business_status = WorkflowState.PARKED, BusinessStatus.NEEDS_ATTENTION
        record.exception = ExceptionRecord(step=ACKNOWLEDGE, owner=ExceptionOwner.INTEGRATION, reason=reason[:2000],
                                           fix=fix, code="slo_breach", occurred_at=report.evaluated_at)
        record.steps[0].status, record.steps[0].error = "failed", reason[:2000]
        record.note("parked", step=ACKNOWLEDGE, detail=reason[:500])
        if not await store.create(record):
            continue
        opened.append(record.id)
        await workflows.bus.publish(build_event(WorkflowNeedsAttention(
            workflow_id=record.id, workflow=record.kind, subject=subject, step=ACKNOWLEDGE,
            owner=ExceptionOwner.INTEGRATION, reason=reason[:1000], fix=fix, occurred_at=report.evaluated_at),
            subject=subject))
    return opened


class SloMonitor:
    """Evaluates the objectives every ``interval`` (once across all workers) and opens breach exceptions."""

    def __init__(self, workflows: Workflows, *, interval: timedelta = timedelta(minutes=1)) -> None:
        self.workflows, self.interval = workflows, interval
        self._next = datetime.now(UTC) + interval
        self._lock_key = workflows.store.keyspace.tagged("q2c:slo:tick")

    async def tick(self, now: datetime | None = None) -> list[str] | None:
        """Evaluate when due (``None`` when it was not, here or in another worker); breach ids opened."""
        now = now or datetime.now(UTC)
        if now < self._next:
            return None
        self._next = now + self.interval
        ms = int(self.interval.total_seconds() * 1000)
        if not await self.workflows.store.redis.set(self._lock_key, now.isoformat(), nx=True, px=ms):
            return None
        return await self.run(now)

    async def run(self, now: datetime | None = None) -> list[str]:
        report = await evaluate(self.workflows.store, now)
        opened = await open_breaches(self.workflows, report)
        for workflow_id in opened:
            _log.warning("SLO breach: %s opened for integration", workflow_id)
        return opened
