"""Test harnesses of the CRM vendors' sandboxes: start, reset, inspect, fault and drive each one.

The canonical suite only talks to the CRM API; a harness is what a test uses to arrange CRM-side conditions
(a deal a salesperson enters and wins, push notifications on or off, faults) and to count what exists at
the vendor afterwards. Each vendor's harness offers the same methods; deals are described canonically
(``journeys.deal_lines``) and entered the way each CRM's UI would store them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx

from services.runtime.testing import serve_in_thread

__all__ = ["HUBSPOT_SECRET", "HubSpotHarness", "SalesforceHarness", "hubspot_harness", "salesforce_harness"]

HUBSPOT_SECRET = "hubspot-crm-test-secret"


def _units(minor: int) -> float:
    return float(Decimal(minor) / 100)


class SalesforceHarness:
    """The Salesforce sandbox org over plain HTTP (the connector uses httpx), and its admin routes."""

    vendor = "salesforce"
    finance_fields: tuple[str, ...] = ()  # the sandbox org has no Revflow_* finance fields on Opportunity
    base = "/services/data/v62.0"

    def __init__(self, url: str, session_id: str, org_id: str) -> None:
        self.url, self.org_id = url, org_id
        self.http = httpx.Client(base_url=url, timeout=15, headers={"Authorization": f"Bearer {session_id}"})
        self.session_id = session_id

    def settings(self) -> dict[str, Any]:
        return {"vendor": "salesforce", "vendor_url": self.url, "salesforce_access_token": self.session_id,
                "salesforce_organization_id": self.org_id}

    def reset(self) -> None:
        self.http.post("/__sandbox/reset").raise_for_status()

    def faults(self, config: dict[str, Any]) -> None:
        self.http.post("/__sandbox/faults", json=config).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/__sandbox/faults").raise_for_status()

    def accounts(self) -> list[dict[str, Any]]:
        return list(self.http.get("/__sandbox/state").json()["records"]["Account"].values())

    def push_to(self, url: str | None) -> None:
        """Send closed-won notifications to ``url``; None stops them (they are then lost, never queued)."""
        if url is None:
            self.http.delete("/__sandbox/outbound-messages").raise_for_status()
        else:
            self.http.post("/__sandbox/outbound-messages", json={"urls": [url], "retry_delay": 0.05,
                                                                 "max_attempts": 3}).raise_for_status()

    def flush_push(self) -> None:
        self.http.post("/__sandbox/outbound-messages/flush").raise_for_status()

    def _post(self, sobject: str, body: dict[str, Any]) -> str:
        return str(self.http.post(f"{self.base}/sobjects/{sobject}", json=body).raise_for_status().json()["id"])

    def _entry(self, sku: str, list_minor: int) -> str:
        product = self.http.patch(f"{self.base}/sobjects/Product2/Revflow_Id__c/{sku}",
                                  json={"Name": sku, "ProductCode": sku, "IsActive": True}).raise_for_status()
        existing = self.http.get(f"{self.base}/sobjects/PricebookEntry/Revflow_Id__c/{sku}-std")
        if existing.status_code == 200:
            return str(existing.json()["Id"])
        book = self.http.get(f"{self.base}/query", params={"q": "SELECT Id FROM Pricebook2 WHERE IsStandard = true"})
        entry = self.http.patch(f"{self.base}/sobjects/PricebookEntry/Revflow_Id__c/{sku}-std", json={
            "Pricebook2Id": book.json()["records"][0]["Id"], "Product2Id": product.json()["id"],
            "UnitPrice": _units(list_minor), "IsActive": True})
        return str(entry.raise_for_status().json()["id"])

    def create_deal(self, account_key: str, name: str, lines: list[dict[str, Any]], close_date: str) -> str:
        """A deal entered in the CRM (open, with its lines); ``win`` closes it."""
        opp = self._post("Opportunity", {"Name": name, "Account": {"Revflow_Id__c": account_key},
                                         "StageName": "Prospecting", "CloseDate": close_date})
        for order, line in enumerate(lines):
            self._post("OpportunityLineItem", {
                "OpportunityId": opp, "PricebookEntryId": self._entry(line["sku"], line["list"]),
                "Quantity": line["quantity"], "UnitPrice": _units(line["sale"]), "ServiceDate": line["start"],
                "Description": line.get("description"), "SortOrder": order})
        return opp

    def win(self, deal_id: str) -> None:
        self.http.patch(f"{self.base}/sobjects/Opportunity/{deal_id}", json={"StageName": "Closed Won"}
                        ).raise_for_status()


class HubSpotHarness:
    """The HubSpot sandbox portal over HTTP, prepared for revflow (finance properties, company address)."""

    vendor = "hubspot"
    finance_fields = ("invoice_status", "subscription_id", "revenue_recognized")

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.http = httpx.Client(base_url=url, timeout=15, headers={"Authorization": f"Bearer {token}"})

    def settings(self) -> dict[str, Any]:
        return {"vendor": "hubspot", "vendor_url": self.url, "hubspot_access_token": self.token,
                "hubspot_app_secret": HUBSPOT_SECRET}

    def reset(self) -> None:
        self.http.post("/__sandbox/reset").raise_for_status()
        self.http.post("/__sandbox/webhooks/faults", json={}).raise_for_status()

    def faults(self, config: dict[str, Any]) -> None:
        self.http.post("/__sandbox/faults", json=config).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/__sandbox/faults").raise_for_status()

    def accounts(self) -> list[dict[str, Any]]:
        companies = self.http.get("/__sandbox/state").json()["objects"]["companies"]
        return [c for c in companies.values() if not c["archived"]]

    def push_to(self, url: str | None) -> None:
        """Send deal-stage webhooks to ``url``; None stops them."""
        if url is None:
            self.http.delete("/__sandbox/hubspot/webhooks").raise_for_status()
        else:
            self.http.put("/__sandbox/hubspot/webhooks", json={
                "targetUrl": url, "appSecret": HUBSPOT_SECRET,
                "subscriptions": [{"eventType": "deal.propertyChange", "propertyName": "dealstage"}]}
                          ).raise_for_status()

    def drop_deliveries(self, rate: float, seed: int = 3) -> None:
        self.http.post("/__sandbox/webhooks/faults", json={"drop_rate": rate, "seed": seed}).raise_for_status()

    def flush_push(self) -> None:
        self.http.post("/__sandbox/webhooks/flush").raise_for_status()

    def create_deal(self, account_key: str, name: str, lines: list[dict[str, Any]], close_date: str) -> str:
        """A deal entered in the CRM (open, with its company and line items); ``win`` closes it."""
        company = self.http.get(f"/crm/v3/objects/companies/{account_key}",
                                params={"idProperty": "revflow_external_id"}).raise_for_status().json()["id"]
        deal = self.http.post("/crm/v3/objects/deals", json={"properties": {
            "dealname": name, "dealstage": "appointmentscheduled", "pipeline": "default",
            "closedate": f"{close_date}T00:00:00.000Z"}}).raise_for_status().json()["id"]
        self.http.put(f"/crm/v4/objects/deals/{deal}/associations/default/companies/{company}").raise_for_status()
        for order, line in enumerate(lines):
            props = {"hs_sku": line["sku"], "name": line["sku"], "quantity": str(line["quantity"]),
                     "price": str(_units(line["list"])), "discount": str(_units(line["list"] - line["sale"])),
                     "hs_recurring_billing_start_date": line["start"], "hs_recurring_billing_period": "P12M",
                     "recurringbillingfrequency": "annually", "hs_position_on_quote": str(order)}
            if line.get("description"):
                props["description"] = line["description"]
            self.http.post("/crm/v3/objects/line_items", json={"properties": props, "associations": [
                {"to": {"id": deal}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}]}]}
                           ).raise_for_status()
        return str(deal)

    def win(self, deal_id: str) -> None:
        self.http.patch(f"/crm/v3/objects/deals/{deal_id}", json={"properties": {"dealstage": "closedwon"}}
                        ).raise_for_status()


@contextmanager
def salesforce_harness() -> Iterator[SalesforceHarness]:
    """Serve a Salesforce sandbox org for the block."""
    from sandboxes.salesforce import create_app
    from sandboxes.salesforce.settings import DEV_SESSION_ID

    app = create_app(seed=11, outbound_retry_delay=0.05, outbound_max_attempts=3)
    org_id = app.state["sf_state"].org_id
    with serve_in_thread(app) as server:
        harness = SalesforceHarness(server.url, DEV_SESSION_ID, org_id)
        try:
            yield harness
        finally:
            harness.http.close()


@contextmanager
def hubspot_harness() -> Iterator[HubSpotHarness]:
    """Serve a HubSpot sandbox portal prepared for revflow for the block."""
    from sandboxes.hubspot import DEV_TOKEN, create_app
    from sandboxes.hubspot.schema import Prop

    # Real portals have these company address properties; the sandbox's default schema is a subset.
    custom = {"companies": [Prop("address"), Prop("address2"), Prop("state"), Prop("zip")],
              "deals": [Prop("revflow_invoice_status"), Prop("revflow_subscription_id"),
                        Prop("revflow_revenue_recognized", "number")]}
    app = create_app(seed=11, app_secret=HUBSPOT_SECRET, custom_properties=custom, webhook_attempts=3,
                     webhook_retry_delay=0.05)
    with serve_in_thread(app) as server:
        harness = HubSpotHarness(server.url, DEV_TOKEN)
        try:
            yield harness
        finally:
            harness.http.close()
