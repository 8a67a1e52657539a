"""``revflow demo``: start revflow (unless it runs already) and drive real quote-to-cash stories through it.

First the platform checks (tokens, idempotency, problems, versioning, relay, audit), then the stories of
``revflow.stories.quote_to_cash`` as the people of ``revflow.stories.people`` would live them in Salesforce,
NetSuite and the process API, then a summary from the systems of record. Every step makes real HTTP calls and
checks what came back; the command exits non-zero if anything failed or did not reconcile.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from revflow.commands.up import print_topology
from revflow.launcher import Running, running_topology
from revflow.stories.people import FinanceClerk, Operator, SalesRep
from revflow.stories.quote_to_cash import STORIES, Demo
from revflow.topology import TOPOLOGY, component

__all__ = ["demo"]


@dataclass
class Story:
    """What the steps share: the running topology, a token and what earlier steps created."""

    running: Running
    client: httpx.Client
    token: str = ""
    account_id: str = ""

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    @property
    def example(self) -> str:
        return self.running.url("example")


def _token(story: Story) -> str:
    form = {"grant_type": "client_credentials", "audience": "example", "scope": "example:read example:write"}
    response = story.client.post(f"{story.running.url('issuer')}/oauth/token",
                                 auth=("revflow-dev", "revflow-dev-secret"), data=form)
    response.raise_for_status()
    story.token = response.json()["access_token"]
    return f"client-credentials token for audience 'example' ({len(story.token)} bytes, ES256)"


def _no_token(story: Story) -> str:
    response = story.client.get(f"{story.example}/v1/ping")
    assert response.status_code == 401, response.text
    return f"no token -> 401 {response.json()['type']}"


def _create(story: Story) -> str:
    key = uuid.uuid4().hex
    body = {"name": "Acme GmbH", "email": "ap@acme.test", "currency": "EUR", "credit_limit_minor": 500_000}
    keyed = story.headers(**{"Idempotency-Key": key})
    first = story.client.post(f"{story.example}/v1/accounts", json=body, headers=keyed)
    again = story.client.post(f"{story.example}/v1/accounts", json=body, headers=keyed)
    other = story.client.post(f"{story.example}/v1/accounts", json={**body, "name": "Other"}, headers=keyed)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"], again.text
    assert again.headers.get("idempotent-replayed") == "true" and other.status_code == 422, other.text
    story.account_id = first.json()["id"]
    return f"created {story.account_id}; same key replayed it, same key + other body -> 422"


def _bad_input(story: Story) -> str:
    response = story.client.post(f"{story.example}/v1/accounts", headers=story.headers(**{"Idempotency-Key": "bad-1"}),
                                 json={"name": 42, "email": "ap@acme.test", "currency": "eur"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/problem+json")
    fields = ", ".join(e["field"] for e in response.json()["errors"])
    return f"bad input -> 400 problem naming: {fields}"


def _deprecated(story: Story) -> str:
    response = story.client.get(f"{story.example}/v1/account-lookup/{story.account_id}", headers=story.headers())
    assert response.status_code == 200 and "sunset" in response.headers, response.text
    return f"deprecated route: Sunset {response.headers['sunset']}; Link {response.headers['link']}"


def _relay(story: Story) -> str:
    correlation = f"demo-{uuid.uuid4().hex[:8]}"
    response = story.client.post(f"{story.example}/v1/relay/accounts", headers=story.headers(**{
        "Idempotency-Key": uuid.uuid4().hex, "X-Correlation-ID": correlation}),
        json={"name": "Globex Ltd", "email": "billing@globex.test", "currency": "GBP"})
    assert response.status_code == 201, response.text
    assert response.headers["x-correlation-id"] == correlation
    return f"service-to-service call with its own token; correlation id {correlation} carried through"


def _audit(story: Story) -> str:
    from services.runtime.audit import AuditLog
    from services.runtime.redis import KeySpace, create_redis

    async def verify() -> tuple[bool, int]:
        redis = create_redis(story.running.redis_url)
        try:
            result = await AuditLog(redis, KeySpace(os.environ.get("REVFLOW_KEY_PREFIX", "revflow:"))).verify()
            return result.ok, result.count
        finally:
            await redis.aclose()

    ok, count = asyncio.run(verify())
    assert ok, "audit chain broken"
    return f"audit chain verified: {count} entries, unbroken"


STEPS: list[tuple[str, Callable[[Story], str]]] = [
    ("token from the built-in issuer", _token),
    ("requests without a token are refused", _no_token),
    ("idempotent create", _create),
    ("bad input is a problem, not a 500", _bad_input),
    ("deprecation headers", _deprecated),
    ("relay through a peer service", _relay),
    ("hash-chained audit", _audit),
]


def _foundation(console: Console, running: Running, client: httpx.Client) -> int:
    """The platform checks (auth, idempotency, problems, versioning, relay, audit); the number that failed."""
    story = Story(running=running, client=client)
    table = Table(title="platform", title_justify="left")
    for column in ("", "check", "what happened"):
        table.add_column(column)
    failures = 0
    for title, step in STEPS:
        try:
            table.add_row("[green]ok[/green]", title, step(story))
        except Exception as exc:
            failures += 1
            table.add_row("[red]FAILED[/red]", title, f"{type(exc).__name__}: {exc}")
    console.print(table)
    return failures


def _people(running: Running, client: httpx.Client) -> Demo:
    from sandboxes.netsuite import DEV_SETTINGS as NETSUITE
    from sandboxes.salesforce.settings import DEV_SESSION_ID
    from services.system.erp.connectors.netsuite import TokenCredentials, TokenSigner

    form = {"grant_type": "client_credentials", "audience": "quote_to_cash",
            "scope": "quote_to_cash:read quote_to_cash:write"}
    token = client.post(f"{running.url('issuer')}/oauth/token", auth=("revflow-dev", "revflow-dev-secret"),
                        data=form).raise_for_status().json()["access_token"]
    signer = TokenSigner(TokenCredentials(account_id=NETSUITE.account_id, consumer_key=NETSUITE.consumer_key,
                                          consumer_secret=NETSUITE.consumer_secret, token_id=NETSUITE.token_id,
                                          token_secret=NETSUITE.token_secret))
    sales = SalesRep(running.url("salesforce"), DEV_SESSION_ID)
    sales.route_closes_to(running.url("crm"))
    return Demo(sales=sales, finance=FinanceClerk(running.url("netsuite"), signer),
                ops=Operator(running.url("quote_to_cash"), token))


def _stories(console: Console, demo: Demo) -> int:
    """Run the quote-to-cash stories with a progress bar; the number that failed."""
    table = Table(title="quote to cash", title_justify="left")
    for column in ("", "story", "what happened"):
        table.add_column(column)
    failures = 0
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("stories", total=len(STORIES))
        for title, story in STORIES:
            progress.update(task, description=title)
            try:
                table.add_row("[green]ok[/green]", title, story(demo))
            except httpx.HTTPStatusError as exc:
                failures += 1
                table.add_row("[red]FAILED[/red]", title, f"{exc.request.method} {exc.request.url.path} -> "
                              f"{exc.response.status_code}: {exc.response.text[:300]}")
            except Exception as exc:
                failures += 1
                table.add_row("[red]FAILED[/red]", title, f"{type(exc).__name__}: {exc}")
            progress.advance(task)
    console.print(table)
    return failures


def _summary(console: Console, demo: Demo) -> None:
    """Deals, invoices, revenue recognised and deferred for the month, from the systems of record."""
    after = (demo.start + timedelta(days=32)).strftime("%Y-%m")
    metrics = demo.ops.get("/v1/metrics", **{"from": demo.period, "to": after})
    deals = demo.ops.get("/v1/deals", limit=500)
    invoices = sum(len(demo.ops.get(f"/v1/deals/{d}")["invoices"]) for d in demo.deals.values())
    table = Table(title=f"summary for {demo.period} to {after}", title_justify="left")
    for column in ("currency", "deals", "invoices", "bookings", "billings", "recognised", "deferred", "ARR"):
        table.add_column(column, justify="right")
    for block in metrics["currencies"]:
        t = block["total"]
        table.add_row(block["currency"], str(deals["total"]), str(invoices),
                      *(f"{t[k] / 100:,.2f}" for k in ("bookings", "billings", "recognized_revenue",
                                                       "deferred_revenue", "arr")))
    console.print(table)


@click.command()
@click.option("--platform/--no-platform", default=True, show_default=True,
              help="Also run the platform checks (auth, idempotency, problems, versioning, audit).")
def demo(platform: bool) -> None:
    """Start revflow if needed and drive real quote-to-cash stories through it; non-zero exit on any failure."""
    console = Console(width=None if sys.stdout.isatty() else 140)
    failures = 0
    for sig in (signal.SIGTERM, signal.SIGHUP):  # stop what was started (its own process groups) like Ctrl-C does
        signal.signal(sig, signal.default_int_handler)
    with running_topology(TOPOLOGY) as running, httpx.Client(timeout=10) as client:
        print_topology(console, running)
        if platform:
            failures += _foundation(console, running, client)
        people = _people(running, client)
        try:
            failures += _stories(console, people)
            try:
                _summary(console, people)
            except Exception as exc:  # the summary reads what the stories made; say why it could not
                failures += 1
                console.print(f"[red]summary failed: {type(exc).__name__}: {exc}[/red]")
        finally:
            for person in (people.sales, people.finance, people.ops):
                person.close()
    if failures:
        raise SystemExit(f"{failures} step(s) failed")
    console.print("Everything reconciled. Run `uv run revflow up` to keep revflow running; the console is at "
                  f"http://127.0.0.1:{component('ops_console').port} (sign in as finance / finance-dev-pass).")
