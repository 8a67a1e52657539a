"""Chaos tooling for the process tier's exactly-once test: the product's chaos machinery (``revflow.chaos``:
deals entered in bulk, seeded vendor faults, worker processes SIGKILLed and restarted, duplicated closed-won
announcements, a census of what each vendor holds) around this suite's own topology.

Here the sandboxes and system APIs run as their own processes on free ports and the process API in the test
process, all with the session's test issuer and the module's Redis key prefix; ``revflow chaos`` instead runs
the whole product topology through the launcher. Everything acts from the outside, the way the world does to a
deployment: the Salesforce sandbox's REST API, the sandboxes' admin routes, process signals, and the event
stream a second producer could write to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from revflow.chaos import (
    FAULTS,
    Deal,
    ProcessGroup,
    WorkerFleet,
    census_of,
    enter_deals,
    republish,
    republish_closed_won,
    win_deals,
)
from sandboxes.salesforce.ids import to18
from sandboxes.salesforce.settings import DEV_SESSION_ID
from services.process.quote_to_cash.app import create_app as create_process
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.runtime.testing import free_port, serve_in_thread
from tests.conftest import REDIS_URL, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.process.topology import Topology
from tests.system.billing.vendors import SandboxClock, StripeHarness
from tests.system.crm.vendors import SalesforceHarness
from tests.system.erp.vendors import NetSuiteHarness

__all__ = ["FAULTS", "Deal", "WorkerFleet", "census_of", "chaos_topology", "enter_deals", "republish",
           "republish_closed_won", "serve_process", "win_deals", "worker_env"]

ORG_ID = to18("00D5g000004SbxO")
"""The id of every Salesforce sandbox org."""


VENDOR_TIMEOUT_S = 5.0
"""Per-attempt timeout of the system APIs' vendor calls: below the faults' ``hang_seconds``, so a hung request
is a real client timeout (given up, retried with the same idempotency key)."""


@contextmanager
def serve_process(name: str, env: Mapping[str, str], logs: Path) -> Iterator[str]:
    """Serve the component ``name`` as its own process (``revflow serve``); yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    group = ProcessGroup(env, logs)
    slot = group.add(name, ("serve", name, "--port", str(port)), url=url)
    try:
        group.start(slot)
        group.wait_ready(slot, timeout=60)
        yield url
    finally:
        group.stop()


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
