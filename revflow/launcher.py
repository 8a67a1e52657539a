"""Start revflow's components as processes on their fixed ports, and stop them again.

Used by ``revflow up`` and ``revflow demo``. Each component runs as its own process (``revflow serve``), as
it would in production. Redis comes from ``REDIS_URL``; when nothing answers there, an embedded
Redis-compatible server (fakeredis) is started on loopback and the launcher says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from revflow.topology import Component

__all__ = ["EMBEDDED_REDIS_PORT", "LOG_DIR", "WIRING", "Address", "Running", "command", "component_wiring", "loopback",
           "redis_answers", "running_topology", "shared_wiring"]

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
        return next(f"http://127.0.0.1:{c.port}" for c in self.components if c.name == name and c.port)


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


_QUOTE_TO_CASH = {"REVFLOW_QUOTE_TO_CASH_CRM_URL": "http://{crm}", "REVFLOW_QUOTE_TO_CASH_ERP_URL": "http://{erp}",
                  "REVFLOW_QUOTE_TO_CASH_BILLING_URL": "http://{billing}",
                  "REVFLOW_QUOTE_TO_CASH_REVREC_URL": "http://{revrec}",
                  "REVFLOW_QUOTE_TO_CASH_CLIENT_ID": "revflow-quote_to_cash",
                  "REVFLOW_QUOTE_TO_CASH_CLIENT_SECRET": "revflow-quote_to_cash-dev-secret"}

# The ops console's documented dev users (public passwords in services/experience/ops_console/passwords.py).
_OPS_CONSOLE_USERS = json.dumps([
    {"username": "finance", "name": "Fran Okafor", "roles": ["finance_ops"],
     "password_hash": "scrypt$16384$8$1$CmXejf6Imd_dfcq4YUeJtg$cIkVjBpGAiAK1PH63jEmHq_UaKd_MmPlqYPOdrPwKuk"},
    {"username": "sales", "name": "Sam Lindqvist", "roles": ["sales_ops"],
     "password_hash": "scrypt$16384$8$1$3PyOmgD_7-Ux2lfS3mBTXg$uFnOiMFFVO6pqSMk4rZrzHVRZxuSMmpF-KmnXXYu4nE"},
    {"username": "billing", "name": "Bea Moreau", "roles": ["billing_ops"],
     "password_hash": "scrypt$16384$8$1$YMG0bgRHGERfmDtY8GxHTg$4yRAI7pKKb6zpCZFVgiEGCnJjI1XnILsUAE6D01gwK0"},
    {"username": "viewer", "name": "Vic Tanaka", "roles": ["viewer"],
     "password_hash": "scrypt$16384$8$1$HLi-s8jKBr2jRv1asa3kVQ$5zPwH14KONb-FZKrSQLhJN_bigAXhcKsw73wG-Al8Wc"},
]).replace("{", "{{").replace("}", "}}")  # WIRING values are str.format templates

WIRING: dict[str, dict[str, str]] = {
    # The example relays to itself, so the demo shows a service-to-service call with its own token.
    "example": {"REVFLOW_EXAMPLE_PEER_URL": "http://{example}",
                "REVFLOW_EXAMPLE_CLIENT_ID": "revflow-example",
                "REVFLOW_EXAMPLE_CLIENT_SECRET": "revflow-example-dev-secret"},
    # The CRM talks to the Salesforce sandbox with its public dev session id.
    "crm": {"REVFLOW_CRM_VENDOR": "salesforce", "REVFLOW_CRM_VENDOR_URL": "http://{salesforce}",
            "REVFLOW_CRM_SALESFORCE_ACCESS_TOKEN": "00D5g000004SbxO!sandbox.dev.session",
            # Outbound messages are accepted only from this org (the sandbox's dev org).
            "REVFLOW_CRM_SALESFORCE_ORGANIZATION_ID": "00D5g000004SbxOEAS"},
    # The ERP talks to the NetSuite sandbox with its documented dev token-based credentials.
    "erp": {"REVFLOW_ERP_VENDOR": "netsuite", "REVFLOW_ERP_VENDOR_URL": "http://{netsuite}",
            "REVFLOW_ERP_NETSUITE_ACCOUNT_ID": "1234567_SB1",
            "REVFLOW_ERP_NETSUITE_CONSUMER_KEY": "revflow-dev-consumer-key",
            "REVFLOW_ERP_NETSUITE_CONSUMER_SECRET": "revflow-dev-consumer-secret",
            "REVFLOW_ERP_NETSUITE_TOKEN_ID": "revflow-dev-token-id",
            "REVFLOW_ERP_NETSUITE_TOKEN_SECRET": "revflow-dev-token-secret",
            # The sandbox account's currency records (NetSuite's four standard ones, then JPY and AUD).
            "REVFLOW_ERP_NETSUITE_CURRENCIES":
                '{{"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4", "JPY": "5", "AUD": "6"}}'},
    # Billing talks to the Stripe sandbox, which accepts any well-formed test key.
    "billing": {"REVFLOW_BILLING_VENDOR": "stripe", "REVFLOW_BILLING_VENDOR_URL": "http://{stripe}",
                "REVFLOW_BILLING_STRIPE_API_KEY": "sk_test_revflow_dev"},
    # The process API and its workers call the four system APIs with their own dev client.
    "quote_to_cash": _QUOTE_TO_CASH,
    "quote_to_cash_worker": _QUOTE_TO_CASH,
    # The partner API calls the process API with its own dev client; partners get tenant-bound tokens.
    "partner": {"REVFLOW_PARTNER_PROCESS_URL": "http://{quote_to_cash}",
                "REVFLOW_PARTNER_CLIENT_ID": "revflow-partner",
                "REVFLOW_PARTNER_CLIENT_SECRET": "revflow-partner-dev-secret"},
    # The ops console calls the process API with its own dev client; people sign in as the dev users above.
    "ops_console": {"REVFLOW_OPS_CONSOLE_PROCESS_URL": "http://{quote_to_cash}",
                    "REVFLOW_OPS_CONSOLE_CLIENT_ID": "revflow-ops_console",
                    "REVFLOW_OPS_CONSOLE_CLIENT_SECRET": "revflow-ops_console-dev-secret",
                    "REVFLOW_OPS_CONSOLE_USERS": _OPS_CONSOLE_USERS},
    # The CRM panel reads the process API with its own dev client; HubSpot signs card requests with the dev app
    # secret; the dev Salesforce org's Lightning and Visualforce origins may call it from the browser.
    "crm_panel": {"REVFLOW_CRM_PANEL_PROCESS_URL": "http://{quote_to_cash}",
                  "REVFLOW_CRM_PANEL_CLIENT_ID": "revflow-crm_panel",
                  "REVFLOW_CRM_PANEL_CLIENT_SECRET": "revflow-crm_panel-dev-secret",
                  "REVFLOW_CRM_PANEL_HUBSPOT_APP_SECRET": "revflow-hubspot-app-dev-secret",
                  "REVFLOW_CRM_PANEL_CORS_ORIGINS": '["https://revflow-dev.lightning.force.com", '
                                                    '"https://revflow-dev--c.vf.force.com"]'},
}
"""Each service's dev wiring; ``{name}`` stands for the ``host:port`` where component ``name`` answers, so the
same wiring serves processes on loopback (``revflow up``) and containers on a compose network."""

Address = Callable[[Component], str]
"""Where a component answers, as ``host:port``."""


def loopback(component: Component) -> str:
    """The launcher's address of a component: its fixed port on 127.0.0.1."""
    return f"127.0.0.1:{component.port}"


def command(component: Component) -> tuple[str, ...]:
    """The ``revflow`` arguments that run a component (``serve NAME`` unless the topology gives another)."""
    return tuple(getattr(component, "command", None) or ("serve", component.name))


def shared_wiring(components: Sequence[Component], address: Address = loopback) -> dict[str, str]:
    """Variables every service shares (the issuer's URL), when the issuer is part of ``components``."""
    issuer = next((c for c in components if c.name == "issuer"), None)
    return {"REVFLOW_ISSUER_URL": f"http://{address(issuer)}"} if issuer else {}


def component_wiring(name: str, components: Sequence[Component], address: Address = loopback) -> dict[str, str]:
    """One component's own dev wiring, leaving out variables that point at components not in ``components``."""
    where = {c.name: address(c) for c in components}
    wiring = {}
    for variable, value in WIRING.get(name, {}).items():
        try:
            wiring[variable] = value.format(**where)
        except KeyError:  # the component it points at is not part of this topology
            continue
    return wiring


def _environment(redis_url: str, components: Sequence[Component], address: Address = loopback) -> dict[str, str]:
    """The environment every started process gets: shared Redis and issuer, plus each service's dev wiring."""
    names = {c.name for c in components}
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
    for variable, value in shared_wiring(components, address).items():
        env.setdefault(variable, value)
    for name in WIRING:
        if name not in names:
            continue
        for variable, value in component_wiring(name, components, address).items():
            env.setdefault(variable, value)
    return env


def _wait_ready(component: Component, proc: subprocess.Popen[bytes], deadline: float) -> None:
    if not component.port:  # a worker serves no HTTP: ready once it has run for a moment without exiting
        time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"{component.name} exited with code {proc.returncode} while starting")
        return
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
def running_topology(components: Sequence[Component], *, timeout: float = 90.0) -> Iterator[Running]:
    """Start every component not already answering on its port; stop what was started on exit.

    All processes start at once (each imports its app, which takes a while); then each is waited for in
    topology order until ``timeout`` has passed in all.
    """
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    embedded = False
    if not redis_answers(redis_url):
        redis_url, embedded = _start_embedded_redis(), True
    env = _environment(redis_url, components)
    running = Running(list(components), redis_url, embedded)
    try:
        deadline = time.monotonic() + timeout
        started = []
        for component in components:
            if component.port and _port_open(component.port):
                continue
            log = LOG_DIR / f"{component.name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as sink:
                # Its own process group: the server's worker processes are stopped with it, even by SIGKILL.
                proc = subprocess.Popen([sys.executable, "-m", "revflow.cli", *command(component)],
                                        env=env, stdout=sink, stderr=sink, start_new_session=True)
            running.processes.append(proc)
            started.append((component, proc))
        for component, proc in started:
            _wait_ready(component, proc, deadline)
        yield running
    finally:
        for proc in running.processes:
            _signal_group(proc, signal.SIGTERM)
        for proc in running.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            _signal_group(proc, signal.SIGKILL)  # whatever of the group is left (server workers)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
