"""The whole quote-to-cash chain over real HTTP for the process tier's tests.

Sandboxes (Salesforce, NetSuite, Stripe) -> system APIs (crm, erp, billing, revrec) -> the process API with
its workers, all real servers on loopback sharing one real Redis under the module's key prefix, with tokens
from the session's issuer. ``Topology`` also drives the CRM sandbox the way a salesperson would (enter a deal,
win it) and reads what each vendor holds afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx

from services.process.quote_to_cash.app import create_app as create_process
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.runtime.testing import serve_in_thread
from services.system.billing.app import create_app as create_billing
from services.system.billing.settings import BillingSettings
from services.system.crm.app import create_app as create_crm
from services.system.crm.settings import CrmSettings
from services.system.erp.app import create_app as create_erp
from services.system.erp.settings import ErpSettings
from services.system.revrec.app import create_app as create_revrec
from services.system.revrec.settings import RevrecSettings
from tests.conftest import REDIS_URL, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.system.billing.vendors import StripeHarness, stripe_harness
from tests.system.crm.journeys import account
from tests.system.crm.vendors import SalesforceHarness, salesforce_harness
from tests.system.erp.vendors import NetSuiteHarness, netsuite_harness

__all__ = ["Topology", "running_topology"]

TERMINAL = ("succeeded", "compensated")


class Topology:
    """Everything running, plus clients for the process API and each system API."""

    def __init__(self, issuer: Any, prefix: str, salesforce: SalesforceHarness, netsuite: NetSuiteHarness,
                 stripe: StripeHarness, urls: dict[str, str]) -> None:
        self.prefix, self.salesforce, self.netsuite, self.stripe, self.urls = prefix, salesforce, netsuite, stripe, urls

        def client(name: str) -> httpx.Client:
            token = issuer.token(f"{name}:read {name}:write", audience=name)
            return httpx.Client(base_url=urls[name], timeout=30, headers={"Authorization": f"Bearer {token}"})

        self.process, self.crm, self.erp = client("quote_to_cash"), client("crm"), client("erp")
        self.billing, self.revrec = client("billing"), client("revrec")

    def close(self) -> None:
        for c in (self.process, self.crm, self.erp, self.billing, self.revrec):
            c.close()

    # -- arranging, as people do in the vendors' UIs -------------------------------------------------------------

    def item(self, sku: str) -> None:
        """An item finance created in NetSuite (idempotent per SKU)."""
        if not any(r.get("itemId") == sku for r in self.netsuite.records("serviceSaleItem")):
            self.netsuite.item(sku)

    def win_deal(self, lines: list[dict[str, Any]], *, close_date: str = "2025-01-01",
                 key: str | None = None, name: str = "Acme Corp") -> str:
        """An account and a deal entered in Salesforce, then won; returns the opportunity id."""
        key = key or f"ACME-{uuid.uuid4().hex[:8].upper()}"
        write(self.crm, "PUT", f"/v1/accounts/{key}", account(name))
        deal = self.salesforce.create_deal(key, f"{name} {close_date}", lines, close_date)
        self.salesforce.win(deal)
        return deal

    def pull(self) -> dict[str, Any]:
        """The CRM's pull path (incremental query) announcing closed-won deals."""
        return write(self.crm, "POST", "/v1/sync/closed-won", None)

    # -- observing -----------------------------------------------------------------------------------------------

    def workflow(self, workflow_id: str) -> dict[str, Any]:
        response = self.process.get(f"/v1/workflows/{workflow_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, workflow_id: str, until: Callable[[dict[str, Any]], bool] | None = None,
                 timeout: float = 60.0) -> dict[str, Any]:
        """Poll a workflow until ``until`` holds (default: it finished or stopped for a person)."""
        until = until or (lambda w: w["state"] in (*TERMINAL, "parked", "dead_lettered"))
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = self.process.get(f"/v1/workflows/{workflow_id}")
            if response.status_code == 200:
                last = response.json()
                if until(last):
                    return last
            time.sleep(0.1)
        raise AssertionError(f"workflow {workflow_id} did not get there in {timeout}s; last seen: "
                             f"{last.get('state')} / {last.get('business_status')} at step "
                             f"{last.get('step_index')}: {last.get('exception') or last.get('history', [])[-3:]}")

    def workflow_id_of_invoice(self, invoice_id: str) -> str:
        """The id of the sync workflow of a billing invoice (whichever status started it)."""
        rows = self.process.get("/v1/workflows", params={"kind": "invoice_sync", "q": invoice_id}).json()["data"]
        assert rows, f"no invoice sync started for {invoice_id}"
        return str(rows[0]["id"])

    def stripe_objects(self, kind: str) -> list[dict[str, Any]]:
        return self.stripe.objects(kind)


def write(client: httpx.Client, method: str, path: str, body: Any) -> Any:
    response = client.request(method, path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
    return response.json() if response.content else None


@contextmanager
def running_topology(issuer: Any, prefix: str, **process_overrides: Any) -> Iterator[Topology]:
    """Start sandboxes, system APIs and the process API (with embedded workers) for the block."""
    with ExitStack() as stack:
        salesforce = stack.enter_context(salesforce_harness())
        netsuite = stack.enter_context(netsuite_harness())
        stripe = stack.enter_context(stripe_harness())
        common = {"issuer_url": issuer.url, "redis_url": REDIS_URL, "key_prefix": prefix}
        urls: dict[str, str] = {}
        apps = {
            "crm": create_crm(CrmSettings(**common, **salesforce.settings(), vendor_timeout_seconds=5.0)),
            "erp": create_erp(ErpSettings(**common, **netsuite.settings())),
            "billing": create_billing(BillingSettings(**common, **stripe.settings())),
            "revrec": create_revrec(RevrecSettings(**common)),
        }
        for name, app in apps.items():
            urls[name] = stack.enter_context(serve_in_thread(app)).url
        settings = QuoteToCashSettings(
            **common, crm_url=urls["crm"], erp_url=urls["erp"], billing_url=urls["billing"],
            revrec_url=urls["revrec"], client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET,
            workers=1, concurrency=8, lease_ms=3_000, claim_idle_ms=5_000, retry_base_seconds=0.05,
            retry_cap_seconds=1.0, unfinished_settle_seconds=2.0, **process_overrides)
        urls["quote_to_cash"] = stack.enter_context(serve_in_thread(create_process(settings))).url
        salesforce.push_to(f"{urls['crm']}/v1/webhooks/salesforce")
        topology = Topology(issuer, prefix, salesforce, netsuite, stripe, urls)
        stack.callback(topology.close)
        yield topology


def cancel_while_answers_are_lost(topology: Topology, subscription_id: str, step: str, start: Callable[[], str],
                                  made: Callable[[dict[str, Any]], bool], seed: int) -> dict[str, Any]:
    """Cancel a workflow whose ``step`` Stripe carries out but never answers; the compensated workflow.

    Stripe applies every update of the subscription and loses each answer while ``start()`` starts the workflow
    (returning its id) and it retries ``step``; ``made`` checks at Stripe itself (billing's circuit to Stripe may
    be open by then) that the write was made. The faults stay until compensation has begun, so no attempt can
    still succeed; then the step must have been found and undone.
    """
    topology.stripe.faults({"seed": seed, "rules": [{"route": f"^POST /v1/subscriptions/{subscription_id}$",
                                                     "error_after_rate": 1.0}]})
    try:
        workflow = start()
        topology.wait_for(workflow, lambda w: next(s for s in w["steps"] if s["name"] == step)["attempts"] >= 2)
        [held] = [s for s in topology.stripe_objects("subscription") if s["id"] == subscription_id]
        assert made(held), held
        cancel = topology.process.post(f"/v1/workflows/{workflow}/cancel",
                                       headers={"Idempotency-Key": uuid.uuid4().hex})
        assert cancel.status_code == 202, cancel.text
        topology.wait_for(workflow, lambda w: any(h["event"] == "compensating" for h in w["history"]))
    finally:
        topology.stripe.clear_faults()
    done = topology.wait_for(workflow, lambda w: w["state"] in ("compensated", "succeeded"), timeout=90)
    assert done["business_status"] == "cancelled", done.get("exception")
    events = [h["event"] for h in done["history"] if h["step"] == step]
    assert events[-2:] == ["step_found", "step_undone"], events
    return done
