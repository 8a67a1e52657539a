"""One chaos run, from the outside, as the world treats a deployment on a bad day.

1. Sales ops loads the deals into Salesforce through the composite API (every ``blocked_every``-th carries an
   add-on finance never created in NetSuite); finance has created the other items in NetSuite.
2. NetSuite, Stripe and Salesforce's record updates start failing (seeded faults: 5xx, 429, answers lost
   after the write, hung requests).
3. The deals are won in shuffled waves. After each wave Salesforce redelivers every Outbound Message sent so
   far (older closes arrive again among new ones) and one kill event SIGKILLs a worker, every worker, or a
   service (the process API, a system API), which is restarted at once.
4. Every close is announced again: the CRM's pull, Salesforce's redelivery, every ``closed_won`` event
   republished on the stream in shuffled order (same id and new id), some deals started by hand.
5. Once settled, the stopped workflows are read (each must name its owner), the faults' logs are read, the
   closes are announced yet again, the faults stop and dead letters are replayed, as an operator would.
6. Then the counting: workflows by outcome, each vendor's records per business key, and the process API's
   reconciliation of every activated deal.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec

from revflow.chaos._announce import pull_closed_won, republish
from revflow.chaos._census import take_census
from revflow.chaos._deals import KNOWN_SKUS, Deal, enter_deals, win_deals
from revflow.chaos._deployment import SANDBOXES, Deployment, chaos_deployment
from revflow.chaos._faults import clear_faults, faults_injected, inject_faults, seeded_faults
from revflow.chaos._figures import ChaosFigures, Reconciliation, VendorFigures, WorkflowFigures
from revflow.chaos._profile import ChaosProfile, kill_plan

__all__ = ["run_chaos"]

SALESFORCE_BASE = "/services/data/v62.0"
UNFINISHED = ("running", "retrying", "waiting", "compensating")
STOPPED = ("parked", "dead_lettered", "compensated")
QUIET_S = 90.0
"""Settled although some won deal has no workflow: nothing moved for this long (the deal is counted lost)."""

Say = Callable[[str], None]


def run_chaos(profile: ChaosProfile, logs: Path, say: Say = lambda _: None, *, keep_keys: bool = False
              ) -> ChaosFigures:
    """Run the whole topology under chaos and count what happened (``say``: progress lines for a person)."""
    figures = ChaosFigures(seed=profile.seed, workers=profile.workers, kills_planned=profile.kills)
    prefix = f"chaos:{uuid.uuid4().hex[:10]}:"
    lap = time.monotonic()

    def phase(name: str) -> None:
        nonlocal lap
        now = time.monotonic()
        figures.seconds[name] = round(now - lap, 1)
        lap = now
        say(f"{name}: {figures.seconds[name]:.0f}s")

    say(f"starting the topology (Redis key prefix {prefix}, logs in {logs})")
    with chaos_deployment(profile, prefix, logs, keep_keys=keep_keys) as deployment:
        phase("start")
        run = _Run(profile, deployment, figures, say)
        run.arrange()
        phase("enter deals")
        run.storm()
        phase("storm")
        run.after_the_storm()
        phase("replay")
        run.count()
        phase("census")
        run.reconcile()
        phase("reconcile")
        figures.kills = deployment.group.kills
    figures.judge()
    return figures


def _call(client: httpx.Client, method: str, path: str, body: Any = None, *, attempts: int = 120,
          **params: Any) -> httpx.Response:
    """A request to a service that may be restarting: transport errors, 5xx and 429 are tried again."""
    last = ""
    for _ in range(attempts):
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else {}
        try:
            response = client.request(method, path, json=body, params=params or None, headers=headers)
        except httpx.TransportError as exc:
            last = repr(exc)
        else:
            if response.status_code < 300:
                return response
            if response.status_code < 500 and response.status_code not in (409, 429):
                raise RuntimeError(f"{method} {path} -> {response.status_code} {response.text[:500]}")
            last = f"{response.status_code} {response.text[:200]}"
        time.sleep(1)
    raise RuntimeError(f"{method} {path} kept failing: {last}")


class _Run:
    def __init__(self, profile: ChaosProfile, deployment: Deployment, figures: ChaosFigures, say: Say) -> None:
        self.profile, self.d, self.figures, self.say = profile, deployment, figures, say
        self.rng = random.Random(profile.seed)
        self.deals: list[Deal] = []
        self.won = 0

    # -- reading the process API ---------------------------------------------------------------------------------

    def _get(self, path: str, **params: Any) -> Any:
        return _call(self.d.process, "GET", path, **params).json()

    def _total(self, **filters: Any) -> int:
        return int(self._get("/v1/workflows", limit=1, **filters)["total"])

    def _unfinished_by_state(self, **filters: Any) -> dict[str, int]:
        return {state: self._total(technical_state=state, **filters) for state in UNFINISHED}

    def _unfinished(self, **filters: Any) -> int:
        return sum(self._unfinished_by_state(**filters).values())

    def _workflows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self._get("/v1/workflows", limit=500, **({"cursor": cursor} if cursor else {}))
            rows += page["data"]
            cursor = page["next_cursor"]
            if cursor is None:
                return rows

    # -- 1, 2: deals, items, faults ------------------------------------------------------------------------------

    def arrange(self) -> None:
        from revflow.stories.people import FinanceClerk
        from sandboxes.netsuite import DEV_SETTINGS as NETSUITE
        from services.system.erp.connectors.netsuite import TokenCredentials, TokenSigner

        salesforce = self.d.sandboxes["salesforce"]
        salesforce.post("/__sandbox/outbound-messages", json={
            "urls": [f"{self.d.url('crm')}/v1/webhooks/salesforce"], "retry_delay": 0.2, "max_attempts": 8,
        }).raise_for_status()
        signer = TokenSigner(TokenCredentials(account_id=NETSUITE.account_id, consumer_key=NETSUITE.consumer_key,
                                              consumer_secret=NETSUITE.consumer_secret, token_id=NETSUITE.token_id,
                                              token_secret=NETSUITE.token_secret))
        clerk = FinanceClerk(self.d.url("netsuite"), signer)
        try:
            for sku in KNOWN_SKUS:
                clerk.item(sku, 10_000)
        finally:
            clerk.close()
        self.deals = enter_deals(salesforce, SALESFORCE_BASE, self.profile.deals, seed=self.profile.seed,
                                 blocked_every=self.profile.blocked_every)
        self.figures.deals = len(self.deals)
        self.figures.blocked = sum(1 for d in self.deals if d.blocked)
        inject_faults(self.d.sandboxes, seeded_faults(self.profile.seed))
        self.say(f"entered {len(self.deals)} deals ({self.figures.blocked} blocked on purpose); faults on")

    # -- 3, 4: waves of closes, kills, duplicates ----------------------------------------------------------------

    def storm(self) -> None:
        plan = kill_plan(self.profile)
        order = list(self.deals)
        self.rng.shuffle(order)
        count = len(plan) + 1
        waves = [order[i * len(order) // count:(i + 1) * len(order) // count] for i in range(count)]
        for index, wave in enumerate(waves):
            if wave:
                win_deals(self.d.sandboxes["salesforce"], SALESFORCE_BASE, wave)
                self.won += len(wave)
            if index:
                self._redeliver_push()
            if index < len(plan):
                self._kill_when_busy(plan[index], wave)
        self._announce_again()
        self._settle("under faults")

    def _redeliver_push(self) -> None:
        answer = self.d.sandboxes["salesforce"].post("/__sandbox/outbound-messages/redeliver")
        self.figures.duplicate_announcements += int(answer.raise_for_status().json()["queued"])

    def _kill_when_busy(self, targets: tuple[str, ...], wave: list[Deal]) -> None:
        """Wait until a third of ``wave`` has finished (or the run went idle), then kill ``targets``."""
        goal = self.won - (2 * len(wave)) // 3
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            finished = self._total(kind="activation") - self._unfinished(kind="activation")
            in_flight = self._unfinished()
            if finished >= goal or (in_flight == 0 and finished >= self.won):
                break
            time.sleep(0.5)
        group = self.d.group
        slots = [group.slot(name) for name in targets]
        self.say(f"SIGKILL {', '.join(targets)} with {in_flight} workflows in flight ({finished} deals finished)")
        group.kill(slots, finished=finished, in_flight=in_flight)

    def _announce_again(self) -> None:
        pull_closed_won(self.d.crm)
        self._redeliver_push()
        won = republish(self.d.redis_url, self.d.prefix, self.rng)
        self.figures.closed_won_published = len(won)
        self.figures.duplicate_announcements += 2 * len(won)
        by_deal = {event.subject: event for event in won}
        for deal in self.rng.sample(self.deals, min(self.profile.by_hand, len(self.deals))):
            event = by_deal.get(deal.opportunity)
            if event is None:
                continue
            _call(self.d.process, "POST", "/v1/workflows", {
                "kind": "activation", "subject": deal.opportunity, "input": msgspec.to_builtins(event.data),
                "id": f"activation:{deal.opportunity}"})
            self.figures.duplicate_announcements += 1
        self.say(f"announced again: {self.figures.duplicate_announcements} duplicate announcements so far")

    def _settle(self, what: str) -> None:
        """Wait until every won deal has a workflow and none is unfinished (or nothing moves for ``QUIET_S``)."""
        deadline = time.monotonic() + self.profile.deadline_s
        seen, since, last_say = None, time.monotonic(), 0.0
        while time.monotonic() < deadline:
            states = self._unfinished_by_state()
            unfinished = sum(states.values())
            activations = self._total(kind="activation")
            if unfinished == 0 and activations >= len(self.deals):
                return
            if (unfinished, activations) != seen:
                seen, since = (unfinished, activations), time.monotonic()
            elif unfinished == 0 and time.monotonic() - since > QUIET_S:
                self.say(f"{what}: idle with {activations} activations for {len(self.deals)} won deals")
                return
            if not self.d.group.alive():
                raise RuntimeError(f"a process exited on its own:\n{self.d.group.log_tail()}")
            if time.monotonic() - last_say > 15:
                busy = ", ".join(f"{n} {state}" for state, n in states.items() if n)
                self.say(f"{what}: {activations} activations, {unfinished} workflows unfinished ({busy})")
                last_say = time.monotonic()
            time.sleep(1.0)
        self.say(f"{what}: still unfinished after {self.profile.deadline_s:.0f}s (counted as lost)")

    # -- 5: the operator's clean-up ------------------------------------------------------------------------------

    def after_the_storm(self) -> None:
        stopped = [r for r in self._workflows() if r["state"] in STOPPED]
        self.figures.faults_injected = faults_injected(self.d.sandboxes, list(SANDBOXES))
        self._redeliver_push()
        won = republish(self.d.redis_url, self.d.prefix, self.rng)
        self.figures.duplicate_announcements += 2 * len(won)
        clear_faults(self.d.sandboxes, list(SANDBOXES))
        replayed = [r["id"] for r in stopped if r["state"] == "dead_lettered"]
        for workflow_id in replayed:
            _call(self.d.process, "POST", f"/v1/workflows/{workflow_id}/retry")
        self.figures.workflows.dead_letters_replayed = len(replayed)
        self.say(f"faults off; {len(replayed)} dead-lettered workflows replayed")
        self._settle("after the replay")

    # -- 6: counting -----------------------------------------------------------------------------------------------

    def count(self) -> None:
        rows = self._workflows()
        figures = WorkflowFigures(total=len(rows), kinds=dict(Counter(r["kind"] for r in rows)),
                                  dead_letters_replayed=self.figures.workflows.dead_letters_replayed)
        activations = {r["subject"]: r for r in rows if r["kind"] == "activation"}
        blocked = {d.opportunity for d in self.deals if d.blocked}
        for row in rows:
            if row["state"] == "succeeded":
                figures.completed += 1
                figures.activations_completed += row["kind"] == "activation"
            elif row["state"] in STOPPED and row.get("owner"):
                figures.needs_attention += 1
                figures.expected_attention += (row["kind"] == "activation" and row["subject"] in blocked
                                               and row["business_status"] == "blocked_master_data")
            else:
                figures.lost += 1
                figures.lost_examples.append(f"{row['id']} {row['state']} at {row.get('step')}")
        for deal in self.deals:
            if deal.opportunity not in activations:
                figures.lost += 1
                figures.lost_examples.append(f"deal {deal.opportunity} has no workflow")
        self.figures.workflows = figures
        census = take_census(self.d.sandboxes, self.deals)
        self.figures.vendors = {name: VendorFigures(records=c.records, duplicates=c.duplicates, missing=c.missing,
                                                    unexpected=c.unexpected, examples=c.examples)
                                for name, c in census.items()}

    def reconcile(self) -> None:
        """A reconciliation run of every activated deal, run by the workers; its figures."""
        started = _call(self.d.process, "POST", "/v1/reconciliations", {})
        location = started.headers["location"]
        result = Reconciliation(state="running")
        deadline = time.monotonic() + self.profile.deadline_s
        while time.monotonic() < deadline:
            run = self._get(location)
            if run["state"] not in UNFINISHED:
                result.state = run["state"]
                break
            time.sleep(1.0)
        else:
            result.error = f"not finished after {self.profile.deadline_s:.0f}s"
        if run.get("exception"):
            result.error = f"{run['exception'].get('reason')} (owner {run['exception'].get('owner')})"
        report = run.get("report") or {}
        if result.state == "succeeded" and not report:
            result.state = "succeeded without a report"
        result.deals = int(report.get("deals", 0))
        result.explained, result.unexplained = int(report.get("explained", 0)), int(report.get("unexplained", 0))
        for difference in report.get("differences", []):
            pair = "/".join(difference["systems"])
            kind = "explained" if difference.get("explained") else "unexplained"
            counts = result.by_pair.setdefault(pair, {"explained": 0, "unexplained": 0})
            counts[kind] += 1
            if kind == "unexplained" and len(result.unexplained_examples) < 5:
                result.unexplained_examples.append(difference)
        self.figures.reconciliation = result
