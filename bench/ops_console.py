"""Ops console benchmark: the server time of each page with 10,000 deals loaded.

The process API (no workers: nothing moves while we measure) and the console each run as their own process
(uvicorn, one worker) on loopback, over one real Redis, with tokens from the built-in issuer. The workflow
store is seeded with ``--deals`` activation workflows (a realistic mix: most completed, some in flight, some
blocked for finance, sales or integration) written the way the process tier writes them, so the pipeline,
exception queue and close checklist read exactly what they would read in production.

A page's server time is measured at a client on the same host, one request at a time on a kept-alive
connection, after a warm-up: it includes the console's call(s) to the process API, as a person would
experience it. The process API's own time for the same data is printed beside it.

Run: ``uv run python bench/ops_console.py [--deals 10000] [--requests 40] [--quick]`` (``--quick``: 500 deals,
5 requests per page). Figures go to stdout; ``uv run revflow bench ops_console`` records them in RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.process import BusinessStatus, ExceptionOwner  # noqa: E402
from revflow.benchmarks import BenchResult, Figure, Ratio, Table  # noqa: E402
from services.process.quote_to_cash.engine import DealLinks  # noqa: E402
from services.process.quote_to_cash.metrics_book import DealFigures, MetricsBook  # noqa: E402
from services.process.quote_to_cash.saga import ExceptionRecord, WorkflowState, WorkflowStore  # noqa: E402
from services.process.quote_to_cash.workflows.activation import ACTIVATION  # noqa: E402
from services.runtime.auth.issuer.app import create_app as create_issuer  # noqa: E402
from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings  # noqa: E402
from services.runtime.redis import KeySpace, create_redis  # noqa: E402
from services.runtime.testing import free_port, serve_in_thread  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
logging.getLogger("httpx").setLevel(logging.WARNING)
FULL, QUICK = (10_000, 40), (500, 5)
TARGET_MS = 200.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# (share, state, business status, owner, failed step)
MIX = [(0.70, WorkflowState.SUCCEEDED, BusinessStatus.COMPLETED, None, None),
       (0.06, WorkflowState.RUNNING, BusinessStatus.AWAITING_BILLING, None, None),
       (0.05, WorkflowState.RUNNING, BusinessStatus.AWAITING_ERP_POSTING, None, None),
       (0.04, WorkflowState.RUNNING, BusinessStatus.AWAITING_REVENUE_SCHEDULE, None, None),
       (0.08, WorkflowState.PARKED, BusinessStatus.BLOCKED_MASTER_DATA, ExceptionOwner.FINANCE_OPS, "erp_items"),
       (0.04, WorkflowState.PARKED, BusinessStatus.PENDING_VALIDATION, ExceptionOwner.SALES_OPS, "validate"),
       (0.03, WorkflowState.DEAD_LETTERED, BusinessStatus.NEEDS_ATTENTION, ExceptionOwner.INTEGRATION,
        "billing_subscription")]


def _pick(rng: random.Random) -> tuple:  # type: ignore[type-arg]
    point, acc = rng.random(), 0.0
    for row in MIX:
        acc += row[0]
        if point <= acc:
            return row
    return MIX[0]


def _record(i: int, rng: random.Random, now: datetime):  # type: ignore[no-untyped-def]
    deal = f"006BENCH{i:07d}"
    name = f"Customer {i % 2500:04d} Ltd"
    record = ACTIVATION.new_record(f"activation:{deal}", deal, {"customer": {"id": f"CUST-{i % 2500:04d}",
                                                                           "name": name}}, uuid.uuid4().hex)
    _, state, status, owner, failed = _pick(rng)
    record.created_at = record.updated_at = now - timedelta(minutes=rng.randint(1, 60 * 24 * 60))
    record.state, record.business_status = state, status
    stop = next((n for n, s in enumerate(record.steps) if s.name == failed), len(record.steps))
    if state is WorkflowState.RUNNING:
        stop = rng.randint(1, len(record.steps) - 1)
    for n, step in enumerate(record.steps):
        step.status = "done" if n < stop else ("failed" if n == stop and failed else "pending")
        step.attempts = 1 if n <= stop else 0
    record.step_index = min(stop, len(record.steps) - 1)
    if owner is not None:
        record.exception = ExceptionRecord(step=failed or "validate", owner=owner, reason="seeded for the benchmark",
                                           fix="nothing: this is a benchmark", code="bench",
                                           occurred_at=record.updated_at)
    if state is WorkflowState.SUCCEEDED:
        record.completed_at = record.updated_at
    return record


def _figures(record, rng: random.Random, now: datetime) -> DealFigures:  # type: ignore[no-untyped-def]
    """An activated deal's finance figures as the metrics book holds them: a 12-month term billed monthly."""
    first = (now - timedelta(days=rng.randint(0, 700))).strftime("%Y-%m")
    periods = [f"{int(first[:4]) + (int(first[5:]) - 1 + n) // 12}-{(int(first[5:]) - 1 + n) % 12 + 1:02d}"
               for n in range(12)]
    monthly = rng.randint(1, 40) * 10_000
    return DealFigures(deal=record.subject, read_at=now, currency="USD", first=periods[0], last=periods[-1],
                       values={"bookings": {periods[0]: monthly * 12}, "billings": dict.fromkeys(periods, monthly),
                               "recognized_revenue": dict.fromkeys(periods, monthly),
                               "arr": dict.fromkeys(periods, monthly * 12)})


async def seed(prefix: str, deals: int) -> None:
    """The workflows, and for every completed activation its ids and finance figures (the metrics book)."""
    redis = create_redis(REDIS_URL)
    keyspace = KeySpace(prefix)
    store, links, book = WorkflowStore(redis, keyspace), DealLinks(redis, keyspace), MetricsBook(redis, keyspace)
    rng, now = random.Random(7), datetime.now(UTC)
    encode = msgspec.json.Encoder().encode

    async def one(i: int) -> None:
        record = _record(i, rng, now)
        await store.create(record)
        if record.state is WorkflowState.SUCCEEDED:
            await links.record(record.subject, subscription_id=f"sub_bench{i:07d}")
            await book.figures.put(record.subject, encode(_figures(record, rng, now)))

    try:
        for start in range(0, deals, 500):
            await asyncio.gather(*(one(i) for i in range(start, min(deals, start + 500))))
    finally:
        await redis.aclose()


async def clean(prefix: str) -> None:
    redis = create_redis(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=5000)]
        for n in range(0, len(keys), 1000):
            await redis.unlink(*keys[n:n + 1000])
    finally:
        await redis.aclose()


class Server:
    """One factory under uvicorn (one worker) in its own process."""

    def __init__(self, factory: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(self.port), "--log-level", "warning",
             "--no-access-log"], env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"{factory} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def timings(client: httpx.Client, path: str, requests: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    out = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def _p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


def line(label: str, samples: list[float], underlying: list[float] | None) -> str:
    p50, p95 = statistics.median(samples), _p95(samples)
    under = f"{statistics.median(underlying):8.1f}" if underlying else "       -"
    return f"| {label:<44} | {p50:7.1f} | {p95:7.1f} | {max(samples):7.1f} | {under} |"


def measure(deals: int, requests: int) -> BenchResult:
    args = argparse.Namespace(deals=deals, requests=requests)
    prefix = f"bench:ops_console:{uuid.uuid4().hex[:8]}:"
    issuer_port = free_port()
    clients = (ClientConfig(client_id="bench-console", client_secret="bench-console-secret",
                            scopes=("quote_to_cash:read", "quote_to_cash:write"), audiences=("quote_to_cash",)),)
    issuer_settings = IssuerSettings(issuer_url=f"http://127.0.0.1:{issuer_port}", clients=clients)
    started = time.perf_counter()
    asyncio.run(seed(prefix, args.deals))
    print(f"seeded {args.deals} deals in {time.perf_counter() - started:.1f} s")
    common = {"REDIS_URL": REDIS_URL, "REVFLOW_ISSUER_URL": issuer_settings.issuer_url, "REVFLOW_KEY_PREFIX": prefix}
    servers: list[Server] = []
    try:
        with serve_in_thread(create_issuer(issuer_settings), port=issuer_port):
            process = Server("services.process.quote_to_cash.app:create_app", {
                **common, "REVFLOW_QUOTE_TO_CASH_WORKERS": "0", "REVFLOW_QUOTE_TO_CASH_LOG_LEVEL": "WARNING"})
            servers.append(process)
            console = Server("services.experience.ops_console.app:create_app", {
                **common, "REVFLOW_OPS_CONSOLE_PROCESS_URL": process.url, "REVFLOW_OPS_CONSOLE_LOG_LEVEL": "WARNING",
                "REVFLOW_OPS_CONSOLE_CLIENT_ID": "bench-console",
                "REVFLOW_OPS_CONSOLE_CLIENT_SECRET": "bench-console-secret"})
            servers.append(console)
            pages = measure_pages(args, console, process, clients[0], issuer_settings.issuer_url)
    finally:
        for server in servers:
            server.stop()
        asyncio.run(clean(prefix))
    return _result(pages, deals, requests)


Samples = list[tuple[str, list[float], list[float] | None]]


def _result(pages: Samples, deals: int, requests: int) -> BenchResult:
    rows, shares = [], []
    for label, samples, under in pages:
        p50 = statistics.median(samples)
        base = statistics.median(under) if under else None
        if base:
            shares.append(p50 / base)
        rows.append([label, f"{p50:.1f}", f"{_p95(samples):.1f}", f"{max(samples):.1f}",
                     f"{base:.1f}" if base else "-", f"{p50 / base:.2f}x" if base else "-"])
    over = [label for label, samples, _ in pages if statistics.median(samples) >= TARGET_MS]
    slowest = max(pages, key=lambda page: statistics.median(page[1]))
    return BenchResult(
        title="Ops console", settings=f"--deals {deals} --requests {requests}",
        baseline="the process API alone (no workers), asked for the same data over the same loopback, p50",
        figures=[Figure(name=f"pages at or over {TARGET_MS:.0f} ms at p50 (of {len(pages)})", value=len(over),
                        target=f"0 with 10,000 deals: {'met' if not over else '**not met**'}"),
                 Figure(name=f"slowest page p50: {slowest[0]}", value=statistics.median(slowest[1]), unit="ms")],
        ratios=[Ratio(name="console page p50 / process API p50, median over pages", value=statistics.median(shares),
                      percent=False)],
        tables=[Table(columns=["page", "p50 ms", "p95 ms", "max ms", "process API p50 ms", "console / API"],
                      rows=rows)],
        notes=[f"{deals:,} activation workflows seeded (70% completed, 15% in flight, 15% waiting for a person); "
               f"{requests} sequential requests per page on a kept-alive connection after 3 warm-ups; "
               "each page's time includes the console's calls to the process API."])


def run(quick: bool) -> BenchResult:
    return measure(*(QUICK if quick else FULL))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=FULL[0])
    parser.add_argument("--requests", type=int, default=FULL[1])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK[0]} deals, {QUICK[1]} requests per page")
    args = parser.parse_args()
    measure(*(QUICK if args.quick else (args.deals, args.requests)))


def measure_pages(args: argparse.Namespace, console: Server, process: Server, client: ClientConfig,
                  issuer_url: str) -> Samples:
    with httpx.Client(base_url=console.url, timeout=30) as browser, \
            httpx.Client(base_url=process.url, timeout=30) as direct:
        form = browser.get("/login")
        browser.post("/login", data={"username": "finance", "password": "finance-dev-pass",
                                     "csrf_token": _CSRF.search(form.text).group(1)})  # type: ignore[union-attr]
        assert browser.get("/pipeline").status_code == 200, "sign-in failed"
        access = httpx.post(f"{issuer_url}/oauth/token", auth=(client.client_id, client.client_secret),
                            data={"grant_type": "client_credentials", "scope": "quote_to_cash:read",
                                  "audience": "quote_to_cash"}).json()["access_token"]
        direct.headers["Authorization"] = f"Bearer {access}"
        blocked = direct.get("/v1/deals", params={"business_status": "blocked_master_data", "limit": 1}).json()
        deal = blocked["data"][0]["opportunity_id"]
        pages = [
            ("Pipeline (all deals, first page)", "/pipeline", "/v1/deals?limit=50"),
            ("Pipeline filtered: blocked, finance ops", "/pipeline?status=blocked_master_data&owner=finance_ops",
             "/v1/deals?business_status=blocked_master_data&owner=finance_ops&limit=50"),
            ("Pipeline search: customer name", "/pipeline?q=Customer+0042", "/v1/deals?q=Customer+0042&limit=50"),
            ("Pipeline search: an invoice id (workflow search)", "/pipeline?q=in_NOSUCHINVOICE",
             "/v1/workflows?q=in_NOSUCHINVOICE&limit=50"),
            ("Deal view (blocked deal)", f"/deals/{deal}", f"/v1/deals/{deal}"),
            ("Exceptions (every owner)", "/exceptions", "/v1/exceptions"),
            ("Exceptions (finance ops)", "/exceptions?owner=finance_ops", "/v1/exceptions?owner=finance_ops"),
            ("Revenue (12 months)", "/revenue?from=2025-01&to=2025-12&refresh=1",
             "/v1/metrics?from=2024-12&to=2025-12"),
            ("Reconciliation and close", "/close?period=2025-01", "/v1/periods/2025-01"),
            ("JSON API: /v1/pipeline", "/v1/pipeline", None),
        ]
        print(f"\n{args.deals} deals, {args.requests} sequential requests per page after 3 warm-ups (ms)\n")
        print("| page | p50 | p95 | max | process API p50 |")
        print("|---|---:|---:|---:|---:|")
        measured: Samples = []
        for label, path, underlying in pages:
            samples = timings(browser, path, args.requests)
            under = timings(direct, underlying, args.requests) if underlying else None
            print(line(label, samples, under))
            measured.append((label, samples, under))
        return measured


if __name__ == "__main__":
    main()
