"""Test harnesses of the billing vendors' sandboxes: start, reset, inspect, fault and drive each one.

The canonical suite only talks to the billing API; a harness is what a test uses to arrange vendor-side
conditions (a frozen clock, a draft invoice made in the vendor's UI, faults) and to count what exists at
the vendor afterwards. Each vendor's harness offers the same methods.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from services.runtime.testing import serve_in_thread

__all__ = [
    "CHARGEBEE_API_KEY",
    "STRIPE_API_KEY",
    "ChargebeeHarness",
    "SandboxClock",
    "StripeHarness",
    "chargebee_harness",
    "stripe_harness",
]

STRIPE_API_KEY = "sk_test_revflow_billing"


class SandboxClock:
    """A wall clock the tests can freeze (objects not on a test clock read it)."""

    def __init__(self) -> None:
        self.frozen: float | None = None

    def __call__(self) -> float:
        return time.time() if self.frozen is None else self.frozen


class StripeHarness:
    """The Stripe sandbox served over real HTTP, and its admin routes."""

    vendor = "stripe"

    ROUTES = {"api": "/v1/", "customer.create": "POST /v1/customers", "subscription.create": "POST /v1/subscriptions$",
              "subscription.cancel": "DELETE /v1/subscriptions/", "credit_note.create": "POST /v1/credit_notes$",
              "refund.create": "POST /v1/refunds$", "invoice.create": "POST /v1/invoices$"}
    """Fault targets (the kit matches ``"METHOD /path"`` by regular expression) of each operation at Stripe."""
    EVENT_TYPES = {"subscription.canceled": "customer.subscription.deleted", "invoice.finalized": "invoice.finalized"}
    """Stripe's event type of each canonical happening."""
    ALWAYS_INVOICE = {"total": 500, "lines": [-500, 1000]}
    """Upgrading 10 x 1 USD to 20 x 1 USD halfway through April, invoiced at once: Stripe's documented example
    ("Prorations", https://docs.stripe.com/billing/subscriptions/prorations) puts the -5 USD credit for unused
    time and the +10 USD for the remaining time on one invoice of 5 USD."""
    CREDIT_NOTES_PER_REFUND = 0
    """A Stripe refund is its own object (``POST /v1/refunds``); it makes no credit note."""
    USAGE_PRICE_MID_PERIOD = True
    """A metered price replaced mid-period: in flexible billing mode (revflow's) Stripe bills the usage before the
    change at the old price ("Update prices mid-cycle",
    https://docs.stripe.com/billing/subscriptions/usage-based/manage-billing-setup)."""
    ONE_TIME_BESIDE_RECURRING = True
    """A Stripe product may have one-time and recurring prices at once."""
    EXTRA_REPUBLISHED = ["invoice.created.v1"]
    """Stripe makes a subscription's first invoice as a draft (``invoice.created``) before finalizing it."""
    other_vendor = "chargebee"

    def customer_keys(self) -> dict[str, str]:
        """revflow's business key of every customer at Stripe, by Stripe customer id."""
        return {c["id"]: c["metadata"]["revflow_key"] for c in self.objects("customer")}

    def subscription_customers(self) -> dict[str, str]:
        """The Stripe customer id of every subscription, by subscription id."""
        return {s["id"]: s["customer"] for s in self.objects("subscription")}

    def subscription_statuses(self) -> list[str]:
        return [s["status"] for s in self.objects("subscription")]

    def count(self, kind: str) -> int:
        """How many objects of a kind exist (``customer``, ``product``, ``price``, ``subscription``,
        ``credit_note``, ``refund``, ``usage``, ``proration_line``)."""
        if kind == "usage":
            return len(self.objects("meter_event"))
        if kind == "proration_line":
            return len([i for i in self.objects("invoiceitem") if i["proration"]])
        return len(self.objects(kind))

    def active_price_amounts(self) -> list[int]:
        return [p["unit_amount"] for p in self.objects("price") if p["active"]]

    def vendor_events(self, kind: str) -> list[dict[str, Any]]:
        """The events Stripe recorded for a canonical happening (``subscription.canceled``...)."""
        return self.events(self.EVENT_TYPES[kind])

    def add_test_card(self, customer_billing_id: str) -> None:
        """Give the customer Stripe's test Visa as the default payment method for its invoices."""
        self.http.post(f"/v1/customers/{customer_billing_id}",
                       data={"invoice_settings[default_payment_method]": "pm_card_visa"}).raise_for_status()

    def billed_now(self, invoice_id: str) -> int:
        """What the customer is charged on an invoice after credits (Stripe's ``amount_due``)."""
        found = next(i for i in self.objects("invoice") if i["id"] == invoice_id)
        return int(found["amount_due"])

    def deliveries(self) -> list[dict[str, Any]]:
        return list(self.http.get("/__sandbox/webhooks").raise_for_status().json()["deliveries"])

    @staticmethod
    def sample_event() -> bytes:
        """A Stripe event revflow does not republish."""
        return json.dumps({"id": "evt_test_1", "object": "event", "type": "product.created",
                           "data": {"object": {"id": "prod_1", "object": "product"}}}).encode()

    @staticmethod
    def _sign(secret: str, body: bytes, t: int) -> str:
        return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"

    def authentic_headers(self, secret: str, body: bytes) -> dict[str, str]:
        """A genuine delivery's headers: during a secret rotation several ``v1`` signatures, one of them valid."""
        now = int(time.time())
        several = f"{self._sign('whsec_other', body, now)},v1=deadbeef,{self._sign(secret, body, now).split(',')[1]}"
        return {"Stripe-Signature": several, "Content-Type": "application/json", "Authorization": ""}

    def forged_headers(self, secret: str, body: bytes) -> list[dict[str, str]]:
        """Deliveries that must be refused: a tampered body, a 301-second-old timestamp, the wrong secret, no v1."""
        now = int(time.time())
        return [{"Stripe-Signature": sig, "Content-Type": "application/json", "Authorization": ""}
                for sig in (self._sign(secret, body + b" ", now), self._sign(secret, body, now - 301),
                            self._sign("whsec_wrong", body, now), f"t={now}")]

    def __init__(self, url: str, clock: SandboxClock) -> None:
        self.url = url
        self.clock = clock
        self.test_clock: str | None = None
        self.http = httpx.Client(base_url=url, timeout=15, headers={"Authorization": f"Bearer {STRIPE_API_KEY}"})

    def settings(self) -> dict[str, Any]:
        """Billing settings fields that point the API at this sandbox."""
        return {"vendor": "stripe", "vendor_url": self.url, "stripe_api_key": STRIPE_API_KEY}

    def reset(self) -> None:
        self.clock.frozen = None
        self.test_clock = None
        self.http.post("/__sandbox/reset").raise_for_status()

    def clocked_customer(self, key: str, at: int) -> None:
        """Put the customer revflow will know by ``key`` on a clock frozen at ``at`` that ``advance_clock`` moves.

        Stripe bills renewals in test mode by advancing a *test clock*, and a customer joins one only when it is
        created: so the customer is created here on a new test clock, carrying revflow's business key in
        metadata as revflow's own upsert writes it; ``PUT /v1/customers/{key}`` then finds it and fills it in.
        """
        clock = self.http.post("/v1/test_helpers/test_clocks", data={"frozen_time": at}).raise_for_status().json()
        self.http.post("/v1/customers", data={"test_clock": clock["id"], "metadata[revflow_key]": key}
                       ).raise_for_status()
        self.test_clock = str(clock["id"])

    def advance_clock(self, to: int) -> None:
        """Move the clock of ``clocked_customer`` to ``to``, billing every renewal due on the way."""
        assert self.test_clock is not None, "clocked_customer first"
        self.http.post(f"/v1/test_helpers/test_clocks/{self.test_clock}/advance", data={"frozen_time": to}
                       ).raise_for_status()

    def freeze(self, unix: int) -> None:
        self.clock.frozen = float(unix)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every stored object of a Stripe type (``customer``, ``subscription``, ``credit_note``...)."""
        names = {"meter_event": "billing.meter_event"}
        state = self.http.get("/__sandbox/state").raise_for_status().json()
        return list(state["objects"][names.get(kind, kind)].values())

    def faults(self, config: dict[str, Any]) -> None:
        self.http.post("/__sandbox/faults", json=config).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/__sandbox/faults").raise_for_status()

    def register_webhook(self, url: str) -> str:
        """Subscribe ``url`` to every event; returns the endpoint's signing secret."""
        response = self.http.post("/v1/webhook_endpoints", data={"url": url, "enabled_events[]": "*"})
        return str(response.raise_for_status().json()["secret"])

    def flush_webhooks(self) -> None:
        self.http.post("/__sandbox/webhooks/flush").raise_for_status()

    def redeliver(self, event_id: str) -> None:
        self.http.post(f"/__sandbox/webhooks/{event_id}/redeliver").raise_for_status()

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.objects("event") if e["type"] == kind]

    def pay(self, invoice_id: str) -> None:
        """The customer pays an open invoice outside Stripe (recorded as paid out of band)."""
        self.http.post(f"/v1/invoices/{invoice_id}/pay", data={"paid_out_of_band": "true"}).raise_for_status()

    def draft_invoice(self, customer_billing_id: str, amount: int, currency: str) -> str:
        """A draft invoice with one line, as a person would make it in the vendor's UI."""
        self.http.post("/v1/invoiceitems", data={"customer": customer_billing_id, "amount": amount,
                                                 "currency": currency.lower(), "description": "Setup fee"},
                       ).raise_for_status()
        inv = self.http.post("/v1/invoices", data={"customer": customer_billing_id, "collection_method":
                                                   "send_invoice", "days_until_due": 30, "currency": currency.lower(),
                                                   "pending_invoice_items_behavior": "include"})
        return str(inv.raise_for_status().json()["id"])


@contextmanager
def stripe_harness() -> Iterator[StripeHarness]:
    """Serve a Stripe sandbox with a freezable clock for the block."""
    from sandboxes.stripe import create_app

    clock = SandboxClock()
    app = create_app(seed=11, api_keys=[STRIPE_API_KEY], clock=clock)
    with serve_in_thread(app) as server:
        harness = StripeHarness(server.url, clock)
        try:
            yield harness
        finally:
            harness.http.close()


CHARGEBEE_API_KEY = "test_revflow_billing"


class ChargebeeHarness:
    """The Chargebee sandbox served over real HTTP, and its admin routes (``/__sandbox/...``)."""

    vendor = "chargebee"

    EXPECTED_FAILURES: dict[str, str] = {}
    """Test cases (``file::Class::test``) expected to fail against Chargebee, each with why; run as strict xfail,
    so a case that starts passing fails the suite until it is taken off this list."""

    ROUTES = {"api": "/api/v2/", "customer.create": "POST /api/v2/customers$",
              "subscription.create": "POST /api/v2/customers/[^/]+/subscription_for_items$",
              "subscription.cancel": "POST /api/v2/subscriptions/[^/]+/cancel_for_items$",
              "credit_note.create": "POST /api/v2/credit_notes$",
              "refund.create": "POST /api/v2/credit_notes/[^/]+/record_refund$",
              "invoice.create": "POST /api/v2/invoices/create_for_charge_items_and_charges$"}
    """Fault targets (the kit matches ``"METHOD /path"`` by regular expression) of each operation at Chargebee."""
    EVENT_TYPES = {"subscription.canceled": "subscription_cancelled", "invoice.finalized": "invoice_generated"}
    """Chargebee's event type of each canonical happening."""
    ALWAYS_INVOICE = {"total": 1000, "lines": [1000]}
    """Upgrading 10 x 1 USD to 20 x 1 USD halfway through April, invoiced at once: Chargebee's documented method
    ("Mid-Term Subscription Change Scenarios", scenario 1,
    https://www.chargebee.com/docs/billing/2.0/usage-based-billing/mid-term-subscription-changes-ubb) invoices the
    +10 USD prorated charge for the remaining period and creates a prorated *adjustment credit note* of -5 USD for
    the unused portion, against that invoice: the invoice totals 10 USD and 5 USD is due (see ``billed_now``)."""
    USAGE_PRICE_MID_PERIOD = False
    """Chargebee prices a term's usage at the item price of the term's invoice (support article 260206, "Add usage
    with new price of addon"): a usage price changed mid-term would reprice earlier usage, so billing refuses it."""
    CREDIT_NOTES_PER_REFUND = 1
    """Chargebee refunds through a refundable credit note (``POST /credit_notes/{id}/record_refund``)."""
    ONE_TIME_BESIDE_RECURRING = False
    """A Chargebee item is a charge (one-time prices) or an addon (recurring prices), never both."""
    EXTRA_REPUBLISHED = ["credit_note.created.v1"]
    """The refundable credit note a Chargebee refund is recorded against is itself a ``credit_note_created``."""
    other_vendor = "stripe"
    TEST_CARD = "4111111111111111"
    """The card number Chargebee's test gateway charges successfully."""

    def __init__(self, url: str, clock: SandboxClock) -> None:
        self.url = url
        self.clock = clock
        self.http = httpx.Client(base_url=url, timeout=15, auth=(CHARGEBEE_API_KEY, ""))

    def settings(self) -> dict[str, Any]:
        """Billing settings fields that point the API at this sandbox."""
        return {"vendor": "chargebee", "vendor_url": self.url, "chargebee_site": "revflow-test",
                "chargebee_api_key": CHARGEBEE_API_KEY}

    def reset(self) -> None:
        self.clock.frozen = None
        self.http.post("/__sandbox/reset").raise_for_status()

    def freeze(self, unix: int) -> None:
        self.clock.frozen = float(unix)

    def clocked_customer(self, key: str, at: int) -> None:
        """Chargebee has one clock per site (its time machine): freeze it at ``at``; ``advance_clock`` moves it."""
        self.freeze(at)

    def advance_clock(self, to: int) -> None:
        """Travel the site's time machine to ``to``, billing every renewal due on the way."""
        self.http.post("/api/v2/time_machines/delorean/travel_forward", data={"destination_time": to}
                       ).raise_for_status()

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every stored object of a Chargebee type (``customer``, ``subscription``, ``credit_note``...)."""
        state = self.http.get("/__sandbox/state").raise_for_status().json()
        return list(state["objects"][kind].values())

    def faults(self, config: dict[str, Any]) -> None:
        self.http.post("/__sandbox/faults", json=config).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/__sandbox/faults").raise_for_status()

    def register_webhook(self, url: str) -> str:
        """Point the site's webhook at ``url`` behind Basic credentials; returns ``username:password``."""
        self.http.post("/__sandbox/webhook_config", json={"url": url, "username": "revflow", "password": "hook-pw"}
                       ).raise_for_status()
        return "revflow:hook-pw"

    def flush_webhooks(self) -> None:
        self.http.post("/__sandbox/webhooks/flush").raise_for_status()

    def redeliver(self, event_id: str) -> None:
        self.http.post(f"/__sandbox/webhooks/{event_id}/redeliver").raise_for_status()

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.objects("event") if e["event_type"] == kind]

    def customer_keys(self) -> dict[str, str]:
        """revflow's business key of every customer at Chargebee (kept in ``meta_data``), by customer id."""
        return {c["id"]: c["meta_data"]["revflow_key"] for c in self.objects("customer")}

    def subscription_customers(self) -> dict[str, str]:
        """The Chargebee customer id of every subscription, by subscription id."""
        return {s["id"]: s["customer_id"] for s in self.objects("subscription")}

    def subscription_statuses(self) -> list[str]:
        """Statuses in Stripe's spelling where the words differ (Chargebee writes ``cancelled``)."""
        return [{"cancelled": "canceled"}.get(s["status"], s["status"]) for s in self.objects("subscription")]

    def count(self, kind: str) -> int:
        """How many objects of a kind exist (``customer``, ``product``, ``price``, ``subscription``,
        ``credit_note``, ``refund``, ``usage``, ``proration_line``)."""
        if kind == "refund":
            return len([t for t in self.objects("transaction") if t["type"] == "refund"])
        if kind == "proration_line":
            return len(self.objects("unbilled_charge"))
        return len(self.objects({"product": "item", "price": "item_price"}.get(kind, kind)))

    def active_price_amounts(self) -> list[int]:
        return [p["price"] for p in self.objects("item_price") if p["status"] == "active"]

    def vendor_events(self, kind: str) -> list[dict[str, Any]]:
        """The events Chargebee recorded for a canonical happening (``subscription.canceled``...)."""
        return self.events(self.EVENT_TYPES[kind])

    def add_test_card(self, customer_billing_id: str) -> None:
        """Give the customer a card on the site's test gateway, its primary payment source."""
        self.http.post("/api/v2/payment_sources/create_card", data={
            "customer_id": customer_billing_id, "card[number]": self.TEST_CARD, "card[expiry_month]": "12",
            "card[expiry_year]": "2099", "card[cvv]": "100"}).raise_for_status()

    def billed_now(self, invoice_id: str) -> int:
        """What the customer is charged on an invoice after credits (``total`` less ``amount_adjusted``)."""
        found = self.http.get(f"/api/v2/invoices/{invoice_id}").raise_for_status().json()["invoice"]
        return int(found["total"] - found["amount_adjusted"])

    def deliveries(self) -> list[dict[str, Any]]:
        return list(self.http.get("/__sandbox/webhooks").raise_for_status().json()["deliveries"])

    @staticmethod
    def sample_event() -> bytes:
        """A Chargebee event revflow does not republish."""
        return json.dumps({"id": "ev_test_1", "occurred_at": int(time.time()), "source": "admin_console",
                           "object": "event", "api_version": "v2", "event_type": "item_family_created",
                           "content": {"item_family": {"id": "fam_1", "name": "Family", "object": "item_family"}},
                           "webhook_status": "scheduled"}).encode()

    @staticmethod
    def _basic(credentials: str) -> str:
        return "Basic " + base64.b64encode(credentials.encode()).decode()

    def authentic_headers(self, secret: str, body: bytes) -> dict[str, str]:
        """A genuine delivery's headers: the Basic credentials set beside the webhook URL."""
        return {"Authorization": self._basic(secret), "Content-Type": "application/json"}

    def forged_headers(self, secret: str, body: bytes) -> list[dict[str, str]]:
        """Deliveries that must be refused: the wrong password, another user, no credentials, not Basic.

        Chargebee signs nothing and puts no time in the credentials, so a tampered body or a stale delivery
        cannot be told from a genuine one by the receiver: only the credentials are checked.
        """
        user = secret.split(":", 1)[0]
        return [{"Authorization": value, "Content-Type": "application/json"}
                for value in (self._basic(f"{user}:wrong"), self._basic(f"intruder:{secret.split(':', 1)[1]}"), "",
                              f"Bearer {secret}")]

    def pay(self, invoice_id: str) -> None:
        """The customer pays an invoice's amount due by bank transfer, recorded in Chargebee."""
        self.http.post(f"/api/v2/invoices/{invoice_id}/record_payment",
                       data={"transaction[payment_method]": "bank_transfer"}).raise_for_status()

    def draft_invoice(self, customer_billing_id: str, amount: int, currency: str) -> str:
        """A pending invoice with a one-off setup fee, as a person would make it in the vendor's UI.

        Chargebee keeps an invoice ``pending`` (open to changes, not yet collected) for a subscription created
        with ``create_pending_invoices`` and ``first_invoice_pending``; here a zero-priced plan carries a setup
        fee charge item, so the pending invoice bills just the fee.
        """
        code = currency.upper()
        family = "harness-ui"
        self._ensure("/api/v2/item_families", {"id": family, "name": "Made in the UI"})
        self._ensure("/api/v2/items", {"id": f"{family}-plan", "name": "UI plan", "type": "plan",
                                       "item_family_id": family})
        self._ensure("/api/v2/items", {"id": f"{family}-setup", "name": "Setup fee", "type": "charge",
                                       "item_family_id": family})
        plan, fee = f"{family}-plan-{code}", f"{family}-setup-{code}-{amount}"
        self._ensure("/api/v2/item_prices", {"id": plan, "item_id": f"{family}-plan", "name": plan, "price": 0,
                                             "currency_code": code, "period_unit": "month", "period": 1})
        self._ensure("/api/v2/item_prices", {"id": fee, "item_id": f"{family}-setup", "name": "Setup fee",
                                             "price": amount, "currency_code": code})
        created = self.http.post(f"/api/v2/customers/{customer_billing_id}/subscription_for_items", data={
            "subscription_items[item_price_id][0]": plan, "subscription_items[item_price_id][1]": fee,
            "create_pending_invoices": "true", "first_invoice_pending": "true"}).raise_for_status().json()
        return str(created["invoice"]["id"])

    def _ensure(self, path: str, data: dict[str, Any]) -> None:
        response = self.http.post(path, data=data)
        if response.status_code != 400 or response.json().get("api_error_code") != "duplicate_entry":
            response.raise_for_status()


@contextmanager
def chargebee_harness() -> Iterator[ChargebeeHarness]:
    """Serve a Chargebee sandbox with a freezable clock for the block."""
    from sandboxes.chargebee import create_app

    clock = SandboxClock()
    app = create_app(seed=11, api_keys=[CHARGEBEE_API_KEY], clock=clock, webhook_retry_delay=0.05)
    with serve_in_thread(app) as server:
        harness = ChargebeeHarness(server.url, clock)
        try:
            yield harness
        finally:
            harness.http.close()
