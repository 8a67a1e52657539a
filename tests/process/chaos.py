"""Chaos tooling for the process tier: deals entered in bulk, seeded vendor faults, worker processes killed with
SIGKILL and restarted, duplicated closed-won announcements, and a census of what each vendor holds.

Everything here acts from the outside, the way the world does to a deployment: through the Salesforce
sandbox's REST API (composite collections, 200 records a call, as a data loader would), the sandboxes'
admin routes, process signals, and the event stream a second producer could write to. None of it reaches
into revflow's code.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec

from contracts.events import CloudEvent
from sandboxes.salesforce.ids import to18
from sandboxes.salesforce.settings import DEV_SESSION_ID
from services.process.quote_to_cash.app import create_app as create_process
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace, create_redis
from services.runtime.testing import free_port, serve_in_thread
from tests.conftest import REDIS_URL, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.process.topology import Topology
from tests.system.billing.vendors import SandboxClock, StripeHarness
from tests.system.crm.vendors import SalesforceHarness
from tests.system.erp.vendors import NetSuiteHarness

__all__ = ["FAULTS", "Deal", "WorkerFleet", "census_of", "chaos_topology", "enter_deals", "republish",
           "republish_closed_won", "serve_process", "win_deals", "worker_env"]

ROOT = Path(__file__).resolve().parents[2]
BATCH = 200
"""Records per composite collections call (Salesforce's limit)."""
KNOWN_SKUS = ("PLAT-MONTHLY", "SETUP", "API-CALLS")
ORG_ID = to18("00D5g000004SbxO")
"""The id of every Salesforce sandbox org."""
UNKNOWN_SKU = "LEGACY-ADDON"
"""In the CRM's price book but never created in the ERP: deals carrying it park as blocked master data."""


def _faults(route: str, *, hang_seconds: float) -> dict[str, Any]:
    return {"route": route, "error_rate": 0.10, "error_status": 503, "rate_limit_rate": 0.05, "retry_after": 1,
            "error_after_rate": 0.02, "timeout_rate": 0.002, "hang_seconds": hang_seconds}


FAULTS: dict[str, dict[str, Any]] = {
    # Every NetSuite REST and SuiteQL call, every Stripe API call, and Salesforce's record updates (the finance
    # status written back): 10% 5xx, 5% 429 with Retry-After, 2% answers lost after the write committed, and a
    # request in 500 never answered until the caller gives up.
    "netsuite": {"seed": 61, "rules": [_faults(r"^\w+ /services/rest/", hang_seconds=7.0)]},
    "stripe": {"seed": 62, "rules": [_faults(r"^\w+ /v1/", hang_seconds=7.0)]},
    "salesforce": {"seed": 63, "rules": [_faults(r"^PATCH /services/data/v[\d.]+/sobjects/Opportunity/",
                                                 hang_seconds=7.0)]},
}
"""Seeded fault rules per sandbox (the draws are seeded; which request meets them depends on arrival order)."""


@dataclass(frozen=True)
class Deal:
    """One deal entered in the CRM: its opportunity, its account (the customer's business key) and its SKUs."""

    opportunity: str
    account: str
    skus: tuple[str, ...]

    @property
    def blocked(self) -> bool:
        """Whether it carries an item the ERP does not have (it must park, owned by finance ops)."""
        return UNKNOWN_SKU in self.skus


def _lines(rng: random.Random, blocked: bool) -> list[dict[str, Any]]:
    """A monthly platform line, often a one-time setup, sometimes usage; an unknown add-on when ``blocked``."""
    seats = rng.randint(1, 50)
    lines = [{"sku": "PLAT-MONTHLY", "quantity": seats, "list": 10_000, "sale": rng.choice((8_000, 9_000, 10_000)),
              "start": "2025-01-01", "end": "2025-12-31", "frequency": "monthly", "description": "Platform seats"}]
    if rng.random() < 0.6:
        lines.append({"sku": "SETUP", "quantity": 1, "list": 200_000, "sale": rng.choice((100_000, 150_000)),
                      "start": "2025-01-01", "end": "2025-01-01", "frequency": "one_time",
                      "description": "Implementation"})
    if rng.random() < 0.4:
        lines.append({"sku": "API-CALLS", "quantity": 1, "list": 5, "sale": 4, "start": "2025-01-01",
                      "end": "2025-12-31", "frequency": "usage", "description": "API calls"})
    if blocked:
        lines.append({"sku": UNKNOWN_SKU, "quantity": 1, "list": 50_000, "sale": 50_000, "start": "2025-01-01",
                      "end": "2025-12-31", "frequency": "monthly", "description": "Legacy add-on"})
    return lines


class _Org:
    """The Salesforce sandbox org through its REST API (``http`` carries the session)."""

    FREQUENCIES = {"monthly": "Monthly", "one_time": "One-time", "usage": "Usage"}

    def __init__(self, http: httpx.Client, base: str) -> None:
        self.http, self.base = http, base

    def collection(self, method: str, path: str, records: list[dict[str, Any]]) -> list[str]:
        """Write ``records`` 200 at a time (all or none per call); their ids, in order."""
        ids: list[str] = []
        for start in range(0, len(records), BATCH):
            response = self.http.request(method, f"{self.base}/composite/sobjects{path}", timeout=300,
                                         json={"allOrNone": True, "records": records[start:start + BATCH]})
            response.raise_for_status()
            results = response.json()
            failed = [r["errors"] for r in results if not r["success"]]
            assert not failed, f"Salesforce refused {method} {path}: {failed[:3]}"
            ids += [r["id"] for r in results]
        return ids

    def price_entry(self, sku: str, list_minor: int) -> str:
        product = self.http.patch(f"{self.base}/sobjects/Product2/Revflow_Id__c/{sku}",
                                  json={"Name": sku, "ProductCode": sku, "IsActive": True})
        product.raise_for_status()
        book = self.http.get(f"{self.base}/query", params={"q": "SELECT Id FROM Pricebook2 WHERE IsStandard = true"})
        entry = self.http.patch(f"{self.base}/sobjects/PricebookEntry/Revflow_Id__c/{sku}-std", json={
            "Pricebook2Id": book.json()["records"][0]["Id"], "Product2Id": product.json()["id"],
            "UnitPrice": list_minor / 100, "IsActive": True})
        entry.raise_for_status()
        return str(entry.json()["id"])


def enter_deals(http: httpx.Client, base: str, count: int, *, seed: int, blocked_every: int = 0) -> list[Deal]:
    """``count`` open deals, each with its own new account, entered through the org's composite API.

    Args:
        http: a client on the Salesforce sandbox carrying the session.
        base: the REST base path (``/services/data/v62.0``).
        count: how many deals.
        seed: seeds the deals' lines and amounts.
        blocked_every: every n-th deal also carries ``UNKNOWN_SKU`` (0: none).
    """
    org, rng = _Org(http, base), random.Random(seed)
    run = uuid.uuid4().hex[:6].upper()
    keys = [f"CHAOS-{run}-{i:05d}" for i in range(count)]
    org.collection("PATCH", "/Account/Revflow_Id__c", [
        {"attributes": {"type": "Account"}, "Revflow_Id__c": key, "Name": f"Chaos Customer {key}",
         "BillingStreet": "1 Market St", "BillingCity": "San Francisco", "BillingState": "CA",
         "BillingPostalCode": "94105", "BillingCountry": "US"} for key in keys])
    account_ids = [row["Id"] for row in _accounts_by_key(http, base, keys)]
    plans = [_lines(rng, blocked=bool(blocked_every) and i % blocked_every == blocked_every - 1)
             for i in range(count)]
    lists = {line["sku"]: line["list"] for lines in plans for line in lines}
    entries = {sku: org.price_entry(sku, amount) for sku, amount in lists.items()}
    opportunities = org.collection("POST", "", [
        {"attributes": {"type": "Opportunity"}, "Name": f"Chaos deal {key}", "AccountId": account_id,
         "StageName": "Prospecting", "CloseDate": "2025-01-01"} for key, account_id in zip(keys, account_ids,
                                                                                          strict=True)])
    org.collection("POST", "", [
        {"attributes": {"type": "OpportunityLineItem"}, "OpportunityId": opp, "PricebookEntryId": entries[line["sku"]],
         "Quantity": line["quantity"], "UnitPrice": line["sale"] / 100, "ServiceDate": line["start"],
         "Service_End_Date__c": line["end"], "Description": line["description"], "SortOrder": order,
         "Billing_Frequency__c": _Org.FREQUENCIES[line["frequency"]]}
        for opp, lines in zip(opportunities, plans, strict=True) for order, line in enumerate(lines)])
    return [Deal(opp, key, tuple(line["sku"] for line in lines))
            for opp, key, lines in zip(opportunities, keys, plans, strict=True)]


def _accounts_by_key(http: httpx.Client, base: str, keys: list[str]) -> list[dict[str, Any]]:
    """The accounts of ``keys``, in that order (read back page by page with SOQL)."""
    found: dict[str, dict[str, Any]] = {}
    prefix = keys[0].rsplit("-", 1)[0]
    response = http.get(f"{base}/query", params={
        "q": f"SELECT Id, Revflow_Id__c FROM Account WHERE Revflow_Id__c LIKE '{prefix}-%'"})
    while True:
        response.raise_for_status()
        page = response.json()
        found |= {row["Revflow_Id__c"]: row for row in page["records"]}
        if page.get("done", True) or not page.get("nextRecordsUrl"):
            break
        response = http.get(page["nextRecordsUrl"])
    return [found[key] for key in keys]


def win_deals(http: httpx.Client, base: str, deals: Iterable[Deal]) -> None:
    """Move the deals to Closed Won (200 a call); the org's workflow rule sends an Outbound Message for each."""
    _Org(http, base).collection("PATCH", "", [
        {"attributes": {"type": "Opportunity"}, "id": deal.opportunity, "StageName": "Closed Won"} for deal in deals])


async def republish_closed_won(redis_url: str, prefix: str) -> list[CloudEvent]:
    """Publish every closed-won event on the CRM stream again, twice: once as it was (same event id: an
    at-least-once redelivery) and once under a new event id (a second producer that lost its dedupe memory).

    Returns the original events.
    """
    redis = create_redis(redis_url)
    try:
        bus = EventBus(redis, KeySpace(prefix), source="/chaos")
        entries = await redis.xrange(bus.stream_key("crm"))
        events = [msgspec.json.decode(fields[b"ce"], type=CloudEvent) for _, fields in entries]
        won = [e for e in events if e.type == "revflow.crm.opportunity.closed_won.v1"]
        for event in won:
            await bus.publish(event, stream="crm")
            await bus.publish(msgspec.structs.replace(event, id=f"chaos-{uuid.uuid4().hex}"), stream="crm")
        return won
    finally:
        await redis.aclose()


def republish(redis_url: str, prefix: str) -> list[CloudEvent]:
    """``republish_closed_won`` from synchronous code."""
    return asyncio.run(republish_closed_won(redis_url, prefix))


class WorkerFleet:
    """Quote-to-cash workers, each its own process (``python -m revflow.cli worker quote_to_cash``).

    Args:
        env: the ``REVFLOW_QUOTE_TO_CASH_*`` (and shared) variables pointing the workers at the system APIs.
        size: how many workers run at once.
        logs: directory receiving one log file per started process.
    """

    def __init__(self, env: Mapping[str, str], size: int, logs: Path) -> None:
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.size, self.logs = size, logs
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * size
        self.started = 0
        self.kills: list[dict[str, Any]] = []

    def start(self, slot: int | None = None) -> None:
        """Start the worker of ``slot`` (every slot when ``None``)."""
        for index in range(self.size) if slot is None else (slot,):
            self.started += 1
            with (self.logs / f"worker-{self.started:02d}.log").open("wb") as sink:
                self.processes[index] = subprocess.Popen(
                    [sys.executable, "-m", "revflow.cli", "worker", "quote_to_cash"], cwd=ROOT, env=self.env,
                    stdout=sink, stderr=subprocess.STDOUT)

    def kill(self, slots: Iterable[int], **context: Any) -> None:
        """SIGKILL the workers of ``slots`` (no chance to finish anything) and start new ones in their place."""
        slots, pids = list(slots), []
        for index in slots:
            process = self.processes[index]
            assert process is not None and process.poll() is None, f"worker {index} is not running: {self.log_tail()}"
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
            pids.append(process.pid)
        self.kills.append({"pids": pids, **context})
        for index in slots:
            self.start(index)

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is None:
                continue
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        """The end of every worker log (for a failure message)."""
        parts = []
        for path in sorted(self.logs.glob("worker-*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def __enter__(self) -> WorkerFleet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def running(fleet: WorkerFleet) -> Iterator[int]:
    """Slots whose worker is alive."""
    return (i for i, p in enumerate(fleet.processes) if p is not None and p.poll() is None)


def census_of(records: Iterable[Mapping[str, Any]], key: Any) -> Counter[Any]:
    """How many records share each business key (``key(record)``; ``None`` keys are left out)."""
    return Counter(k for k in (key(r) for r in records) if k is not None)


VENDOR_TIMEOUT_S = 5.0
"""Per-attempt timeout of the system APIs' vendor calls: below the faults' ``hang_seconds``, so a hung request
is a real client timeout (given up, retried with the same idempotency key)."""


@contextmanager
def serve_process(name: str, env: Mapping[str, str], logs: Path) -> Iterator[str]:
    """Serve the component ``name`` as its own process (``python -m revflow.cli serve``); yields its URL."""
    port = free_port()
    with (logs / f"{name}.log").open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "revflow.cli", "serve", name, "--port", str(port)],
                                   cwd=ROOT, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"}, stdout=sink,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (logs / f"{name}.log").read_text(errors="replace")[-2000:]
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code < 500:  # sandboxes answer 404
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{name} did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _env_of(name: str, settings: Mapping[str, Any]) -> dict[str, str]:
    shared = {"redis_url": "REDIS_URL", "issuer_url": "REVFLOW_ISSUER_URL"}
    return {shared.get(key, f"REVFLOW_{name.upper()}_{key.upper()}"): str(value) for key, value in settings.items()}


@contextmanager
def chaos_topology(issuer: Any, prefix: str, logs: Path) -> Iterator[Topology]:
    """Every sandbox and system API as its own process, the process API (without workers: they run as their own
    processes too) in this one; the harnesses reach the sandboxes over HTTP like any client."""
    with ExitStack() as stack:
        sandboxes = {
            "salesforce": {"REVFLOW_SALESFORCE_SEED": "11", "REVFLOW_SALESFORCE_OUTBOUND_RETRY_DELAY": "0.05",
                           "REVFLOW_SALESFORCE_OUTBOUND_MAX_ATTEMPTS": "3", "REVFLOW_SALESFORCE_API_LIMIT": "10000000",
                           "REVFLOW_SALESFORCE_OUTBOUND_STAGES": "Closed Won,Closed Lost"},
            "netsuite": {}, "stripe": {}}
        vendor_url = {name: stack.enter_context(serve_process(name, env, logs)) for name, env in sandboxes.items()}
        salesforce = SalesforceHarness(vendor_url["salesforce"], DEV_SESSION_ID, ORG_ID)
        netsuite = NetSuiteHarness(vendor_url["netsuite"])
        stripe = StripeHarness(vendor_url["stripe"], SandboxClock())
        stack.callback(lambda: [h.http.close() for h in (salesforce, netsuite, netsuite.signed, stripe)])
        common = {"issuer_url": issuer.url, "redis_url": REDIS_URL, "key_prefix": prefix, "log_level": "WARNING"}
        vendor = {**common, "vendor_timeout_seconds": VENDOR_TIMEOUT_S}
        systems = {"crm": {**vendor, **salesforce.settings()}, "erp": {**vendor, **netsuite.settings()},
                   "billing": {**vendor, **stripe.settings()}, "revrec": common}
        urls = {name: stack.enter_context(serve_process(name, _env_of(name, settings), logs))
                for name, settings in systems.items()}
        process = QuoteToCashSettings(**common, crm_url=urls["crm"], erp_url=urls["erp"], billing_url=urls["billing"],
                                      revrec_url=urls["revrec"], workers=0)
        urls["quote_to_cash"] = stack.enter_context(serve_in_thread(create_process(process))).url
        salesforce.push_to(f"{urls['crm']}/v1/webhooks/salesforce")
        topology = Topology(issuer, prefix, salesforce, netsuite, stripe, urls)
        stack.callback(topology.close)
        yield topology


def worker_env(topology: Topology, issuer_url: str, **settings: Any) -> dict[str, str]:
    """The environment of a worker process serving ``topology`` (``settings``: more quote-to-cash settings)."""
    env = {"REDIS_URL": REDIS_URL, "REVFLOW_ISSUER_URL": issuer_url, "KEY_PREFIX": topology.prefix,
           "CRM_URL": topology.urls["crm"], "ERP_URL": topology.urls["erp"], "BILLING_URL": topology.urls["billing"],
           "REVREC_URL": topology.urls["revrec"], "CLIENT_ID": TEST_CLIENT_ID, "CLIENT_SECRET": TEST_CLIENT_SECRET,
           "LOG_LEVEL": "WARNING", **{name.upper(): str(value) for name, value in settings.items()}}
    shared = ("REDIS_URL", "REVFLOW_ISSUER_URL")
    return {(name if name in shared else f"REVFLOW_QUOTE_TO_CASH_{name}"): value for name, value in env.items()}
