"""Runtime benchmark: what the full stack costs against bare Litestar, measured in one run on one server.

Every figure is a ratio against its limit measured in the same run, on the same server (granian, one
worker, pinned to core 0), with the load generator (wrk, pinned to core 1) at 64 connections:

1. GET through the full stack (JWT verified, telemetry and metrics on) vs a bare Litestar GET. Target >= 70%.
   Measured twice: every request traced (the default), and with head sampling of 1 trace in 10
   (``OTEL_TRACES_SAMPLER=parentbased_traceidratio``), the usual production setting at this rate.
2. Idempotent POST through the full stack (a fresh Idempotency-Key per request, so every request takes the
   claim-and-store path) vs a bare Litestar POST making the same two raw redis-py round trips. Target >= 80%.
   A bare POST without Redis is printed for context.
3. A two-hop chain (A calls B per request) using the runtime's upstream client vs aiohttp's client used
   directly. Target >= 80%.

Run: ``uv run python bench/runtime.py [--seconds 6] [--rounds 2] [--quick]`` (needs ``wrk``: ``apt-get install
wrk``; ``--quick``: one round of 1 s per scenario, warmed up with a few requests instead of 2 s of load, without
the bare POST that makes no Redis round trip, the hops' far end on the bare server).
Figures go to stdout; ``uv run revflow bench runtime`` records them in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from revflow.benchmarks import BenchResult, Ratio, Table  # noqa: E402
from services.runtime.auth.issuer.app import create_app as create_issuer  # noqa: E402
from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings  # noqa: E402
from services.runtime.testing import free_port, serve_in_thread  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CONNECTIONS = 64
FULL, QUICK = (6, 2), (1, 1)
logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass
class Run:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float


class Server:
    """``granian`` serving one factory on one worker, pinned to core 0 once it has started.

    The servers start side by side on every core (starting is importing, and nothing is measured then); once one
    answers, every thread of it and of its worker process is pinned to core 0, where it is measured.
    """

    def __init__(self, factory: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--workers", "1",
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", factory]
        self.factory = factory
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)

    def ready(self, seconds: float = 60) -> Server:
        """Wait until it answers (the servers start side by side, then are waited for one by one)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.factory} exited with status {self.proc.returncode}")
            try:
                httpx.get(f"{self.url}/v1/ping", timeout=0.5)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            self._pin(core=0)
            return self
        raise RuntimeError(f"{self.factory} did not start")

    def _pin(self, core: int) -> None:
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
        tree, frontier = {self.proc.pid}, [self.proc.pid]
        while frontier:
            parent = frontier.pop()
            children = [p for p, pp in parents.items() if pp == parent and p not in tree]
            tree.update(children)
            frontier += children
        for pid in tree:
            for task in Path(f"/proc/{pid}/task").iterdir():
                try:
                    os.sched_setaffinity(int(task.name), {core})
                    pinned = os.sched_getaffinity(int(task.name))
                except ProcessLookupError:  # a thread that ended meanwhile
                    continue
                if pinned != {core}:
                    raise RuntimeError(f"{self.factory}: thread {task.name} could not be pinned to core {core}")
        if len(tree) < 2:
            raise RuntimeError(f"{self.factory}: no granian worker process found to pin")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


_POST_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s",
                   ["Idempotency-Key"] = "bench-%s-" .. n}
  return wrk.format("POST", "%s", headers, '{"amount": 1200, "note": "bench"}')
end
"""


def wrk(url: str, seconds: int, label: str, *, token: str | None = None, post_path: str | None = None) -> Run:
    """Drive ``url`` with wrk on core 1 and parse throughput and latency percentiles."""
    args = ["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    with tempfile.TemporaryDirectory() as tmp:
        if post_path is not None:
            script = Path(tmp) / "post.lua"
            script.write_text(_POST_SCRIPT % (token or "", uuid.uuid4().hex, post_path))
            args += ["-s", str(script)]
        elif token:
            args += ["-H", f"Authorization: Bearer {token}"]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{label}: errors under load\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return Run(label, rps, _percentile(out, "50"), _percentile(out, "99"))


def _percentile(out: str, pct: str) -> float:
    value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(server: Server, path: str, seconds: int, label: str, *, quick: bool = False, **kw: str | None) -> Run:
    if quick:  # warm-up: token cache, pools; a few requests where a full run gives 2 s of load
        _warm(server.url + path, **kw)
    else:
        wrk(server.url + path, 2, label, **kw)  # warm-up: connections, JIT-free caches, token cache, pools
    return wrk(server.url + path, seconds, label, **kw)


def _warm(url: str, *, token: str | None = None, post_path: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(headers=headers, timeout=10) as client:
        for _ in range(20):
            if post_path is None:
                client.get(url).raise_for_status()
            else:
                client.post(url, json={"amount": 1200, "note": "bench"},
                            headers={"Idempotency-Key": uuid.uuid4().hex}).raise_for_status()


def best(runs: list[Run]) -> Run:
    top = max(runs, key=lambda r: r.rps)
    return Run(top.label, statistics.median(r.rps for r in runs), top.p50_ms, top.p99_ms)


def _issuer_app() -> tuple[object, int]:
    port = free_port()
    settings = IssuerSettings(issuer_url=f"http://127.0.0.1:{port}", clients=(ClientConfig(
        client_id="bench", client_secret="bench-secret", scopes=("bench:read", "bench:write"),
        audiences=("bench",)),))
    return create_issuer(settings), port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=FULL[0])
    parser.add_argument("--rounds", type=int, default=FULL[1])
    parser.add_argument("--quick", action="store_true", help="One round of 1 s per scenario, a light warm-up")
    ns = parser.parse_args()
    if ns.quick:
        ns.seconds, ns.rounds = QUICK
    bench(ns)


def run(quick: bool) -> BenchResult:
    seconds, rounds = QUICK if quick else FULL
    return bench(argparse.Namespace(seconds=seconds, rounds=rounds, quick=quick))


def bench(ns: argparse.Namespace) -> BenchResult:
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise RuntimeError("wrk and taskset are needed: apt-get install wrk util-linux")
    issuer_app, port = _issuer_app()
    with serve_in_thread(issuer_app, port=port) as issuer:
        token = httpx.post(f"{issuer.url}/oauth/token", auth=("bench", "bench-secret"),
                           data={"grant_type": "client_credentials", "audience": "bench"}).json()["access_token"]
        env = {"BENCH_ISSUER_URL": issuer.url, "BENCH_REDIS_URL": REDIS_URL,
               "BENCH_PREFIX": f"bench:{uuid.uuid4().hex[:8]}:"}
        results = _run_all(env, token, ns)
    return _report({label: best(runs) for label, runs in results.items()}, ns)


def _run_all(env: dict[str, str], token: str, ns: argparse.Namespace) -> dict[str, list[Run]]:
    results: dict[str, list[Run]] = {}
    servers: list[Server] = []
    try:
        full, bare = Server("bench.apps:full_stack_app", env), Server("bench.apps:bare_app", env)
        servers += [full, bare]
        # The hops' far end: a bare server of its own, or in short mode the bare one (one process fewer to start).
        target = bare if ns.quick else Server("bench.apps:bare_app", env)
        servers += [] if ns.quick else [target]
        sampled = Server("bench.apps:full_stack_app", {**env, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                                                       "OTEL_TRACES_SAMPLER_ARG": "0.1"})
        hop_rt = Server("bench.apps:hop_runtime_app", {**env, "BENCH_TARGET_URL": target.url})
        hop_aio = Server("bench.apps:hop_aiohttp_app", {**env, "BENCH_TARGET_URL": target.url})
        servers += [sampled, hop_rt, hop_aio]
        for server in servers:
            server.ready()
        plan = [
            ("bare GET", bare, "/v1/ping", {}),
            ("full-stack GET", full, "/v1/ping", {"token": token}),
            ("full-stack GET, 10% traces sampled", sampled, "/v1/ping", {"token": token}),
            ("bare POST (no Redis)", bare, "", {"post_path": "/v1/echo"}),
            ("bare POST (2 Redis round trips)", bare, "", {"post_path": "/v1/echo-redis"}),
            ("full-stack idempotent POST", full, "", {"token": token, "post_path": "/v1/echo"}),
            ("two-hop via aiohttp", hop_aio, "/v1/hop", {}),
            ("two-hop via runtime client", hop_rt, "/v1/hop", {}),
        ]
        if ns.quick:  # short mode measures what the ratios need; the bare POST without Redis is context
            plan = [step for step in plan if step[0] != "bare POST (no Redis)"]
        for round_ in range(ns.rounds):
            for label, server, path, kw in plan:
                path = path or kw["post_path"]
                results.setdefault(label, []).append(measure(server, path, ns.seconds, label, quick=ns.quick, **kw))
                print(f"  round {round_ + 1}: {label}: {results[label][-1].rps:,.0f} req/s", file=sys.stderr)
    finally:
        for server in servers:
            server.stop()
    return results


def _report(r: dict[str, Run], ns: argparse.Namespace) -> BenchResult:
    print(f"\nruntime benchmark: granian 1 worker on core 0, wrk -t1 -c{CONNECTIONS} on core 1, "
          f"{ns.seconds}s x {ns.rounds} rounds (median req/s; latency of the best round)\n")
    print(f"{'scenario':38} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for run in r.values():
        print(f"{run.label:38} {run.rps:>10,.0f} {run.p50_ms:>8.2f} {run.p99_ms:>8.2f}")
    ratios = [
        ("full-stack GET / bare GET", r["full-stack GET"].rps / r["bare GET"].rps, 0.70),
        ("  same, 10% of traces sampled", r["full-stack GET, 10% traces sampled"].rps / r["bare GET"].rps, 0.70),
        ("idempotent POST / bare POST + same Redis trips",
         r["full-stack idempotent POST"].rps / r["bare POST (2 Redis round trips)"].rps, 0.80),
        ("two-hop runtime client / aiohttp direct",
         r["two-hop via runtime client"].rps / r["two-hop via aiohttp"].rps, 0.80),
    ]
    print()
    for name, ratio, target in ratios:
        verdict = "meets" if ratio >= target else "BELOW"
        print(f"{name:48} {ratio:6.1%}  (target >= {target:.0%}: {verdict})")
    return BenchResult(
        title="Runtime", settings=f"--seconds {ns.seconds} --rounds {ns.rounds}",
        baseline="bare Litestar on the same kind of server: bare GET, bare POST making the same two Redis round "
                 "trips, a two-hop chain calling aiohttp directly",
        ratios=[Ratio(name=name.strip(), value=ratio, target=target) for name, ratio, target in ratios],
        tables=[Table(columns=["scenario", "req/s", "p50 ms", "p99 ms"],
                      rows=[[run.label, f"{run.rps:,.0f}", f"{run.p50_ms:.2f}", f"{run.p99_ms:.2f}"]
                            for run in r.values()])],
        notes=[f"granian, one worker, pinned to core 0; wrk -t1 -c{CONNECTIONS}, pinned to core 1; Redis on loopback. "
               "Median req/s of the rounds; latency of the best round."])


if __name__ == "__main__":
    main()
