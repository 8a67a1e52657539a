"""Quote-to-cash benchmark: closed-won -> completed throughput and latency with the whole topology running.

Every component runs as its own process (``revflow serve NAME`` on granian, one worker each):
the issuer, the Salesforce, NetSuite and Stripe sandboxes, the CRM, ERP, billing and revrec system APIs, the
quote-to-cash process API (``workers=0``) and ``--workers`` quote-to-cash workers
(``revflow worker quote_to_cash``). Redis is a ``redis-server`` started for the run when one is
installed (so its command counts and CPU are the run's alone), else the one at ``REDIS_URL``; every key lives
under a fresh prefix that is deleted afterwards. No faults are injected.

What happens, and what is measured:

1. ``--warmup`` + ``--deals`` deals (a monthly platform line, often a one-time setup, sometimes usage) are
   entered in the Salesforce sandbox through its composite API, each for a new account.
   The ``--warmup`` deals are won first, at 10/s at most, and run to completion before anything is measured:
   a freshly started topology spends its first second or two opening connections and fetching tokens and keys
   (the first deals of a cold run take 1 to 2.5 s where later ones take 0.1 s), which is not the sustained
   behaviour the target is about. Their latency is printed on its own line and counted nowhere else.
2. The measured deals are won at ``--rate`` deals/s (composite updates every 100 ms); Salesforce's Outbound
   Messages push each close to the CRM API, which announces it on the event bus; the workers run the activation
   (ten steps over the four system APIs) and the invoice sync it starts.
3. **Latency** of a deal: from the moment its close was saved in Salesforce to the activation's
   ``completed_at`` (p50, p99, max); **throughput**: deals completed per second from the first close to the
   last completion (sustained when it matches the offered rate and latency does not grow).
4. **HTTP hops per deal**: requests served by each system API and calls each made to its vendor, from their
   Prometheus ``/metrics`` before and after (the bench's own reads of the process API are left out); Redis
   commands per deal from ``INFO``.
5. **Where the time goes**: CPU seconds per deal of every process (``/proc``), and the median duration of
   each activation step (from the workflows' histories).
6. **Baseline**, in the same run on the same processes: one system-API hop (an authenticated read of the
   book's calendar on revrec: JWT, routing, one Redis read), sequential latency and throughput at 32 requests
   in flight from this process; the deal figures are printed against it.

Target (issue 6): >= 50 deals/s sustained and p99 < 1 s on 2 cores.

Run: ``uv run python bench/quote_to_cash.py [--deals 300 --rate 50 --workers 2]``;
``--quick`` (5 deals at 5/s, no warm-up, one worker, 0.5 s of baseline) is a smoke run for CI. Figures go to stdout;
``uv run revflow bench quote_to_cash`` records them in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from revflow.benchmarks import BenchResult, Figure, Ratio, Table  # noqa: E402
from revflow.chaos import KNOWN_SKUS, enter_deals, win_deals  # noqa: E402
from sandboxes.netsuite import DEV_SETTINGS as NETSUITE  # noqa: E402
from sandboxes.salesforce.ids import to18  # noqa: E402
from sandboxes.salesforce.settings import DEV_SESSION_ID  # noqa: E402
from services.runtime.testing import free_port  # noqa: E402
from tests.sandboxes.netsuite.signing import NetSuiteHttp  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CLIENT, SECRET = "bench-q2c", "bench-q2c-secret"
SYSTEMS = ("crm", "erp", "billing", "revrec")
AUDIENCES = (*SYSTEMS, "quote_to_cash")
SF_BASE = "/services/data/v62.0"
ORG_ID = to18("00D5g000004SbxO")
"""The Salesforce sandbox org's id (every sandbox org has it)."""


class Component:
    """One process: ``revflow serve NAME`` (or ``revflow worker quote_to_cash``) with its environment."""

    def __init__(self, name: str, env: dict[str, str], logs: Path, *, port: int | None = None,
                 command: tuple[str, ...] | None = None) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}" if port else ""
        args = command or ("serve", name, "--port", str(port))
        self.log = logs / f"{name}.log"
        # The command's own module, not ``revflow.cli`` (which imports every command): the same server or worker,
        # a second or two less CPU to start each of the dozen processes.
        launch = f"from revflow.commands.{args[0]} import {args[0]}; {args[0]}(prog_name='revflow {args[0]}')"
        with self.log.open("wb") as sink:
            self.proc = subprocess.Popen([sys.executable, "-c", launch, *args[1:]], cwd=ROOT, stdout=sink,
                                         stderr=subprocess.STDOUT, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"})

    def wait_ready(self, deadline: float) -> None:
        while self.port:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _environments(ports: dict[str, int], prefix: str, workers_concurrency: int) -> dict[str, dict[str, str]]:
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    shared = {"REDIS_URL": REDIS_URL, "REVFLOW_ISSUER_URL": url["issuer"]}
    clients = [{"client_id": CLIENT, "client_secret": SECRET, "audiences": list(AUDIENCES),
                "scopes": [f"{a}:{x}" for a in AUDIENCES for x in ("read", "write")]}]

    def service(name: str, **values: Any) -> dict[str, str]:
        fields = {"key_prefix": prefix, "log_level": "WARNING", **values}
        return {**shared, **{f"REVFLOW_{name.upper()}_{k.upper()}": str(v) for k, v in fields.items()}}

    q2c = {"crm_url": url["crm"], "erp_url": url["erp"], "billing_url": url["billing"], "revrec_url": url["revrec"],
           "client_id": CLIENT, "client_secret": SECRET, "workers": 0, "concurrency": workers_concurrency}
    return {
        "issuer": {**shared, "REVFLOW_ISSUER_CLIENTS": json.dumps(clients)},
        "salesforce": {f"REVFLOW_SALESFORCE_{k}": v for k, v in (
            ("SEED", "11"), ("API_LIMIT", "100000000"), ("OUTBOUND_URLS", f"{url['crm']}/v1/webhooks/salesforce"),
            ("OUTBOUND_RETRY_DELAY", "0.05"), ("OUTBOUND_MAX_ATTEMPTS", "3"))},
        "netsuite": {},
        "stripe": {},
        "crm": service("crm", vendor="salesforce", vendor_url=url["salesforce"], salesforce_access_token=DEV_SESSION_ID,
                       salesforce_organization_id=ORG_ID),
        "erp": service("erp", vendor="netsuite", vendor_url=url["netsuite"], netsuite_account_id=NETSUITE.account_id,
                       netsuite_consumer_key=NETSUITE.consumer_key, netsuite_consumer_secret=NETSUITE.consumer_secret,
                       netsuite_token_id=NETSUITE.token_id, netsuite_token_secret=NETSUITE.token_secret),
        "billing": service("billing", vendor="stripe", vendor_url=url["stripe"], stripe_api_key="sk_test_bench"),
        "revrec": service("revrec"),
        "quote_to_cash": service("quote_to_cash", **q2c),
    }


@contextmanager
def topology(logs: Path, prefix: str, workers: int, concurrency: int) -> Any:
    """Every component as its own process; yields ``{name: Component}`` (workers as ``worker-<n>``)."""
    names = ("issuer", "salesforce", "netsuite", "stripe", *SYSTEMS, "quote_to_cash")
    ports = {name: free_port() for name in names}
    envs = _environments(ports, prefix, concurrency)
    with ExitStack() as stack:
        running: dict[str, Component] = {}
        for name in names:
            running[name] = Component(name, envs[name], logs, port=ports[name])
            stack.callback(running[name].stop)
        deadline = time.monotonic() + 90
        for component in running.values():
            component.wait_ready(deadline)
        for i in range(workers):
            worker = Component(f"worker-{i + 1}", envs["quote_to_cash"], logs,
                               command=("worker", "quote_to_cash"))
            running[worker.name] = worker
            stack.callback(worker.stop)
        yield running


# --- observing ----------------------------------------------------------------------------------------------

_SAMPLE = re.compile(r'^(revflow_http_(?:(?:server|client)_request_duration_seconds_(?:count|sum)|'
                     r'client_retries_total))\{(.*)\} ([0-9.e+-]+)$', re.M)


def http_counts(url: str) -> Counter[tuple[str, str]]:
    """From one service's ``/metrics``: requests served (``("in", route)``) and seconds spent serving them
    (``("in_s", route)``), calls made (``("out", upstream)``), seconds spent in them (``("out_s", upstream)``)
    and retries (``("retry", upstream)``)."""
    counts: Counter[tuple[str, str]] = Counter()
    for metric, labels, value in _SAMPLE.findall(httpx.get(f"{url}/metrics", timeout=10).text):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        route = f"{fields.get('method')} {fields.get('route', '')}"
        if metric.startswith("revflow_http_server"):
            if not fields.get("route", "").startswith(("/metrics", "/health", "/ready", "/schema")):
                counts[("in" if metric.endswith("count") else "in_s", route)] += float(value)
        elif metric.endswith("retries_total"):
            counts[("retry", fields.get("upstream", "?"))] += float(value)
        else:
            counts[("out" if metric.endswith("count") else "out_s", fields.get("upstream", "?"))] += float(value)
    return counts


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (granian serves from a child process)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier += children
    total = 0.0
    for p in tree:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def redis_info() -> dict[str, float]:
    out = subprocess.run(["redis-cli", "-u", REDIS_URL, "INFO", "all"], capture_output=True, text=True).stdout
    info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line and not line.startswith("#"))
    stats = {"commands": float(info.get("total_commands_processed", 0)),
             "cpu": float(info.get("used_cpu_user", 0)) + float(info.get("used_cpu_sys", 0))}
    for name, value in info.items():
        if name.startswith("cmdstat_"):
            stats[name.removeprefix("cmdstat_")] = float(value.split("calls=", 1)[1].split(",", 1)[0])
    return stats


def token(issuer: str, audience: str) -> str:
    response = httpx.post(f"{issuer}/oauth/token", auth=(CLIENT, SECRET), data={
        "grant_type": "client_credentials", "audience": audience, "scope": f"{audience}:read {audience}:write"})
    response.raise_for_status()
    return str(response.json()["access_token"])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


# --- the run --------------------------------------------------------------------------------------------------

def create_items(netsuite_url: str) -> None:
    """The items finance keeps in NetSuite (signed like any NetSuite client)."""
    client = NetSuiteHttp(netsuite_url)
    try:
        for sku in KNOWN_SKUS:
            response = client.request("POST", "/record/v1/serviceSaleItem", json_body={
                "itemId": sku, "displayName": sku, "salesDescription": f"{sku} subscription", "basePrice": 10.0})
            assert response.status_code == 204, response.text
    finally:
        client.http.close()


def win_at_rate(sf: httpx.Client, deals: list[Any], rate: float) -> dict[str, float]:
    """Win ``deals`` at ``rate`` per second, a batch every 100 ms; when each close was saved (epoch seconds)."""
    won: dict[str, float] = {}
    tick, start = 0.1, time.monotonic()
    for i in range(0, len(deals), max(1, round(rate * tick))):
        batch = deals[i:i + max(1, round(rate * tick))]
        due = start + i / rate
        if (pause := due - time.monotonic()) > 0:
            time.sleep(pause)
        win_deals(sf, SF_BASE, batch)
        now = time.time()
        won.update((deal.opportunity, now) for deal in batch)
    return won


def wait_completed(process: httpx.Client, deals: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = process.get("/v1/workflows", params={"kind": "activation", "technical_state": "succeeded",
                                                    "limit": 1}).json()["total"]
        if done >= deals:
            return
        time.sleep(0.25)
    raise RuntimeError(f"only {done} of {deals} activations completed in {timeout:.0f}s")


def wait_settled(process: httpx.Client, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = sum(process.get("/v1/workflows", params={"technical_state": state, "limit": 1}).json()["total"]
                   for state in ("running", "retrying", "waiting"))
        if busy == 0:
            return
        time.sleep(0.25)
    raise RuntimeError(f"{busy} workflows still unfinished after {timeout:.0f}s")


def workflows(process: httpx.Client, kind: str) -> list[dict[str, Any]]:
    rows, cursor = [], None
    while True:
        params = {"kind": kind, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = process.get("/v1/workflows", params=params).json()
        rows += page["data"]
        if (cursor := page["next_cursor"]) is None:
            return [process.get(f"/v1/workflows/{row['id']}").json() for row in rows]


def step_durations(records: list[dict[str, Any]]) -> dict[str, float]:
    """Median seconds of each step (first start to done), in step order."""
    per_step: dict[str, list[float]] = defaultdict(list)
    for record in records:
        started: dict[str, datetime] = {}
        for entry in record["history"]:
            at = datetime.fromisoformat(entry["at"])
            if entry["event"] == "step_started":
                started.setdefault(entry["step"], at)
            elif entry["event"] == "step_done" and entry["step"] in started:
                per_step[entry["step"]].append((at - started[entry["step"]]).total_seconds())
    return {step: statistics.median(values) for step, values in per_step.items()}


async def hop_baseline(url: str, bearer: str, seconds: float, in_flight: int = 32) -> tuple[float, float, float]:
    """One system-API hop: sequential p50 (ms), then req/s and p99 (ms) at ``in_flight`` concurrent requests."""
    import aiohttp

    headers = {"Authorization": f"Bearer {bearer}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        sequential = []
        for _ in range(300):
            t = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200, response.status
            sequential.append(time.perf_counter() - t)
        latencies: list[float] = []
        stop = time.perf_counter() + seconds

        async def one() -> None:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                latencies.append(time.perf_counter() - t)

        began = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(in_flight)))
        elapsed = time.perf_counter() - began
    return statistics.median(sequential) * 1000, len(latencies) / elapsed, percentile(latencies, 99) * 1000


def forget(prefix: str) -> None:
    """Delete every Redis key the run wrote."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.unlink(*keys[start:start + 1000])
    finally:
        client.close()


@contextmanager
def own_redis(logs: Path) -> Any:
    """A Redis server for this run alone (so its counters and CPU are the run's), when ``redis-server`` exists."""
    global REDIS_URL
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=(logs / "redis.log").open("wb"), stderr=subprocess.STDOUT)
    shared, REDIS_URL = REDIS_URL, f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("the bench's own redis-server did not start")
            time.sleep(0.05)
        yield REDIS_URL
    finally:
        REDIS_URL = shared
        server.terminate()
        server.wait(10)


def run_topology(ns: argparse.Namespace, logs: Path) -> dict[str, Any]:
    prefix = f"bench:q2c:{uuid.uuid4().hex[:8]}:"
    with ExitStack() as stack:
        if ns.redis == "own":
            stack.enter_context(own_redis(logs))
        try:
            return _run(ns, logs, prefix)
        finally:
            forget(prefix)


def _run(ns: argparse.Namespace, logs: Path, prefix: str) -> dict[str, Any]:
    with topology(logs, prefix, ns.workers, ns.concurrency) as running:
        url = {name: c.url for name, c in running.items()}
        create_items(url["netsuite"])
        sf = httpx.Client(base_url=url["salesforce"], timeout=300,
                          headers={"Authorization": f"Bearer {DEV_SESSION_ID}"})
        process = httpx.Client(base_url=url["quote_to_cash"], timeout=60,
                               headers={"Authorization": f"Bearer {token(url['issuer'], 'quote_to_cash')}"})
        t0 = time.monotonic()
        entered = enter_deals(sf, SF_BASE, ns.warmup + ns.deals, seed=7)
        entry_s = time.monotonic() - t0
        print(f"  {len(entered)} deals entered in Salesforce in {entry_s:.1f}s", file=sys.stderr)
        warm, deals = entered[:ns.warmup], entered[ns.warmup:]
        warm_latencies: list[float] = []
        if warm:
            warm_won = win_at_rate(sf, warm, min(ns.rate, 10.0))
            wait_completed(process, len(warm), timeout=max(120.0, len(warm) * 2.0))
            wait_settled(process, timeout=120.0)
            warm_latencies = [datetime.fromisoformat(r["completed_at"]).timestamp() - warm_won[r["subject"]]
                              for r in workflows(process, "activation") if r["subject"] in warm_won]
        before = {name: http_counts(url[name]) for name in SYSTEMS}
        cpu_before = {name: cpu_seconds(c.proc.pid) for name, c in running.items()}
        redis_before = redis_info()
        audit_before = audit_length(prefix)
        start = time.time()
        won = win_at_rate(sf, deals, ns.rate)
        offered_s = time.time() - start
        wait_completed(process, len(entered), timeout=max(120.0, ns.deals * 2.0))
        wait_settled(process, timeout=120.0)  # the invoice syncs the activations started
        redis_after = redis_info()
        audit_entries = audit_length(prefix) - audit_before
        cpu = {name: cpu_seconds(c.proc.pid) - cpu_before[name] for name, c in running.items()}
        after = {name: http_counts(url[name]) for name in SYSTEMS}
        records = [r for r in workflows(process, "activation") if r["subject"] in won]
        syncs = [s for s in workflows(process, "invoice_sync") if s["subject"] in won]
        latencies = [datetime.fromisoformat(r["completed_at"]).timestamp() - won[r["subject"]] for r in records]
        finished = max(datetime.fromisoformat(r["completed_at"]).timestamp() for r in records)
        baseline = asyncio.run(hop_baseline(f"{url['revrec']}/v1/calendar", token(url["issuer"], "revrec"),
                                            ns.baseline_seconds))
        write_cost = salesforce_write_cost(sf, deals[0].opportunity)
        sf.close()
        process.close()
    hops = {name: after[name] - before[name] for name in SYSTEMS}
    return {"deals": ns.deals, "rate": ns.rate, "entry_s": entry_s, "offered_s": offered_s,
            "elapsed_s": finished - start, "latencies": latencies, "hops": hops, "cpu": cpu,
            "redis_commands": redis_after["commands"] - redis_before["commands"],
            "redis_by_command": Counter({k: v - redis_before.get(k, 0) for k, v in redis_after.items()
                                         if k not in ("commands", "cpu")}),
            "redis_cpu": redis_after["cpu"] - redis_before["cpu"], "steps": step_durations(records),
            "audit_entries": audit_entries,
            "syncs": len(syncs), "syncs_ok": sum(1 for s in syncs if s["state"] == "succeeded"),
            "baseline": baseline, "salesforce_write_ms": write_cost, "warm_latencies": warm_latencies}


def audit_length(prefix: str) -> int:
    """Entries in the audit chain's stream so far (the measured phase's are a difference of two reads)."""
    out = subprocess.run(["redis-cli", "-u", REDIS_URL, "XLEN", f"{prefix}{{audit}}:stream"], capture_output=True,
                         text=True).stdout.strip()
    return int(out or 0)


def salesforce_write_cost(sf: httpx.Client, opportunity: str) -> float:
    """Median milliseconds of one Salesforce record update at the org's final size (the finance status write)."""
    times = []
    for _ in range(20):
        t = time.perf_counter()
        sf.patch(f"{SF_BASE}/sobjects/Opportunity/{opportunity}", json={"Description": "bench"}).raise_for_status()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def report(r: dict[str, Any], ns: argparse.Namespace) -> BenchResult:
    deals, lat = r["deals"], r["latencies"]
    throughput = deals / r["elapsed_s"]
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    print(f"\nquote-to-cash benchmark: {deals} deals won at {ns.rate:g}/s offered "
          f"({r['offered_s']:.1f}s), {ns.workers} workers x {ns.concurrency}, every component its own process, "
          f"{os.cpu_count()} cores\n")
    print(f"{'closed-won -> completed':32} {throughput:8.1f} deals/s  (target >= 50: "
          f"{'meets' if throughput >= 50 else 'BELOW, ' + format(throughput / 50, '.0%') + ' of it'})")
    print(f"{'latency p50 / p99 / max':32} {p50 * 1000:8.0f} / {p99 * 1000:.0f} / {max(lat) * 1000:.0f} ms  "
          f"(target p99 < 1000 ms: {'meets' if p99 < 1 else 'BELOW'})")
    print(f"{'invoice syncs started / done':32} {r['syncs']} / {r['syncs_ok']}")
    if warm := r["warm_latencies"]:
        print(f"{'warm-up, not counted above':32} {len(warm)} deals at {min(ns.rate, 10.0):g}/s: p50 / max "
              f"{percentile(warm, 50) * 1000:.0f} / {max(warm) * 1000:.0f} ms (a cold topology's first deals)")
    total_in = sum(v for h in r["hops"].values() for (d, _), v in h.items() if d == "in")
    total_out = sum(v for h in r["hops"].values() for (d, _), v in h.items() if d == "out")
    print(f"\nHTTP hops per deal: {(total_in + total_out) / deals:.1f} "
          f"({total_in / deals:.1f} into the system APIs, {total_out / deals:.1f} from them to vendors); "
          f"Redis commands per deal: {r['redis_commands'] / deals:.0f}")
    shared = " (a shared Redis: its other users count too)" if ns.redis == "shared" else ""
    top = ", ".join(f"{name} {calls / deals:.0f}" for name, calls in r["redis_by_command"].most_common(10))
    print(f"  Redis commands per deal{shared}: {top}")
    appends, heads = r["audit_entries"], r["redis_by_command"]["hmget"]
    if appends:  # each append reads the head once (HMGET) and each try's script reads it again
        print(f"  audit chain: {appends / deals:.1f} entries per deal, about {(heads - appends) / appends:.1f} "
              "compare-and-append tries per entry (one global chain that every service appends to)")
    for name, counts in r["hops"].items():
        out = ", ".join(f"to {k[1]} {v / deals:.2f}, {counts[('out_s', k[1])] / v * 1000:.1f} ms mean "
                        f"({counts[('retry', k[1])] / deals:.2f} retries)" for k, v in counts.most_common()
                        if v and k[0] == "out")
        print(f"  {name:8} {out}")
        for (kind, route), v in counts.most_common():
            if kind == "in" and v:
                mean_ms = counts[("in_s", route)] / v * 1000
                print(f"  {'':8}   {route:42} {v / deals:5.2f} per deal, {mean_ms:7.1f} ms mean")
    seq_ms, hop_rps, hop_p99 = r["baseline"]
    hops_per_deal = (total_in + total_out) / deals
    print(f"\nbaseline, one system-API hop (revrec GET /v1/calendar: JWT, routing, 1 Redis read): "
          f"{seq_ms:.2f} ms sequential, {hop_rps:,.0f} req/s at 32 in flight (p99 {hop_p99:.1f} ms)")
    print(f"  deal latency p50 = {p50 * 1000 / seq_ms:,.0f} sequential hops; throughput = "
          f"{throughput * hops_per_deal / hop_rps:.1%} of the hop rate spread over {hops_per_deal:.0f} hops "
          f"(all {hops_per_deal:.0f} at the baseline hop rate would allow {hop_rps / hops_per_deal:.0f} deals/s)")
    print(f"  a Salesforce record update at the final org size: {r['salesforce_write_ms']:.1f} ms "
          f"(deals entered in {r['entry_s']:.1f}s)")
    print("\nwhere the time goes: CPU seconds per deal by process (sum "
          f"{(sum(r['cpu'].values()) + r['redis_cpu']) / deals * 1000:.0f} ms per deal over {os.cpu_count()} cores)")
    for name, seconds in sorted(r["cpu"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:14} {seconds / deals * 1000:7.1f} ms")
    print(f"  {'redis':14} {r['redis_cpu'] / deals * 1000:7.1f} ms")
    print("median duration of each activation step:")
    for step, seconds in r["steps"].items():
        print(f"  {step:22} {seconds * 1000:7.1f} ms")
    cpu = sorted(r["cpu"].items(), key=lambda kv: -kv[1])[:6]
    return BenchResult(
        title="Quote to cash", settings=_settings(ns),
        baseline="one system-API hop (revrec `GET /v1/calendar`: JWT, routing, one Redis read) on the same "
                 f"processes: {seq_ms:.2f} ms sequential, {hop_rps:,.0f} req/s at 32 in flight",
        figures=[
            Figure(name=f"closed-won -> completed throughput ({deals} deals offered at {ns.rate:g}/s)",
                   value=throughput, unit="deals/s",
                   target=f">= 50 deals/s: {'met' if throughput >= 50 else '**not met**'}"),
            Figure(name="deal latency p50", value=p50 * 1000, unit="ms"),
            Figure(name="deal latency p99", value=p99 * 1000, unit="ms",
                   target=f"< 1,000 ms: {'met' if p99 < 1 else '**not met**'}"),
            Figure(name=f"HTTP hops per deal ({total_in / deals:.1f} into the system APIs, "
                   f"{total_out / deals:.1f} to vendors)", value=hops_per_deal),
            Figure(name="Redis commands per deal", value=r["redis_commands"] / deals),
            Figure(name="CPU per deal, all processes", value=(sum(r["cpu"].values()) + r["redis_cpu"]) / deals * 1000,
                   unit="ms"),
        ],
        ratios=[
            Ratio(name="deal latency p50 / one sequential hop", value=p50 * 1000 / seq_ms, percent=False),
            Ratio(name=f"throughput x {hops_per_deal:.0f} hops per deal / the hop rate at 32 in flight",
                  value=throughput * hops_per_deal / hop_rps),
        ],
        tables=[Table(columns=["process", "CPU ms per deal"],
                      rows=[[name, f"{seconds / deals * 1000:.1f}"] for name, seconds in cpu]),
                Table(columns=["activation step", "median ms"],
                      rows=[[step, f"{seconds * 1000:.1f}"] for step, seconds in r["steps"].items()])],
        notes=[f"Every component its own process, {ns.workers} worker(s) x {ns.concurrency}, Redis "
               f"{'of the run' if ns.redis == 'own' else 'shared'}; invoice syncs started / done: "
               f"{r['syncs']} / {r['syncs_ok']}.",
               *([f"Warm-up before measuring, not counted: {len(r['warm_latencies'])} deals at "
                  f"{min(ns.rate, 10.0):g}/s, latency p50 {percentile(r['warm_latencies'], 50) * 1000:,.0f} ms and max "
                  f"{max(r['warm_latencies']) * 1000:,.0f} ms (a cold topology's first deals)."]
                 if r["warm_latencies"] else [])])


def _settings(ns: argparse.Namespace) -> str:
    return (f"--deals {ns.deals} --warmup {ns.warmup} --rate {ns.rate:g} --workers {ns.workers} "
            f"--concurrency {ns.concurrency} --baseline-seconds {ns.baseline_seconds:g}")


QUICK = {"deals": 5, "warmup": 0, "rate": 5.0, "workers": 1, "baseline_seconds": 0.5}


def measure(ns: argparse.Namespace) -> BenchResult:
    logs = Path(tempfile.mkdtemp(prefix="q2c-bench-"))
    try:
        result = run_topology(ns, logs)
    except Exception:
        print(f"component logs: {logs}", file=sys.stderr)
        raise
    if ns.keep_logs:
        print(f"\ncomponent logs: {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    return report(result, ns)


def run(quick: bool) -> BenchResult:
    ns = _parser().parse_args(["--quick"] if quick else [])
    if quick:
        vars(ns).update(QUICK)
    return measure(ns)


def main() -> None:
    ns = _parser().parse_args()
    if ns.quick:
        vars(ns).update(QUICK)
    measure(ns)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="Deals won per second (offered load)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="Deals run to completion before measuring (at 10/s at most), reported apart")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes")
    parser.add_argument("--concurrency", type=int, default=32, help="Workflows each worker advances at once")
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true",
                        help="Smoke run: 5 deals at 5/s, no warm-up, one worker, 0.5 s of baseline")
    parser.add_argument("--keep-logs", action="store_true", help="Keep the components' logs (path printed)")
    parser.add_argument("--redis", choices=["own", "shared"], default="own" if shutil.which("redis-server") else
                        "shared", help="A redis-server of the run's own (default when installed) or REDIS_URL's")
    return parser


if __name__ == "__main__":
    main()
