"""``revflow slo report``: the SLOs and one period's KPIs, read straight from Redis (no service needed).

The figures are the ones ``GET /v1/slos`` and ``GET /v1/kpis`` serve: the same code reads the same workflow
records and event streams, under the deployment's key prefix.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import click
from redis.asyncio import Redis

from revflow.commands._redis_opts import redis_options, run_with_redis
from services.process.quote_to_cash.kpi import KpiReportV1, kpis
from services.process.quote_to_cash.saga import WorkflowStore
from services.process.quote_to_cash.slo import SloReportV1, evaluate
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace

__all__ = ["slo"]

_SOURCE = "/revflow/cli"


def _num(value: float | None, fmt: str = "{:.3f}") -> str:
    if value is None:
        return "n/a"
    return fmt.format(value)


def _secs(value: float | None, fmt: str = "{:.3f}") -> str:
    return "n/a" if value is None else fmt.format(value) + "s"


def _print_slos(report: SloReportV1) -> None:
    click.echo(f"SLOs at {report.evaluated_at:%Y-%m-%d %H:%M:%S}Z  ({report.rule})")
    for s in report.slos:
        state = f"BREACHED: {s.breach_reason}" if s.breached else "ok"
        click.echo(f"  {s.name}  objective {s.objective:.2%}  budget left {s.error_budget_remaining:.1%}  {state}")
        for w in s.windows:
            burn = _num(w.burn_rate, "{:.2f}")
            click.echo(f"      {w.window:>3}  events {w.events:>6}  bad {w.bad:>5}  burn rate {burn}")
        if s.late:
            click.echo(f"      late: {', '.join(s.late[:5])}")


def _print_kpis(k: KpiReportV1) -> None:
    click.echo(f"KPIs of {k.period}")
    click.echo(f"  integration failure rate  {_num(k.integration_failure_rate)}  "
               f"({k.workflows_failed} of {k.workflows_started} workflows stopped for a person)")
    lat = k.event_latency
    click.echo(f"  event latency (publish -> workflow created)  p50 {_secs(lat.p50_seconds)}  "
               f"p99 {_secs(lat.p99_seconds)}  ({lat.samples} events)")
    for r in k.resolution:
        click.echo(f"  time to resolution, {r.owner}: mean {_secs(r.mean_seconds, '{:.0f}')}  "
                   f"({r.resolved} resolved, {r.open} open of {r.raised})")
    d = k.dead_letters
    click.echo(f"  dead letters  depth {d.depth}  oldest {_secs(d.oldest_age_seconds, '{:.0f}')}  {d.by_stream or ''}")
    click.echo(f"  days to close  {_num(k.days_to_close, '{:.2f}')}  {k.close_workflow_id or ''}")
    m = k.manual_interventions
    click.echo(f"  manual interventions  {m['total']} (resumes {m['resumes']}, replays {m['replays']}, "
               f"cancels {m['cancels']})")
    if k.reconciliation_run is None:
        click.echo(f"  billing accuracy / leakage: no reconciliation as of {k.period} has finished")
        return
    click.echo(f"  billing accuracy  {_num(k.billing_accuracy)} of {k.contracts_reconciled} contracts  "
               f"({k.reconciliation_run})")
    for label, amounts in (("booked, never billed", k.booked_not_billed),
                           ("billed, never recognised", k.billed_not_recognized)):
        shown = ", ".join(f"{a.amount_minor} {a.currency}" for a in amounts) or "none"
        click.echo(f"  leakage {label}: {shown} (minor units)")
    for row in k.consistency:
        pairs = ", ".join(f"{pair} {n}" for pair, n in row.unexplained_by_pair.items()) or "none"
        click.echo(f"  {row.currency}: booked {row.booked}, billed {row.billed}, recognised {row.recognized}, "
                   f"deferred {row.deferred} (minor units); unexplained differences: {pairs}")


@click.group()
def slo() -> None:
    """Service level objectives and KPIs."""


@slo.command("report")
@click.option("--period", default=None, help="Accounting period YYYY-MM of the KPIs (this month by default).")
@redis_options
def report(period: str | None, redis_url: str, prefix: str) -> None:
    """Print every SLO (burn rates over 1h/24h/30d, budget left, breaches) and the period's KPIs."""
    period = period or datetime.now(UTC).strftime("%Y-%m")
    if not re.match(r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$", period):
        raise click.BadParameter("must be an accounting period YYYY-MM", param_hint="--period")

    async def work(redis: Redis) -> tuple[SloReportV1, KpiReportV1]:
        keyspace = KeySpace(prefix)
        store = WorkflowStore(redis, keyspace)
        return await evaluate(store), await kpis(store, EventBus(redis, keyspace, _SOURCE), period)

    slos, figures = run_with_redis(redis_url, work)
    _print_slos(slos)
    _print_kpis(figures)
