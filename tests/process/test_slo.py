"""SLOs measured from workflow records seeded with chosen timestamps in a real Redis.

The records are inputs written through ``WorkflowStore``; every expected figure is computed here again from
the raw (created, finished) pairs of the seed, window by window.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from click.testing import CliRunner

from revflow.cli import cli
from services.process.quote_to_cash.app import create_app
from services.process.quote_to_cash.engine import Workflows
from services.process.quote_to_cash.saga import WorkflowState, WorkflowStore
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.process.quote_to_cash.slo import OBJECTIVES, SloMonitor, evaluate
from services.process.quote_to_cash.workflows import DEFINITIONS
from services.runtime.events import EventBus
from services.runtime.metrics import REGISTRY
from services.runtime.redis import KeySpace, create_redis
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL

NOW = datetime.now(UTC).replace(microsecond=0)
M = timedelta(minutes=1)
WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "30d": timedelta(days=30)}

# (created this long ago, took this long to finish or None = unfinished, cancelled)
ACTIVATIONS = [
    (10 * M, 1 * M, False), (20 * M, 4 * M, False), (30 * M, 6 * M, False), (40 * M, 2 * M, False),
    (8 * M, None, False),                       # parked 8 minutes: already late
    (2 * M, None, False),                       # 2 minutes in: pending, not counted
    (50 * M, None, True),                       # cancelled before completing: not counted
    (3 * 60 * M, 30 * M, False), (5 * 60 * M, 3 * M, False), (20 * 60 * M, 5 * M, False),  # exactly 5 min: good
    (3 * 1440 * M, 9 * M, False), (10 * 1440 * M, 1 * M, False), (29 * 1440 * M, 2 * M, False),
    (40 * 1440 * M, 30 * M, False),             # outside every window
]
INVOICES = [(15 * M, 2 * M, "open"), (25 * M, 16 * M, "open"), (35 * M, 40 * M, "void"), (2 * 1440 * M, 14 * M, "paid")]
AMENDMENTS = [(45 * M, 3 * M), (6 * 60 * M, 20 * M)]


def _expected(rows: list[tuple[timedelta, timedelta | None, bool]], threshold: timedelta, target: float) -> dict:
    """Events, bad events, burn rates and budget from the raw seed (an independent computation)."""
    events = []
    for age, took, cancelled in rows:
        if took is not None:
            events.append((age, took > threshold))
        elif not cancelled and age > threshold:
            events.append((age, True))
    figures = {}
    for name, span in WINDOWS.items():
        inside = [bad for age, bad in events if age < span]
        bad = sum(inside)
        figures[name] = (len(inside), bad, (bad / len(inside)) / (1 - target) if inside else 0.0)
    total, bad = figures["30d"][0], figures["30d"][1]
    figures["budget"] = 1 - bad / ((1 - target) * total) if total else 1.0
    return figures


def _record(kind: str, subject: str, age: timedelta, *, took: timedelta | None = None, step: str | None = None,
            cancelled: bool = False, data: dict | None = None, workflow_id: str | None = None):
    record = DEFINITIONS[kind].new_record(workflow_id or f"{kind}:{subject}", subject, data or {}, None)
    record.created_at = record.updated_at = NOW - age
    if cancelled:
        record.state = WorkflowState.COMPENSATED
        record.completed_at = NOW - age + M
    elif took is None:
        record.state = WorkflowState.PARKED
    elif step is None:
        record.state, record.completed_at = WorkflowState.SUCCEEDED, NOW - age + took
    else:
        found = record.step(step)
        found.status, found.started_at, found.finished_at = "done", NOW - age, NOW - age + took
        record.state, record.completed_at = WorkflowState.SUCCEEDED, NOW - age + took + M
    return record


async def _seed(store: WorkflowStore) -> None:
    for i, (age, took, cancelled) in enumerate(ACTIVATIONS):
        assert await store.create(_record("activation", f"OPP{i}", age, took=took, cancelled=cancelled))
    for i, (age, took, status) in enumerate(INVOICES):
        assert await store.create(_record("invoice_sync", f"OPP{i}", age, took=took, step="erp_invoice",
                                          data={"invoice_id": f"in_{i}", "status": status},
                                          workflow_id=f"invoice_sync:in_{i}:{status}"))
    for i, (age, took) in enumerate(AMENDMENTS):
        assert await store.create(_record("amendment", f"OPP{i}", age, took=took, step="revenue",
                                          workflow_id=f"amendment:AM{i}"))
    # 2024-01 posted once; 2024-02 posted by two close runs that both stand (the objective's bad event).
    for wid, period, age in (("period_close:2024-01", "2024-01", 40 * M), ("period_close:2024-02", "2024-02", 30 * M),
                             ("period_close:2024-02:2", "2024-02", 20 * M)):
        assert await store.create(_record("period_close", f"period:{period}", age, took=M, step="post_journals",
                                          data={"period": period}, workflow_id=wid))


def _by_name(report) -> dict:
    return {slo.name: slo for slo in report.slos}


class TestEvaluate:
    async def test_figures_match_the_raw_timestamps(self, redis, key_prefix):
        store = WorkflowStore(redis, KeySpace(key_prefix))
        await _seed(store)
        slos = _by_name(await evaluate(store, NOW))

        cases = {
            "activation_5m": _expected(ACTIVATIONS, 5 * M, 0.99),
            "invoice_erp_15m": _expected([(a, t, False) for a, t, s in INVOICES if s != "void"], 15 * M, 0.99),
            "amendment_revenue_15m": _expected([(a, t, False) for a, t in AMENDMENTS], 15 * M, 0.99),
        }
        for name, expected in cases.items():
            windows = {w.window: w for w in slos[name].windows}
            for window in WINDOWS:
                events, bad, burn = expected[window]
                assert (windows[window].events, windows[window].bad) == (events, bad), (name, window)
                assert windows[window].burn_rate == pytest.approx(burn), (name, window)
                sample = REGISTRY.get_sample_value("revflow_slo_burn_rate", {"slo": name, "window": window})
                assert sample == pytest.approx(burn)
            assert slos[name].error_budget_remaining == pytest.approx(expected["budget"])
        # Spot values, so that a shared mistake in the expectation cannot hide: 1h has 10, 20, 30 (bad), 40
        # minutes and the parked one (bad); 24h adds 3 h (bad), 5 h and 20 h.
        activation = {w.window: w for w in slos["activation_5m"].windows}
        assert (activation["1h"].events, activation["1h"].bad) == (5, 2)
        assert (activation["24h"].events, activation["24h"].bad) == (8, 3)
        assert (activation["30d"].events, activation["30d"].bad) == (11, 4)
        assert slos["activation_5m"].breached and "1h burn rate" in (slos["activation_5m"].breach_reason or "")
        assert sorted(slos["activation_5m"].late) == sorted(
            ["activation:OPP2", "activation:OPP4", "activation:OPP7", "activation:OPP10"])

        close = {w.window: w for w in slos["period_close_once"].windows}
        assert (close["1h"].events, close["1h"].bad, close["1h"].burn_rate) == (2, 1, None)
        assert slos["period_close_once"].breached
        assert slos["period_close_once"].late == ["period_close:2024-02"]
        assert REGISTRY.get_sample_value("revflow_slo_breached", {"slo": "period_close_once"}) == 1

    async def test_nothing_seeded_means_full_budget_and_no_breach(self, redis, key_prefix):
        slos = _by_name(await evaluate(WorkflowStore(redis, KeySpace(key_prefix)), NOW))
        assert set(slos) == {o.name for o in OBJECTIVES}
        assert all(s.error_budget_remaining == 1.0 and not s.breached for s in slos.values())


class TestBreach:
    async def test_a_late_activation_opens_one_exception_for_integration(self, redis, key_prefix, issuer):
        keyspace = KeySpace(key_prefix)
        workflows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), DEFINITIONS)
        for i, minutes in enumerate((10, 20, 30)):
            await workflows.store.create(_record("activation", f"FAST{i}", minutes * M, took=M))
        monitor = SloMonitor(workflows)
        assert await monitor.run() == []  # on time: no breach

        await workflows.store.create(_record("activation", "SLOW", 15 * M, took=6 * M))  # the injected delay
        opened = await monitor.run()
        assert len(opened) == 1 and opened[0].startswith("slo_breach:activation_5m:")
        assert await monitor.run() == []  # opens once while it is open

        settings = QuoteToCashSettings(issuer_url=issuer.url, redis_url=REDIS_URL, key_prefix=key_prefix, workers=0)
        token = issuer.token("quote_to_cash:read", audience="quote_to_cash")
        with serve_in_thread(create_app(settings)) as server:
            client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
            queue = client.get("/v1/exceptions", params={"owner": "integration"}).json()
            slos = client.get("/v1/slos").json()
            kpis = client.get("/v1/kpis", params={"period": "2024-13"})
            close = client.get(f"/v1/periods/{datetime.now(UTC):%Y-%m}").json()
            pipeline = client.get("/v1/deals", params={"q": "slo"}).json()
        [breach] = queue["data"]
        # A breach is integration's to answer; it neither holds up finance's close nor shows as a deal.
        checks = {item["name"]: item for item in close["checklist"]}
        assert checks["no_open_exceptions"]["ok"], checks["no_open_exceptions"]
        assert not any(opened[0] in entry for item in close["checklist"] for entry in item["open"])
        assert [d["opportunity_id"] for d in pipeline["data"]] == ["SLOW"]  # not the breach's "slo:..." subject
        assert (breach["workflow_id"], breach["kind"], breach["owner"]) == (opened[0], "slo_breach", "integration")
        assert "activation:SLOW" in breach["reason"] and "resume" in breach["fix"]
        activation = next(s for s in slos["slos"] if s["name"] == "activation_5m")
        hour = next(w for w in activation["windows"] if w["window"] == "1h")
        assert (hour["events"], hour["bad"], hour["burn_rate"]) == (4, 1, pytest.approx(25.0))
        assert activation["breached"] and activation["late"] == ["activation:SLOW"]
        assert kpis.status_code == 400 and kpis.json()["errors"][0]["field"] == "period"

        # Integration acknowledges the breach after the fix: resume completes it.
        await workflows.request(opened[0], "resume")
        done = await workflows.runner.advance(opened[0])
        assert done is not None and done.state is WorkflowState.SUCCEEDED

    async def test_tick_runs_once_per_interval_across_monitors(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        workflows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), DEFINITIONS)
        await workflows.store.create(_record("activation", "SLOW", 15 * M, took=9 * M))
        first, second = SloMonitor(workflows), SloMonitor(workflows)
        later = datetime.now(UTC) + timedelta(minutes=2)
        assert await first.tick(datetime.now(UTC)) is None  # not due yet
        opened = await first.tick(later)
        assert opened is not None and len(opened) == 1
        assert await second.tick(later) is None  # the other worker evaluated this minute


class TestReport:
    def test_revflow_slo_report_prints_the_breach_and_the_kpis(self):
        prefix = f"test:{uuid.uuid4().hex[:12]}:"

        async def seed() -> None:
            redis = create_redis(REDIS_URL)
            try:
                await WorkflowStore(redis, KeySpace(prefix)).create(_record("activation", "SLOW", 15 * M, took=7 * M))
            finally:
                await redis.aclose()

        async def clean() -> None:
            redis = create_redis(REDIS_URL)
            try:
                keys = [k async for k in redis.scan_iter(match=prefix + "*")]
                if keys:
                    await redis.unlink(*keys)
            finally:
                await redis.aclose()

        asyncio.run(seed())
        try:
            result = CliRunner().invoke(cli, ["slo", "report", "--period", "2024-03", "--prefix", prefix,
                                              "--redis-url", REDIS_URL])
        finally:
            asyncio.run(clean())
        assert result.exit_code == 0, result.output
        assert "activation_5m  objective 99.00%" in result.output and "BREACHED: 1h burn rate 100.0" in result.output
        assert "late: activation:SLOW" in result.output and "KPIs of 2024-03" in result.output
        bad = CliRunner().invoke(cli, ["slo", "report", "--period", "2024-3", "--prefix", prefix])
        assert bad.exit_code == 2 and "YYYY-MM" in bad.output
