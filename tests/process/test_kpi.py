"""KPIs of one period from seeded workflow records, event stream entries and a reconciliation report.

The records, stream entries (with ids at chosen instants) and the report are inputs written to a real Redis;
the expected figures are worked out here from the seed by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from contracts.events import new_event
from contracts.money import Money
from contracts.process import ExceptionOwner
from services.process.quote_to_cash.kpi import kpis, percentile
from services.process.quote_to_cash.reconciliation import (
    ContractReconciliation,
    Difference,
    Figures,
    ReconciliationReport,
)
from services.process.quote_to_cash.saga import HistoryEntry, WorkflowState, WorkflowStore
from services.process.quote_to_cash.workflows import DEFINITIONS
from services.runtime.events import EventBus
from services.runtime.events._keys import dlq_registry_key
from services.runtime.redis import KeySpace

PERIOD = "2024-03"
S = timedelta(seconds=1)
NOW = datetime.now(UTC)


def at(day: int, hour: int, minute: int = 0, second: float = 0.0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC) + second * S


def _usd(amount: int) -> Money:
    return Money(amount_minor=amount, currency="USD")


def _figures() -> Figures:
    zero = _usd(0)
    return Figures(currency="USD", booked=zero, contracted=zero, billed=zero, usage_billed=zero, other_billed=zero,
                   credited=zero, unbilled=zero, posted_to_erp=zero, credited_in_erp=zero, billed_in_revenue=zero,
                   recognized=zero, deferred=zero, contract_asset=zero, receivable=zero)


def _difference(code: str, amount: int, systems: tuple[str, str], *, explained: bool = False) -> Difference:
    return Difference(code=code, cause=code, owner=ExceptionOwner.BILLING_OPS, explained=explained,
                      amount=_usd(amount), systems=systems, deal="D")


def _report() -> ReconciliationReport:
    stopped = _difference("unbilled_stopped", 5_000, ("crm", "billing"))
    timing = _difference("unbilled_timing", 7_000, ("crm", "billing"), explained=True)
    unlinked = _difference("invoice_not_linked", 1_200, ("billing", "revrec"))
    contracts = [
        ContractReconciliation(deal="D1", figures=_figures(), differences=[stopped], explained=0, unexplained=1),
        ContractReconciliation(deal="D2", figures=_figures(), differences=[timing, unlinked], explained=1,
                               unexplained=1),
    ]
    totals = msgspec.structs.replace(_figures(), booked=_usd(90_000), billed=_usd(60_000), recognized=_usd(45_000))
    return ReconciliationReport(as_of=PERIOD, generated_at=at(3, 1, month=4), deals=2, contracts=contracts,
                                totals=[totals], ledger=[], differences=[stopped, timing, unlinked], explained=1,
                                unexplained=2, clean=False)


def _record(kind: str, workflow_id: str, created: datetime, history: list[tuple[datetime, str]], *,
            state: WorkflowState = WorkflowState.SUCCEEDED, data: dict | None = None,
            completed: datetime | None = None):
    record = DEFINITIONS[kind].new_record(workflow_id, workflow_id, data or {}, None)
    record.created_at, record.state = created, state
    record.history = [HistoryEntry(at=created, step=None, event="started")]
    record.history += [HistoryEntry(at=when, step="x", event=event) for when, event in history]
    record.completed_at = completed or (history[-1][0] if history else created)
    record.updated_at = record.completed_at
    return record


async def _publish(redis, bus: EventBus, stream: str, when: datetime, type_: str, data: dict) -> None:
    event = new_event(type=type_, source="/test", data=data, time=when)
    ms = int(when.timestamp() * 1000)
    await redis.xadd(bus.stream_key(stream), {"ce": msgspec.json.encode(event)}, id=f"{ms}-0")


async def _seed(redis, store: WorkflowStore, bus: EventBus) -> None:
    records = [
        # Parked 30 minutes for finance_ops, resumed, completed.
        _record("activation", "activation:A", at(5, 10), [(at(5, 10, 1), "parked"), (at(5, 10, 31), "resumed"),
                                                          (at(5, 10, 40), "completed")]),
        # Dead-lettered, replayed 10 minutes later by integration.
        _record("invoice_sync", "invoice_sync:in_B:open", at(6, 12), [(at(6, 12, 5), "dead_lettered"),
                                                                       (at(6, 12, 15), "replayed")]),
        _record("activation", "activation:C", at(7, 9), [(at(7, 9, 2), "completed")]),
        # Parked for sales_ops and never resumed; cancelled in April (outside the period).
        _record("amendment", "amendment:D", at(8, 8),
                [(at(8, 8, 1), "parked"), (at(2, 9, month=4), "cancel_requested")], state=WorkflowState.PARKED),
        # Started in February, resumed in March: an intervention of March, not a workflow started in it.
        _record("activation", "activation:E", at(20, 9, month=2), [(at(20, 9, 1, month=2), "parked"),
                                                                    (at(2, 9), "resumed"), (at(2, 9, 5), "completed")]),
        # SLO breach records are not integration work.
        _record("slo_breach", "slo_breach:x:1", at(9, 9), [(at(9, 9), "parked")], state=WorkflowState.PARKED),
        _record("period_close", "period_close:2024-03", at(2, 8, month=4), [(at(3, 12, month=4), "completed")],
                data={"period": PERIOD}),
        _record("reconciliation", "reconciliation:r1", at(3, 1, month=4), [(at(3, 1, 1, month=4), "completed")],
                data={"run_id": "r1", "as_of": PERIOD}),
        _record("reconciliation", "reconciliation:r0", at(3, 1, month=4), [(at(3, 1, 0, month=4), "completed")],
                data={"run_id": "r0", "as_of": "2024-02"}),
    ]
    records[-2].step("reconcile").output = msgspec.to_builtins(_report())
    for record in records:
        assert await store.create(record)
    closed_won, finalized = "revflow.crm.opportunity.closed_won.v1", "revflow.billing.invoice.finalized.v1"
    await _publish(redis, bus, "crm", at(5, 9, 59, 58), closed_won, {"opportunity": {"id": "A"}})     # 2 s
    await _publish(redis, bus, "crm", at(5, 10, 5), closed_won, {"opportunity": {"id": "A"}})         # duplicate
    await _publish(redis, bus, "crm", at(7, 8, 59, 59.5), closed_won, {"opportunity": {"id": "C"}})   # 0.5 s
    await _publish(redis, bus, "crm", at(2, 9, month=4), closed_won, {"opportunity": {"id": "C"}})    # April
    await _publish(redis, bus, "billing", at(6, 11, 59, 50), finalized, {"invoice": {"id": "in_B"}})  # 10 s
    attention = "revflow.process.workflow.needs_attention.v1"
    for when, wid, owner in ((at(5, 10, 1, 0.2), "activation:A", "finance_ops"),
                             (at(6, 12, 5, 0.2), "invoice_sync:in_B:open", "integration"),
                             (at(8, 8, 1, 0.2), "amendment:D", "sales_ops")):
        await _publish(redis, bus, "process", when, attention,
                       {"workflow_id": wid, "owner": owner, "occurred_at": when.isoformat()})
    dlq = bus.stream_key("billing") + ":dlq"
    await redis.sadd(dlq_registry_key(bus.keyspace), "billing")  # as the consumer that dead-letters registers it
    await redis.xadd(dlq, {"event": b"", "error": "boom", "attempts": 5, "stream": bus.stream_key("billing"),
                           "stream_id": "1-0", "group": "g", "consumer": "c",
                           "failed_at": (NOW - timedelta(hours=2)).isoformat()})


class TestPercentile:
    def test_nearest_rank(self):
        assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0
        assert percentile([float(v) for v in range(1, 101)], 0.99) == 99.0
        assert percentile([], 0.5) is None


class TestKpis:
    async def test_figures_of_a_seeded_period(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        store, bus = WorkflowStore(redis, keyspace), EventBus(redis, keyspace, source="/test")
        await _seed(redis, store, bus)
        report = await kpis(store, bus, PERIOD, now=NOW)

        # Started in March: A, B, C, D (E began in February, the breach is not counted); B and D stopped... and A.
        assert (report.workflows_started, report.workflows_failed) == (4, 3)
        assert report.integration_failure_rate == pytest.approx(3 / 4)
        # Samples 2 s (A), 0.5 s (C), 10 s (B); A's duplicate and C's April event are not samples.
        latency = report.event_latency
        assert (latency.samples, latency.p50_seconds, latency.p99_seconds) == (3, pytest.approx(2.0),
                                                                             pytest.approx(10.0))
        resolution = {r.owner: r for r in report.resolution}
        assert (resolution["finance_ops"].resolved, resolution["finance_ops"].mean_seconds) == (1, pytest.approx(1800))
        assert (resolution["integration"].resolved, resolution["integration"].mean_seconds) == (1, pytest.approx(600))
        assert (resolution["sales_ops"].open, resolution["sales_ops"].mean_seconds) == (1, None)
        assert report.dead_letters.depth == 1
        assert report.dead_letters.oldest_age_seconds == pytest.approx(7200)
        # Closed on 3 April at noon: 2.5 days after the period ended.
        assert (report.close_workflow_id, report.days_to_close) == ("period_close:2024-03", pytest.approx(2.5))
        # A's resume and E's resume are in March; B's replay too; D's cancel is in April.
        assert report.manual_interventions == {"resumes": 2, "replays": 1, "cancels": 0, "total": 3}
        assert (report.reconciliation_run, report.contracts_reconciled) == ("reconciliation:r1", 2)
        assert report.billing_accuracy == pytest.approx(0.5)  # D1's unbilled_stopped; D2's differences are not
        assert report.booked_not_billed == [_usd(5_000)]
        assert report.billed_not_recognized == [_usd(1_200)]
        # The run's USD totals, and its two unexplained differences (D2's timing is explained) by system pair.
        [usd] = report.consistency
        assert (usd.currency, usd.booked, usd.billed, usd.recognized) == ("USD", 90_000, 60_000, 45_000)
        assert (usd.unexplained_by_pair, usd.consistent) == ({"billing-revrec": 1, "crm-billing": 1}, False)

    async def test_an_empty_period_has_no_rates(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        report = await kpis(WorkflowStore(redis, keyspace), EventBus(redis, keyspace, source="/test"), "2023-01")
        assert (report.workflows_started, report.integration_failure_rate) == (0, None)
        assert report.event_latency.samples == 0 and report.days_to_close is None
        assert report.reconciliation_run is None and report.billing_accuracy is None and report.consistency == []
