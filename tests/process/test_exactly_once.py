"""Exactly once under failure: hundreds of deals won while vendors fail and workers are killed mid-step.

The journey, as it happens in production on a bad day:

1. Sales ops loads ``REVFLOW_CHAOS_DEALS`` deals (500, the issue's figure; see "Size") into Salesforce through the
   composite API, each for a new customer; every 25th carries an add-on finance never created in NetSuite.
   Then wins them all.
2. Every close is announced more than once: Salesforce's Outbound Messages push each one to the CRM API, the
   CRM's pull (``POST /v1/sync/closed-won``) finds them again, Salesforce redelivers every message, the event
   bus delivers every ``closed_won`` event a second time (same event id) and a third (a new event id, as from
   a second producer that lost its dedupe memory), and some deals are started by hand through the process
   API as well.
3. Meanwhile NetSuite and Stripe (and Salesforce, for the finance status written back) fail 10% of requests
   with 5xx and 5% with 429 + Retry-After, lose 2% of answers after the write committed, and now and then
   hang a request until the caller times out; all seeded.
4. The workers run as their own processes (two of them, ``python -m revflow.cli worker quote_to_cash``) and
   are killed with SIGKILL at random points of the run, at least three times (once both at once), and
   restarted; short leases and claim times let the survivors and the new ones take over.

Then: every workflow is finished or waits for a named owner with a reason and a fix; after the faults stop,
dead-lettered workflows replay to completion; each won deal has exactly one ERP customer, one billing
customer and subscription, one sales order, one revenue contract, and one ERP invoice per billing invoice;
nothing at any vendor is duplicated; blocked deals stopped before billing; and the systems agree with each
other deal by deal (bookings = sales order = revenue contract price; billing invoices = ERP invoices = revrec
billings).

Size: ``REVFLOW_CHAOS_DEALS=<n>`` changes the number of deals (500 by default, about a minute and a half on two
cores; ``REVFLOW_CHAOS_DEALS=50`` for a quick look), and ``revflow chaos`` runs the same storm at 1,000 deals with
service kills as well. Nothing is timed: the
deadlines only bound a hung run.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import redis

from services.runtime.redis import KeySpace
from tests.conftest import REDIS_URL
from tests.process.chaos import (
    FAULTS,
    Deal,
    WorkerFleet,
    census_of,
    chaos_topology,
    enter_deals,
    republish,
    win_deals,
    worker_env,
)
from tests.process.topology import Topology, write

DEALS = int(os.environ.get("REVFLOW_CHAOS_DEALS", "500"))
BLOCKED_EVERY = 25
WORKERS = 2
SEED = 20251127
UNFINISHED = ("running", "retrying", "waiting", "compensating")
DEADLINE_S = float(os.environ.get("CHAOS_DEADLINE", "900"))
"""Only bounds a hung run; not a performance expectation."""


@pytest.fixture(scope="module")
def topology(issuer, module_key_prefix, tmp_path_factory) -> Iterator[Topology]:
    with chaos_topology(issuer, module_key_prefix, tmp_path_factory.mktemp("services")) as running:
        yield running


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, f"GET {path} -> {response.status_code} {response.text}"
    return response.json()


def _total(topology: Topology, **filters: Any) -> int:
    return int(_get(topology.process, "/v1/workflows", limit=1, **filters)["total"])


def _all_workflows(topology: Topology) -> list[dict[str, Any]]:
    rows, cursor = [], None
    while True:
        page = _get(topology.process, "/v1/workflows", limit=500, **({"cursor": cursor} if cursor else {}))
        rows += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def _unfinished(topology: Topology) -> int:
    return sum(_total(topology, technical_state=state) for state in UNFINISHED)


def _pull(topology: Topology) -> None:
    """The CRM's pull of closed-won deals, repeated while another pull or a push holds a deal (409)."""
    for _ in range(30):
        response = topology.crm.post("/v1/sync/closed-won", headers={"Idempotency-Key": uuid.uuid4().hex},
                                     timeout=600)
        if response.status_code == 200:
            return
        assert response.status_code in (409, 503), response.text
        time.sleep(1)
    raise AssertionError("the closed-won pull kept conflicting")


def _stuck(topology: Topology, limit: int = 8) -> str:
    """What the unfinished workflows wait for: their lease, their timer, their kicks (for a failure message)."""
    rows = [r for r in _all_workflows(topology) if r["state"] in UNFINISHED][:limit]
    keys = KeySpace(topology.prefix)
    client = redis.Redis.from_url(REDIS_URL)
    kicks = keys.tagged("events:q2c")
    try:
        pending = client.xpending_range(kicks, "quote_to_cash.runner", "-", "+", 10_000)
        entries = {e[0]: msgspec.json.decode(e[1][b"ce"]) for e in client.xrange(kicks)}
        dead = [msgspec.json.decode(f[b"event"]).get("subject") if b"event" in f else f
                for _, f in client.xrange(f"{kicks}:dlq")]
        details = [f"kick dead letters: {dead[:10]}"]
        for row in rows:
            record = topology.workflow(row["id"])
            mine = [p for p in pending if entries.get(p["message_id"], {}).get("subject") == row["id"]]
            details.append(
                f"{row['id']}: {record['state']} at {row['step']}, wake {record.get('wake_at')}, "
                f"lease ttl {client.pttl(keys.tagged('wf:' + row['id'], 'lease'))} ms, "
                f"timer {client.zscore(keys.tagged('q2c:timers'), row['id'])}, pending kicks {mine}, "
                f"kicks sent {sum(1 for e in entries.values() if e.get('subject') == row['id'])}, "
                f"last {[(h['event'], h.get('step'), h['at'][11:23]) for h in record['history'][-4:]]}")
    finally:
        client.close()
    return "\n".join(details)


class Chaos:
    """Kills workers at random points of the run, measured in finished activations."""

    def __init__(self, fleet: WorkerFleet, rng: random.Random) -> None:
        self.fleet, self.quiet_until = fleet, 0.0
        points = sorted(rng.uniform(0.03, 0.7) for _ in range(4))
        everyone = rng.randrange(len(points))
        self.plan = [(p, list(range(WORKERS)) if i == everyone else [rng.randrange(WORKERS)])
                     for i, p in enumerate(points)]

    def tick(self, finished: int, unfinished: int) -> None:
        # One kill at a time, a few seconds apart, so each one hits a worker that has picked up work; never one
        # when nothing is in flight (the test counts the kills that interrupted work).
        if (self.plan and finished >= self.plan[0][0] * DEALS and unfinished > 0
                and time.monotonic() >= self.quiet_until):
            _, slots = self.plan.pop(0)
            self.fleet.kill(slots, finished=finished, in_flight=unfinished)
            self.quiet_until = time.monotonic() + 2.0


def _wait_until_settled(topology: Topology, fleet: WorkerFleet, chaos: Chaos | None, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        unfinished = _unfinished(topology)
        activations = _get(topology.process, "/v1/workflows", kind="activation", limit=1)
        if chaos is not None:
            chaos.tick(activations["counts"].get("completed", 0), unfinished)
        if activations["total"] == DEALS and unfinished == 0:
            return
        assert fleet.alive(), f"a worker exited on its own:\n{fleet.log_tail()}"
        time.sleep(1.0)
    raise AssertionError(f"{what}: workflows still unfinished after {DEADLINE_S:.0f}s:\n{_stuck(topology)}\n"
                         f"{fleet.log_tail()}")


def _announce_again(topology: Topology, deals: list[Deal]) -> int:
    """Every duplicate announcement revflow must absorb; the number of closed-won events the CRM published."""
    _pull(topology)
    topology.salesforce.redeliver_push()
    won = republish(REDIS_URL, topology.prefix)
    by_deal = {event.subject: event for event in won}
    for deal in random.Random(SEED).sample(deals, min(25, len(deals))):
        event = by_deal[deal.opportunity]
        response = topology.process.post("/v1/workflows", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
            "kind": "activation", "subject": deal.opportunity, "input": event.data,
            "id": f"activation:{deal.opportunity}"})
        assert response.status_code in (200, 201), response.text
    return len(won)


@pytest.mark.timeout(1500)
def test_every_deal_reaches_every_system_exactly_once(topology: Topology, issuer, tmp_path: Path):
    clock = {"start": time.monotonic()}
    for sku in ("PLAT-MONTHLY", "SETUP", "API-CALLS"):
        topology.item(sku)
    deals = enter_deals(topology.salesforce.http, topology.salesforce.base, DEALS, seed=SEED,
                        blocked_every=BLOCKED_EVERY)
    clock["entered"] = time.monotonic()
    for vendor, config in FAULTS.items():
        getattr(topology, vendor).faults(config)
    env = worker_env(topology, issuer.url, concurrency=16, lease_ms=3_000, claim_idle_ms=4_000,
                     retry_base_seconds=0.2, retry_cap_seconds=3.0, max_attempts=10, upstream_timeout_seconds=30)
    with WorkerFleet(env, WORKERS, tmp_path) as fleet:
        win_deals(topology.salesforce.http, topology.salesforce.base, deals)
        published = _announce_again(topology, deals)
        _wait_until_settled(topology, fleet, Chaos(fleet, random.Random(SEED)), "under faults")
        clock["settled"] = time.monotonic()
        injected, replayed = _after_the_storm(topology)
        _wait_until_settled(topology, fleet, None, "after the replay of dead letters")
        clock["replayed"] = time.monotonic()
        workflows = _all_workflows(topology)
        report = _reconcile(topology, fleet)
        clock["reconciled"] = time.monotonic()

    assert published == DEALS, f"the CRM announced {published} closes for {DEALS} won deals"
    assert len(fleet.kills) >= 3, f"workers were killed {len(fleet.kills)} times with work in flight: {fleet.kills}"
    _check_workflows(topology, deals, workflows)
    _check_vendors(topology, deals)
    _check_agreement(topology, deals)
    unexplained = [d for d in report["differences"] if not d.get("explained")]
    assert report["unexplained"] == 0 and not unexplained, unexplained[:5]
    assert report["deals"] == sum(1 for d in deals if not d.blocked), report["deals"]
    phases = " ".join(f"{b}={clock[b] - clock[a]:.0f}s" for a, b in zip(clock, list(clock)[1:], strict=False))
    print(f"\nexactly-once: {DEALS} deals, {len(workflows)} workflows, {len(fleet.kills)} kills {fleet.kills}, "
          f"{len(replayed)} dead letters replayed, faults injected: {injected}; {phases}")


def _after_the_storm(topology: Topology) -> tuple[dict[str, int], list[str]]:
    """Every stopped workflow names its owner, reason and fix; then the closes are announced yet again, the
    faults stop and dead letters are replayed. Returns the faults injected and the replayed workflows."""
    stopped = [r for r in _all_workflows(topology) if r["state"] != "succeeded"]
    for row in stopped:
        exception = topology.workflow(row["id"])["exception"]
        assert row["state"] in ("parked", "dead_lettered") and exception, row
        assert exception["owner"] and exception["reason"] and exception["fix"], exception
    injected = {vendor: len(getattr(topology, vendor).http.get("/__sandbox/faults").json()["injected"])
                for vendor in FAULTS}
    topology.salesforce.redeliver_push()
    republish(REDIS_URL, topology.prefix)
    for vendor in FAULTS:
        getattr(topology, vendor).clear_faults()
    replayed = [r["id"] for r in stopped if r["state"] == "dead_lettered"]
    for workflow_id in replayed:
        write(topology.process, "POST", f"/v1/workflows/{workflow_id}/retry", None)
    return injected, replayed


def _reconcile(topology: Topology, fleet: WorkerFleet) -> dict[str, Any]:
    """A reconciliation run of every activated deal (run by the workers); its report."""
    started = topology.process.post("/v1/reconciliations", json={}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert started.status_code == 202, started.text
    location = started.headers["location"]
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        run = _get(topology.process, location)
        if run["state"] not in UNFINISHED:
            assert run["state"] == "succeeded" and run["report"], run.get("exception")
            return dict(run["report"])
        assert fleet.alive(), fleet.log_tail()
        time.sleep(0.5)
    raise AssertionError(f"the reconciliation did not finish: {run}")


def _check_workflows(topology: Topology, deals: list[Deal], workflows: list[dict[str, Any]]) -> None:
    kinds = Counter(w["kind"] for w in workflows)
    activations = {w["subject"]: w for w in workflows if w["kind"] == "activation"}
    assert kinds["activation"] == len(activations) == len(deals), kinds
    for deal in deals:
        row = activations[deal.opportunity]
        if deal.blocked:
            assert (row["state"], row["business_status"], row["owner"]) == (
                "parked", "blocked_master_data", "finance_ops"), row
        else:
            assert (row["state"], row["business_status"]) == ("succeeded", "completed"), row
    syncs = [w for w in workflows if w["kind"] == "invoice_sync"]
    assert syncs and all(w["state"] == "succeeded" for w in syncs), [w for w in syncs if w["state"] != "succeeded"]


def _check_vendors(topology: Topology, deals: list[Deal]) -> None:
    """Count what each vendor holds per business key: one of everything per won deal, nothing twice."""
    won = [d for d in deals if not d.blocked]
    keys = {d.account for d in deals}
    # NetSuite: a customer for every deal (blocked ones stop after it), a sales order per won deal.
    customers = [c for c in topology.netsuite.records("customer") if c["fields"].get("externalId") in keys]
    per_key = census_of(customers, lambda c: c["fields"]["externalId"])
    assert per_key == Counter(keys), f"ERP customers per account: {per_key.most_common(3)}"
    entity_of = {c["id"]: c["fields"]["externalId"] for c in customers}
    orders = census_of(topology.netsuite.records("salesOrder"), lambda o: o["fields"].get("otherRefNum"))
    assert orders == Counter(d.opportunity for d in won), f"sales orders per deal: {orders.most_common(3)}"
    journals = topology.netsuite.records("journalEntry")
    assert journals == [], "no journal entry belongs to an activation"
    # Stripe: one customer and one subscription per won deal; none for blocked deals.
    stripe_customers = topology.stripe.customer_keys()
    assert Counter(stripe_customers.values()) == Counter(d.account for d in won)
    subscriptions = topology.stripe.subscription_customers()
    per_customer = Counter(stripe_customers[c] for c in subscriptions.values())
    assert per_customer == Counter(d.account for d in won), per_customer.most_common(3)
    products = census_of(topology.stripe.objects("product"), lambda p: p.get("name"))
    assert all(n == 1 for n in products.values()), products
    prices = census_of([p for p in topology.stripe.objects("price") if p["active"]], lambda p: (
        p["product"], p["currency"], p["unit_amount"], str(p.get("recurring")), p["metadata"].get("revflow_role")))
    assert all(n == 1 for n in prices.values()), [k for k, n in prices.items() if n > 1]
    # One ERP invoice per billing invoice, for the billing invoice's own customer.
    invoices = topology.stripe.objects("invoice")
    erp_invoices = topology.netsuite.records("invoice")
    per_billing = census_of(erp_invoices, lambda i: i["fields"].get("custbody_revflow_billing_invoice_id"))
    billed = {i["id"] for i in invoices if i["status"] in ("open", "paid") and i["total"] > 0}
    assert per_billing == Counter(billed), f"ERP invoices per billing invoice: {per_billing.most_common(3)}"
    for erp in erp_invoices:
        billing = next(i for i in invoices if i["id"] == erp["fields"]["custbody_revflow_billing_invoice_id"])
        assert entity_of[erp["fields"]["entity"]["id"]] == stripe_customers[billing["customer"]]


def _check_agreement(topology: Topology, deals: list[Deal]) -> None:
    """Deal by deal, the systems agree: bookings = sales order = revenue contract; billings = revrec's billing
    links; the CRM shows the subscription. Read from each vendor's own records and from revrec."""
    orders = {o["fields"]["otherRefNum"]: o["fields"] for o in topology.netsuite.records("salesOrder")}
    invoices: dict[str, dict[str, int]] = {}
    for invoice in topology.stripe.objects("invoice"):
        if invoice["status"] in ("open", "paid") and invoice["total"] > 0:
            invoices.setdefault(invoice["subscription"], {})[invoice["id"]] = invoice["total"]
    opportunities = topology.salesforce.http.get("/__sandbox/state").json()["records"]["Opportunity"]
    for deal in deals:
        if deal.blocked:
            continue
        record = topology.workflow(f"activation:{deal.opportunity}")
        booked = record["steps"][0]["output"]["booked"]["amount_minor"]
        ids = record["external_ids"]
        view = _get(topology.revrec, f"/v1/contracts/{ids['revenue_contract_id']}")
        ordered = int(Decimal(str(orders[deal.opportunity]["total"])) * 100)
        assert ordered == booked == view["contract"]["transaction_price"]["amount_minor"], (deal, ordered, booked)
        assert view["contract"]["opportunity_id"] == deal.opportunity
        linked = {b["id"]: b["amount"]["amount_minor"] for b in view["billings"] if b["kind"] == "invoice"}
        assert linked == invoices.get(ids["subscription_id"], {}), (deal, linked)
        assert opportunities[deal.opportunity]["Revflow_Subscription_Id__c"] == ids["subscription_id"], deal
