"""Start revflow's components as processes on their fixed ports, and stop them again.

Used by ``revflow up`` and ``revflow demo``. Each component runs as its own process (``revflow serve``), as
it would in production. Redis comes from ``REDIS_URL``; when nothing answers there, an embedded
Redis-compatible server (fakeredis) is started on loopback and the launcher says so.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from revflow.topology import Component

__all__ = ["EMBEDDED_REDIS_PORT", "LOG_DIR", "Running", "redis_answers", "running_topology"]

EMBEDDED_REDIS_PORT = 6390
LOG_DIR = Path(".revflow") / "logs"
"""Where each started component's output goes (one file per component)."""


@dataclass
class Running:
    """What the launcher started (or found running)."""

    components: list[Component]
    redis_url: str
    embedded_redis: bool
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def url(self, name: str) -> str:
        """Base URL of a component."""
        return next(f"http://127.0.0.1:{c.port}" for c in self.components if c.name == name)


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers PING at ``url``."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _start_embedded_redis() -> str:
    from fakeredis import TcpFakeServer

    server = TcpFakeServer(("127.0.0.1", EMBEDDED_REDIS_PORT), server_type="redis")
    threading.Thread(target=server.serve_forever, name="embedded-redis", daemon=True).start()
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"


def _environment(redis_url: str, components: Sequence[Component]) -> dict[str, str]:
    """The environment every started process gets: shared Redis and issuer, plus each service's dev wiring."""
    port = {c.name: c.port for c in components}
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
    if "issuer" in port:
        env.setdefault("REVFLOW_ISSUER_URL", f"http://127.0.0.1:{port['issuer']}")
    wiring = {
        # The example relays to itself, so the demo shows a service-to-service call with its own token.
        "example": {"REVFLOW_EXAMPLE_PEER_URL": "http://127.0.0.1:{example}",
                    "REVFLOW_EXAMPLE_CLIENT_ID": "revflow-example",
                    "REVFLOW_EXAMPLE_CLIENT_SECRET": "revflow-example-dev-secret"},
        # The CRM talks to the Salesforce sandbox with its public dev session id.
        "crm": {"REVFLOW_CRM_VENDOR": "salesforce", "REVFLOW_CRM_VENDOR_URL": "http://127.0.0.1:{salesforce}",
                "REVFLOW_CRM_SALESFORCE_ACCESS_TOKEN": "00D5g000004SbxO!sandbox.dev.session"},
        # The ERP talks to the NetSuite sandbox with its documented dev token-based credentials.
        "erp": {"REVFLOW_ERP_VENDOR": "netsuite", "REVFLOW_ERP_VENDOR_URL": "http://127.0.0.1:{netsuite}",
                "REVFLOW_ERP_NETSUITE_ACCOUNT_ID": "1234567_SB1",
                "REVFLOW_ERP_NETSUITE_CONSUMER_KEY": "revflow-dev-consumer-key",
                "REVFLOW_ERP_NETSUITE_CONSUMER_SECRET": "revflow-dev-consumer-secret",
                "REVFLOW_ERP_NETSUITE_TOKEN_ID": "revflow-dev-token-id",
                "REVFLOW_ERP_NETSUITE_TOKEN_SECRET": "revflow-dev-token-secret"},
        # Billing talks to the Stripe sandbox, which accepts any well-formed test key.
        "billing": {"REVFLOW_BILLING_VENDOR": "stripe", "REVFLOW_BILLING_VENDOR_URL": "http://127.0.0.1:{stripe}",
                    "REVFLOW_BILLING_STRIPE_API_KEY": "sk_test_revflow_dev"},
    }
    for name, variables in wiring.items():
        if name not in port:
            continue
        for variable, value in variables.items():
            try:
                env.setdefault(variable, value.format(**port))
            except KeyError:  # the component it points at is not part of this topology
                continue
    return env


def _wait_ready(component: Component, proc: subprocess.Popen[bytes], deadline: float) -> None:
    url = f"http://127.0.0.1:{component.port}/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{component.name} exited with code {proc.returncode} while starting")
        try:
            if httpx.get(url, timeout=0.5).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{component.name} did not answer on port {component.port} in time")


@contextmanager
def running_topology(components: Sequence[Component], *, timeout: float = 30.0) -> Iterator[Running]:
    """Start every component not already answering on its port; stop what was started on exit."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    embedded = False
    if not redis_answers(redis_url):
        redis_url, embedded = _start_embedded_redis(), True
    env = _environment(redis_url, components)
    running = Running(list(components), redis_url, embedded)
    try:
        deadline = time.monotonic() + timeout
        for component in components:
            if _port_open(component.port):
                continue
            log = LOG_DIR / f"{component.name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as sink:
                proc = subprocess.Popen([sys.executable, "-m", "revflow.cli", "serve", component.name],
                                        env=env, stdout=sink, stderr=sink)
            running.processes.append(proc)
            _wait_ready(component, proc, deadline)
        yield running
    finally:
        for proc in running.processes:
            proc.terminate()
        for proc in running.processes:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
