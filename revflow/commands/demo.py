"""``revflow demo``: start revflow (unless it runs already) and show its foundation working, step by step.

Every step makes real HTTP calls and checks what came back; the command exits non-zero if any check fails.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import click
import httpx
from rich.console import Console
from rich.table import Table

from revflow.commands.up import print_topology
from revflow.launcher import Running, running_topology
from revflow.topology import TOPOLOGY

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


@click.command()
def demo() -> None:
    """Start revflow if needed and show auth, idempotency, problems, versioning, relay and audit working."""
    console = Console()
    failures = 0
    with running_topology(TOPOLOGY) as running, httpx.Client(timeout=10) as client:
        print_topology(console, running)
        story = Story(running=running, client=client)
        table = Table(title="demo", title_justify="left")
        for column in ("", "step", "what happened"):
            table.add_column(column)
        for title, step in STEPS:
            try:
                table.add_row("[green]ok[/green]", title, step(story))
            except Exception as exc:
                failures += 1
                table.add_row("[red]FAILED[/red]", title, f"{type(exc).__name__}: {exc}")
        console.print(table)
    if failures:
        raise SystemExit(f"{failures} step(s) failed")
    console.print("All steps passed. Run `uv run revflow up` to keep it running and explore "
                  "http://127.0.0.1:8190/schema.")
