"""A whole deployment for one chaos run: every component its own process, on free ports, under its own prefix.

The launcher starts the issuer, the three sandboxes, the four system APIs and the process API (each
``revflow serve NAME --port P``), wired as ``revflow up`` wires them. Two things keep a run apart from a
developer's ``revflow up`` on the same machine: every component gets a free port instead of its fixed one
(the launcher would otherwise find ``up``'s process answering and reuse it, and the run would fault, kill and
count someone else's deployment), and every Redis key lives under a prefix of the run's own
(``chaos:<run id>:``), deleted at the end. Workers are started here too, as their own processes.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import redis

from revflow.chaos._processes import ProcessGroup
from revflow.chaos._profile import ChaosProfile
from revflow.launcher import (
    EMBEDDED_REDIS_PORT,
    WIRING,
    Running,
    command,
    component_wiring,
    redis_answers,
    running_topology,
    shared_wiring,
)
from revflow.topology import Component, component

__all__ = ["COMPONENTS", "Deployment", "chaos_deployment"]

COMPONENTS = ("issuer", "salesforce", "netsuite", "stripe", "crm", "erp", "billing", "revrec", "quote_to_cash")
SANDBOXES = ("salesforce", "netsuite", "stripe")
DEV_CLIENT = ("revflow-dev", "revflow-dev-secret")
"""The issuer's documented development client (every service, every scope)."""
SALESFORCE_SESSION = "00D5g000004SbxO!sandbox.dev.session"
STRIPE_KEY = "sk_test_revflow_dev"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _on_free_port(item: Component) -> Component:
    port = _free_port()
    return replace(item, port=port, command=(*command(item), "--port", str(port)))


class DevToken(httpx.Auth):
    """Bearer auth with a development client-credentials token, fetched again before it expires."""

    def __init__(self, issuer_url: str, audience: str) -> None:
        self.issuer_url, self.audience = issuer_url, audience
        self.token, self.expires = "", 0.0

    def _fetch(self) -> None:
        form = {"grant_type": "client_credentials", "audience": self.audience,
                "scope": f"{self.audience}:read {self.audience}:write"}
        answer = httpx.post(f"{self.issuer_url}/oauth/token", auth=DEV_CLIENT, data=form, timeout=30)
        answer.raise_for_status()
        body = answer.json()
        self.token, self.expires = body["access_token"], time.monotonic() + int(body["expires_in"]) / 2

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        if time.monotonic() >= self.expires:
            self._fetch()
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


@dataclass
class Deployment:
    """The running components, the processes a run may kill, and clients on what the run talks to."""

    running: Running
    prefix: str
    group: ProcessGroup
    """Services (adopted from the launcher) and workers: what a kill may hit."""
    sandboxes: dict[str, httpx.Client]
    """A client on each sandbox, with the vendor's dev credentials."""
    process: httpx.Client
    """The process API, with a token."""
    crm: httpx.Client
    """The CRM system API, with a token."""

    @property
    def redis_url(self) -> str:
        return self.running.redis_url

    def url(self, name: str) -> str:
        return self.running.url(name)

    def close(self) -> None:
        for client in (*self.sandboxes.values(), self.process, self.crm):
            client.close()


def _redis_url() -> str:
    """``REDIS_URL``, else the embedded Redis a ``revflow up`` may run; the launcher starts one if neither answers.

    (The launcher would fail to start a second embedded Redis on its fixed port.)
    """
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    embedded = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
    if not redis_answers(url) and redis_answers(embedded):
        return embedded
    return url


def _settings(profile: ChaosProfile, prefix: str, redis_url: str) -> dict[str, str]:
    """Variables every started process gets.

    Redis and the run's prefix, quiet logs, the Salesforce org's seed and allowance, and workers that take over
    a killed worker's workflows within seconds.
    """
    quiet = {f"REVFLOW_{name.upper()}_LOG_LEVEL": "WARNING" for name in ("crm", "erp", "billing", "revrec",
                                                                           "quote_to_cash")}
    q2c = {"CONCURRENCY": profile.concurrency, "LEASE_MS": 3_000, "CLAIM_IDLE_MS": 4_000,
           "RETRY_BASE_SECONDS": 0.2, "RETRY_CAP_SECONDS": 3.0, "MAX_ATTEMPTS": 10, "UPSTREAM_TIMEOUT_SECONDS": 30}
    return {"REDIS_URL": redis_url, "REVFLOW_KEY_PREFIX": prefix, **quiet,
            **{f"REVFLOW_QUOTE_TO_CASH_{k}": str(v) for k, v in q2c.items()},
            "REVFLOW_SALESFORCE_SEED": str(profile.seed % 100_000), "REVFLOW_SALESFORCE_API_LIMIT": "100000000"}


@contextmanager
def _environ(variables: dict[str, str]) -> Iterator[None]:
    """``variables`` set in this process's environment for the block (the launcher passes it on)."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _wiring(components: list[Component], redis_url: str) -> dict[str, str]:
    """What the launcher gives every process, for processes started later (workers, restarted services)."""
    names = {c.name for c in components}
    wiring = {"REDIS_URL": redis_url, **shared_wiring(components)}
    for name in WIRING:
        if name in names or name == "quote_to_cash_worker":
            wiring.update(component_wiring(name, components))
    return {k: v for k, v in wiring.items() if k not in os.environ or k == "REDIS_URL"}


def _drop_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        batch = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)
    finally:
        client.close()


@contextmanager
def chaos_deployment(profile: ChaosProfile, prefix: str, logs: Path, *, keep_keys: bool = False
                     ) -> Iterator[Deployment]:
    """Start the deployment for the block (``logs``: where workers and restarted services write)."""
    components = [_on_free_port(component(name)) for name in COMPONENTS]
    redis_url = _redis_url()
    with _environ(_settings(profile, prefix, redis_url)), running_topology(components, timeout=180) as running:
        group = ProcessGroup(_wiring(components, running.redis_url), logs)
        for item in components:
            argv = command(item)
            process = next(p for p in running.processes if tuple(p.args[3:]) == argv)  # type: ignore[index]
            group.add(item.name, argv, url=running.url(item.name), process=process)
        for n in range(profile.workers):
            group.add(f"worker-{n}", ("worker", "quote_to_cash"))
        issuer = running.url("issuer")
        sandboxes = {
            "salesforce": httpx.Client(base_url=running.url("salesforce"), timeout=60,
                                       headers={"Authorization": f"Bearer {SALESFORCE_SESSION}"}),
            "netsuite": httpx.Client(base_url=running.url("netsuite"), timeout=60),
            "stripe": httpx.Client(base_url=running.url("stripe"), timeout=60,
                                   headers={"Authorization": f"Bearer {STRIPE_KEY}"}),
        }
        deployment = Deployment(
            running, prefix, group, sandboxes,
            process=httpx.Client(base_url=running.url("quote_to_cash"), timeout=60,
                                 auth=DevToken(issuer, "quote_to_cash")),
            crm=httpx.Client(base_url=running.url("crm"), timeout=60, auth=DevToken(issuer, "crm")))
        try:
            group.start()
            yield deployment
        finally:
            deployment.close()
            group.stop()
            if not keep_keys:
                _drop_keys(running.redis_url, prefix)
