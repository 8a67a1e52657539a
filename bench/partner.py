"""Partner API benchmark: what the rate limit costs a request, and how soon a process event reaches a webhook.

Runs the built-in issuer, two partner API replicas and a webhook receiver in this process over real HTTP on
loopback, with one real Redis (no process API is needed: the routes measured read only the partner API's own
state), then measures:

1. Request latency, sequential from one client, of ``GET /v2/webhooks`` (token verified, GCRA script in
   Redis, tenant-scoped read) against ``GET /health`` on the same server (no auth, no Redis): what the
   partner stack adds to a request.
2. Event to delivery: ``revflow.process.workflow.completed.v1`` events about a tenant's deal are published on
   the ``process`` stream one at a time, as the process tier does; the time from the stream entry's own Redis
   timestamp to the receiver holding the signed request (consumer group, tenant routing, fan-out, schedule,
   claim, signature, POST), with the dispatchers polling every 50 ms.

The baseline, measured in the same run on the same server, is ``GET /health``; the webhook latency is also
given in dispatcher polling intervals.

Run: ``uv run python bench/partner.py [--requests 300] [--events 50] [--quick]`` (``--quick``: 30 requests,
5 events). Figures go to stdout; ``uv run revflow bench partner`` records them in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import redis as sync_redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.deals import DealLine  # noqa: E402
from contracts.event_payloads import WorkflowCompleted  # noqa: E402
from contracts.events import build_event  # noqa: E402
from contracts.money import Money  # noqa: E402
from revflow.benchmarks import BenchResult, Figure, Ratio  # noqa: E402
from services.experience.partner.app import create_app  # noqa: E402
from services.experience.partner.settings import PartnerSettings  # noqa: E402
from services.experience.partner.tenancy import OrderRecord, TenantIndex  # noqa: E402
from services.runtime.auth.issuer.app import create_app as create_issuer  # noqa: E402
from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings  # noqa: E402
from services.runtime.events import EventBus  # noqa: E402
from services.runtime.redis import KeySpace, create_redis  # noqa: E402
from services.runtime.testing import free_port, serve_in_thread  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
POLL_SECONDS = 0.05
FULL, QUICK = (300, 50), (30, 5)


class Receiver:
    """Records when each event id arrived (wall clock, ms)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass
        event_id = dict(scope["headers"]).get(b"revflow-event-id", b"").decode()
        with self.lock:
            self.arrived.setdefault(event_id, time.time() * 1000)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _p50_p99_max(ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99, ordered[-1]


def _stats(ms: list[float]) -> str:
    p50, p99, top = _p50_p99_max(ms)
    return f"p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   max {top:7.2f} ms"


def request_latency(http: httpx.Client, n: int) -> dict[str, list[float]]:
    out = {}
    for path in ("/health", "/v2/webhooks"):
        http.get(path).raise_for_status()
        timings = []
        for _ in range(n):
            started = time.perf_counter()
            http.get(path).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
        print(f"GET {path:<14} {_stats(timings)}")
        out[path] = timings
    return out


async def _seed(prefix: str, tenant: str, deal: str) -> None:
    redis = create_redis(REDIS_URL)
    now = datetime.now(UTC)
    usd = Money(amount_minor=100, currency="USD")
    line = DealLine(product_sku="PLAT", quantity=1, list_price=usd, sale_price=usd, service_start=date(2025, 1, 1),
                    service_end=date(2025, 12, 31), billing_frequency="monthly")
    await TenantIndex(redis, KeySpace(prefix)).save_order(OrderRecord(
        tenant=tenant, order_id="BENCH-1", customer_id="c", currency="USD", lines=[line], close_date=date(2025, 1, 1),
        fingerprint="bench", submitted_at=now, updated_at=now, opportunity_id=deal))
    await redis.aclose()


async def _publish(prefix: str, deal: str, kind: str) -> str:
    redis = create_redis(REDIS_URL)
    event = build_event(WorkflowCompleted(workflow_id=f"{kind}:{deal}", workflow=kind, subject=deal,
                                          completed_at=datetime.now(UTC)), subject=deal)
    entry = await EventBus(redis, KeySpace(prefix), source="/services/process/quote_to_cash").publish(event)
    await redis.aclose()
    return entry


def event_to_delivery(http: httpx.Client, receiver: Receiver, prefix: str, n: int) -> list[float]:
    deal = f"006BENCH{uuid.uuid4().hex[:6]}"
    asyncio.run(_seed(prefix, "bench", deal))
    hook = http.post("/v2/webhooks", json={"url": receiver.url, "events": ["*"]}).raise_for_status().json()
    latencies = []
    for _ in range(n):
        before = set(receiver.arrived)  # taken before publishing: a fast delivery must not land in it
        entry = asyncio.run(_publish(prefix, deal, "usage"))
        published = int(entry.split("-")[0])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and set(receiver.arrived) == before:
            time.sleep(0.001)
        arrived = set(receiver.arrived) - before
        if len(arrived) != 1:
            raise RuntimeError(f"expected one webhook delivery within 30 s of the event, got {len(arrived)}")
        [new] = arrived
        latencies.append(receiver.arrived[new] - published)
    print(f"event -> webhook   {_stats(latencies)}   ({n} events, webhook {hook['id']})")
    return latencies


def measure(requests: int, events: int) -> BenchResult:
    logging.disable(logging.WARNING)
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    port = free_port()
    clients = (ClientConfig(client_id="bench-partner", client_secret="bench-secret", scopes=("partner:read",
               "partner:write"), audiences=("partner",), tenant="bench"),)
    issuer = create_issuer(IssuerSettings(issuer_url=f"http://127.0.0.1:{port}", clients=clients))
    settings = PartnerSettings(issuer_url=f"http://127.0.0.1:{port}", redis_url=REDIS_URL, key_prefix=prefix,
                               webhook_poll_seconds=POLL_SECONDS, webhook_allow_private_networks=True)
    receiver = Receiver()
    try:
        with serve_in_thread(issuer, port=port), serve_in_thread(create_app(settings)) as one, \
                serve_in_thread(create_app(settings)), serve_in_thread(receiver) as hooks:
            receiver.url = f"{hooks.url}/hook"  # type: ignore[attr-defined]
            form = {"grant_type": "client_credentials", "audience": "partner"}
            token = httpx.post(f"http://127.0.0.1:{port}/oauth/token", auth=("bench-partner", "bench-secret"),
                               data=form).raise_for_status().json()["access_token"]
            with httpx.Client(base_url=one.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
                latency = request_latency(http, requests)
                delivery = event_to_delivery(http, receiver, prefix, events)
    finally:
        r = sync_redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(match=prefix + "*", count=1000))
        if keys:
            r.unlink(*keys)
        r.close()
    return _result(latency, delivery, requests, events)


def _result(latency: dict[str, list[float]], delivery: list[float], requests: int, events: int) -> BenchResult:
    health, hooks, event = (_p50_p99_max(latency["/health"]), _p50_p99_max(latency["/v2/webhooks"]),
                            _p50_p99_max(delivery))
    figures = [Figure(name=f"{label} {stat} ({n})", value=value, unit="ms")
               for label, stats, n in (("GET /health (baseline)", health, f"{requests} requests"),
                                       ("GET /v2/webhooks", hooks, f"{requests} requests"),
                                       ("event -> webhook", event, f"{events} events"))
               for stat, value in zip(("p50", "p99"), stats[:2], strict=True)]
    return BenchResult(
        title="Partner API", settings=f"--requests {requests} --events {events}",
        baseline="`GET /health` on the same partner API server (no auth, no Redis), sequential from one client",
        figures=figures,
        ratios=[Ratio(name="`GET /v2/webhooks` p50 / `GET /health` p50 (token, GCRA in Redis, tenant read)",
                      value=hooks[0] / health[0], percent=False),
                Ratio(name=f"event -> webhook p50 / the dispatchers' polling interval ({POLL_SECONDS * 1000:.0f} ms)",
                      value=event[0] / (POLL_SECONDS * 1000), percent=False)],
        notes=["Issuer, two partner API replicas and a webhook receiver in one process over loopback; "
               "events published one at a time on the `process` stream."])


def run(quick: bool) -> BenchResult:
    requests, events = QUICK if quick else FULL
    return measure(requests, events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=FULL[0])
    parser.add_argument("--events", type=int, default=FULL[1])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK[0]} requests, {QUICK[1]} events")
    args = parser.parse_args()
    measure(*(QUICK if args.quick else (args.requests, args.events)))


if __name__ == "__main__":
    main()
