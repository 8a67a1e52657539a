"""Quote-to-cash stories, driven the way revflow's users work: in Salesforce, in NetSuite, in the process API.

Each story returns one line saying what happened and raises when revflow did something other than what a
finance team expects. ``Demo`` collects what the stories create, for the closing summary.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from revflow.stories.people import FinanceClerk, Operator, SalesRep

__all__ = ["STORIES", "Demo", "Story"]

TERMINAL = ("succeeded", "compensated")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _term_end(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1) - timedelta(days=1)


@dataclass
class Demo:
    """The people, and what the stories made (deal ids by name)."""

    sales: SalesRep
    finance: FinanceClerk
    ops: Operator
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6].upper())
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    deals: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    timeout: float = 90.0

    @property
    def start(self) -> date:
        return _month_start(self.today)

    @property
    def period(self) -> str:
        return self.start.strftime("%Y-%m")

    def sku(self, stem: str) -> str:
        return f"{stem}-{self.run}"

    def lines(self, seats: int, *, setup: bool = True, usage: bool = True, seat_sku: str | None = None,
              start: date | None = None) -> list[dict]:
        """A year of seats billed monthly, optionally a setup fee and metered API calls."""
        start = start or self.start
        end = _term_end(start, 12).isoformat()
        lines = [{"sku": seat_sku or self.sku("SEAT"), "quantity": seats, "list": 10_000, "sale": 9_000,
                  "start": start.isoformat(), "end": end, "frequency": "monthly",
                  "description": "Platform seats (annual term, billed monthly)"}]
        if setup:
            lines.append({"sku": self.sku("SETUP"), "quantity": 1, "list": 200_000, "sale": 150_000,
                          "start": self.start.isoformat(), "end": self.start.isoformat(), "frequency": "one_time",
                          "description": "Implementation"})
        if usage:
            lines.append({"sku": self.sku("CALLS"), "quantity": 1, "list": 5, "sale": 4,
                          "start": self.start.isoformat(), "end": end, "frequency": "usage",
                          "description": "API calls"})
        return lines

    def win(self, name: str, lines: list[dict], *, renews: str | None = None, key: str | None = None) -> str:
        key = key or f"DEMO-{self.run}-{len(self.deals) + 1}"
        self.sales.account(key, name)
        self.accounts[name] = key
        deal = self.sales.opportunity(key, f"{name} {self.period}", self.today.isoformat(), lines, renews=renews)
        self.sales.win(deal)
        self.deals[name if not renews else f"{name} renewal"] = deal
        return deal

    def wait(self, workflow_id: str, until: Callable[[dict], bool] | None = None) -> dict[str, Any]:
        """Poll a workflow until it finished or stopped for a person (or ``until`` holds)."""
        until = until or (lambda w: w["state"] in (*TERMINAL, "parked", "dead_lettered"))
        deadline = time.monotonic() + self.timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = self.ops.http.get(f"/v1/workflows/{workflow_id}")
            if response.status_code == 200:
                last = response.json()
                if until(last):
                    return last
            time.sleep(0.2)
        raise RuntimeError(f"{workflow_id} is still {last.get('state', 'not started')} after {self.timeout:.0f}s "
                           f"({(last.get('exception') or {}).get('reason', 'no exception')})")

    def completed(self, workflow_id: str) -> dict[str, Any]:
        done = self.wait(workflow_id)
        if done["state"] != "succeeded":
            reason = (done.get("exception") or {}).get("reason")
            raise RuntimeError(f"{workflow_id}: {done['business_status']}: {reason}")
        return done


Story = Callable[[Demo], str]


def setup(demo: Demo) -> str:
    """Finance adds the items and a contract-asset account in NetSuite; the Salesforce admin routes closes."""
    demo.finance.account("1300", "Contract Asset", "OthCurrAsset")  # revenue recognised before it is billed
    for stem, price in (("SEAT", 10_000), ("SETUP", 200_000), ("CALLS", 5)):
        demo.finance.item(demo.sku(stem), price)
    return (f"items {demo.sku('SEAT')}, {demo.sku('SETUP')}, {demo.sku('CALLS')} and account 1300 in NetSuite; "
            "outbound message on")


def new_deals(demo: Demo) -> str:
    """Three deals closed in Salesforce become customers, subscriptions, orders and revenue contracts."""
    for name, seats in (("Acme Corp", 10), ("Globex Ltd", 25), ("Initech", 5)):
        demo.win(name, demo.lines(seats))
    done = [demo.completed(f"activation:{deal}") for deal in demo.deals.values()]
    subs = ", ".join(d["external_ids"]["subscription_id"] for d in done)
    return f"{len(done)} deals activated: subscriptions {subs}"


def blocked_then_resumed(demo: Demo) -> str:
    """A deal with a SKU NetSuite lacks waits for finance; after the item exists, a resume completes it."""
    sku = demo.sku("PREMIUM")
    deal = demo.win("Umbrella Co", demo.lines(8, setup=False, usage=False, seat_sku=sku))
    parked = demo.wait(f"activation:{deal}")
    exc = parked.get("exception") or {}
    if parked["business_status"] != "blocked_master_data" or exc.get("owner") != "finance_ops":
        raise RuntimeError(f"expected blocked_master_data for finance_ops, got {parked['business_status']}: {exc}")
    demo.finance.item(sku, 10_000)
    demo.ops.post(f"/v1/workflows/activation:{deal}/resume")
    demo.wait(f"activation:{deal}", lambda w: w["resumes"] == 1 and w["state"] in (*TERMINAL, "parked"))
    demo.completed(f"activation:{deal}")
    return f"{deal}: blocked on {sku} (owner finance_ops), item created, resumed -> completed"


def upgrade(demo: Demo) -> str:
    """Acme adds five seats mid-term: billing prorates, the ERP gets the invoice, revenue is modified."""
    deal = demo.deals["Acme Corp"]
    booked = demo.ops.get(f"/v1/workflows/activation:{deal}")["input"]["opportunity"]
    seat = next(line for line in booked["lines"] if line["billing_frequency"] == "monthly")
    # Effective tomorrow: billing's current period began when the subscription was created today.
    effective = demo.today + timedelta(days=1)
    amendment = {"id": f"upgrade-{demo.run}", "opportunity_id": deal, "effective_date": effective.isoformat(),
                 "currency": booked["currency"], "reason": "Five more seats",
                 "changed_lines": [{"action": "update", "line_id": seat["id"],
                                    "line": {**seat, "quantity": seat["quantity"] + 5, "id": seat["id"]}}]}
    started = demo.ops.post(f"/v1/deals/{deal}/amendments", amendment)
    done = demo.completed(started["id"])
    return f"{deal}: {seat['quantity']} -> {seat['quantity'] + 5} seats ({done['id']})"


def renewal(demo: Demo) -> str:
    """Initech renews for the next year: a new term in billing, a new sales order and a new revenue contract."""
    original = demo.deals["Initech"]
    next_term = _term_end(demo.start, 12) + timedelta(days=1)
    deal = demo.win("Initech", demo.lines(6, setup=False, usage=False, start=next_term), renews=original,
                    key=demo.accounts["Initech"])
    done = demo.completed(f"renewal:{deal}")
    contract = done["external_ids"].get("revenue_contract_id", "?")
    return f"{deal} renews {original} from {next_term}: new revenue contract {contract}"


def credit_with_refund(demo: Demo) -> str:
    """Globex is credited 100.00 of seats on its paid first invoice and refunded."""
    deal = demo.deals["Globex Ltd"]
    view = demo.ops.get(f"/v1/deals/{deal}")
    paid = [i for i in view["invoices"] if i["status"] == "paid" and i["total"]["amount_minor"] > 0]
    if not paid:
        raise RuntimeError(f"{deal} has no paid invoice to credit")
    invoice = paid[-1]
    started = demo.ops.post("/v1/credits", {
        "opportunity_id": deal, "invoice_id": invoice["id"], "reason": "product_unsatisfactory", "refund": True,
        "lines": [{"sku": demo.sku("SEAT"), "amount": {"amount_minor": 10_000, "currency": invoice["currency"]},
                   "description": "Service credit: outage"}], "memo": "Outage credit", "id": f"credit-{demo.run}"})
    demo.completed(started["id"])
    return f"{deal}: 100.00 credited on {invoice['id']} and refunded"


def usage(demo: Demo) -> str:
    """Initech reports a month of API calls: billing meter events and usage revenue."""
    deal = demo.deals["Initech"]
    records = [{"id": f"calls-{demo.run}-{day}", "opportunity_id": deal, "sku": demo.sku("CALLS"),
                "quantity": 1_000 + day * 10, "occurred_at": f"{demo.today.isoformat()}T{day % 24:02d}:00:00Z"}
               for day in range(1, 11)]
    receipt = demo.ops.post("/v1/usage", records)
    for item in receipt["data"]:
        demo.completed(item["workflow_id"])
    return f"{deal}: {sum(r['quantity'] for r in records):,} calls in {len(records)} records billed and recognised"


def period_close(demo: Demo) -> str:
    """Close the month: checklist, recognition run, journals posted to NetSuite once, reconciliation, lock."""
    before = demo.ops.get(f"/v1/periods/{demo.period}")
    if before.get("status") == "closed":  # an earlier demo on this Redis closed it; closed periods never reopen
        return (f"{demo.period} was closed by an earlier run: this run's {demo.period} revenue posts in the next "
                "open period as an adjustment, never restating the closed one")
    started = demo.ops.post(f"/v1/periods/{demo.period}/close")
    done = demo.wait(started["id"])
    if done["state"] != "succeeded":
        reason = (done.get("exception") or {}).get("reason", done["state"])
        raise RuntimeError(f"close of {demo.period}: {reason}")
    return f"{demo.period} closed: journals posted to NetSuite, period locked in revrec"


def reconciliation(demo: Demo) -> str:
    """Bookings, billings, ERP invoices, revenue and the GL compared per contract and in total."""
    started = demo.ops.post("/v1/reconciliations", {})
    demo.completed(started["id"])
    report = demo.ops.get("/v1/reconciliations/latest")
    if report.get("unexplained", 0):
        causes = "; ".join(d.get("cause", "?") for d in report.get("differences", []) if not d.get("explained"))
        raise RuntimeError(f"{report['unexplained']} unexplained difference(s): {causes}")
    return f"clean: {report.get('explained', 0)} explained timing difference(s), 0 unexplained"


STORIES: list[tuple[str, Story]] = [
    ("finance and admin set up", setup),
    ("new deals closed in Salesforce", new_deals),
    ("a blocked deal fixed and resumed", blocked_then_resumed),
    ("a mid-term upgrade", upgrade),
    ("a renewal", renewal),
    ("a credit with refund", credit_with_refund),
    ("a month of usage", usage),
    ("period close", period_close),
    ("reconciliation", reconciliation),
]
