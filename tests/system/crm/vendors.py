"""Test harnesses of the CRM vendors' sandboxes: start, reset, inspect, fault and drive each one.

The canonical suite only talks to the CRM API; a harness is what a test uses to arrange CRM-side conditions
(a deal a salesperson enters and wins or loses, a renewal or an amendment linked to a booked deal, push
notifications on, held back, released or delivered again, faults) and to inspect what exists at the vendor
afterwards, read through the vendor's own API. Each vendor's harness offers the same methods; deals are
described canonically (``journeys.deal_lines``; an amendment's lines add ``action`` and ``amends_line``) and
entered the way each CRM's UI would store them, as are contacts, catalogue products and the contract a won deal
produced (HubSpot has no contract object: its won deal stands for the contract), and
``finance`` translates what the vendor's record holds back into canonical terms with the vendor's own
vocabulary (a value the harness does not expect comes back as the vendor stored it, so a test sees it).
Both sandboxes are used as they are: the org and the portal come prepared for revflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx

from services.runtime.testing import free_port, serve_in_thread

__all__ = ["HUBSPOT_SECRET", "HubSpotHarness", "SalesforceHarness", "hubspot_harness", "salesforce_harness"]

HUBSPOT_SECRET = "hubspot-crm-test-secret"


def _dead_url() -> str:
    """A URL nothing listens on (a push sent there fails, is retried, and is given up)."""
    return f"http://127.0.0.1:{free_port()}/nobody"


def _units(minor: int) -> float:
    return float(Decimal(minor) / 100)


def _minor(amount: Any) -> dict[str, Any] | None:
    """A vendor's decimal amount (a JSON number or a numeric string) as canonical USD money."""
    if amount is None:
        return None
    return {"amount_minor": int((Decimal(str(amount)) * 100).to_integral_value()), "currency": "USD"}


class SalesforceHarness:
    """The Salesforce sandbox org over plain HTTP (the connector uses httpx), and its admin routes."""

    vendor = "salesforce"
    base = "/services/data/v62.0"
    one_contact_per_email = False  # duplicate rules are the org's own choice; a plain org has none
    # Canonical billing frequency / invoice status -> the org's picklist values.
    frequencies = {"monthly": "Monthly", "quarterly": "Quarterly", "semiannual": "Semiannual", "annual": "Annual",
                   "one_time": "One-time", "usage": "Usage"}
    invoice_statuses = {"draft": "Draft", "open": "Open", "paid": "Paid", "void": "Void",
                        "uncollectible": "Uncollectible"}

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

    def _query(self, soql: str) -> list[dict[str, Any]]:
        return list(self.http.get(f"{self.base}/query", params={"q": soql}).raise_for_status().json()["records"])

    def deals(self) -> dict[str, int]:
        """Every Opportunity in the org and how many line items it has, read with SOQL."""
        return {r["Id"]: (r["OpportunityLineItems"] or {}).get("totalSize", 0)
                for r in self._query("SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunity")}

    def line_items(self) -> int:
        """How many line items the org holds (a line item always belongs to an Opportunity)."""
        return len(self._query("SELECT Id FROM OpportunityLineItem"))

    def push_to(self, url: str | None) -> None:
        """Send won and lost notifications to ``url``; None stops them (they are then lost, never queued)."""
        if url is None:
            self.http.delete("/__sandbox/outbound-messages").raise_for_status()
        else:
            self.http.post("/__sandbox/outbound-messages", json={"urls": [url], "retry_delay": 0.05,
                                                                 "max_attempts": 3}).raise_for_status()

    def flush_push(self) -> None:
        self.http.post("/__sandbox/outbound-messages/flush").raise_for_status()

    def hold_push(self) -> None:
        """Notifications from now on fail to arrive (the listener is unreachable) and are given up, not lost for good:
        ``release_push`` sends them again."""
        self.push_to(_dead_url())

    def release_push(self, url: str) -> None:
        """Listen at ``url`` again and have every past notification sent again (same Notification Id)."""
        self.push_to(url)
        self.redeliver_push()

    def redeliver_push(self) -> None:
        """Send every notification sent so far again, as Salesforce does when an acknowledgement is lost."""
        self.http.post("/__sandbox/outbound-messages/redeliver").raise_for_status()

    def _post(self, sobject: str, body: dict[str, Any]) -> str:
        return str(self.http.post(f"{self.base}/sobjects/{sobject}", json=body).raise_for_status().json()["id"])

    def _entry(self, sku: str, list_minor: int) -> str:
        listed = self._query("SELECT Id FROM PricebookEntry WHERE Pricebook2.IsStandard = true AND "
                             f"Product2.ProductCode = '{sku}' AND IsActive = true AND CurrencyIsoCode = 'USD'")
        if listed:  # the org lists the product already (an earlier deal, or an order booked through revflow)
            return str(listed[0]["Id"])
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

    def create_deal(self, account_key: str, name: str, lines: list[dict[str, Any]], close_date: str, *,
                    renews: str | None = None, amends: str | None = None, effective: str | None = None,
                    reason: str | None = None) -> str:
        """A deal entered in the CRM (open, with its lines; a renewal or an amendment when it links to the deal it
        renews or amends); ``win`` closes it."""
        links = {"Renewed_Opportunity__c": renews, "Amended_Opportunity__c": amends,
                 "Amendment_Effective_Date__c": effective, "Description": reason}
        opp = self._post("Opportunity", {"Name": name, "Account": {"Revflow_Id__c": account_key},
                                         "StageName": "Prospecting", "CloseDate": close_date,
                                         **{k: v for k, v in links.items() if v is not None}})
        for order, line in enumerate(lines):
            self._post("OpportunityLineItem", {
                "OpportunityId": opp, "PricebookEntryId": self._entry(line["sku"], line["list"]),
                "Quantity": line["quantity"], "UnitPrice": _units(line["sale"]), "ServiceDate": line["start"],
                "Description": line.get("description"), "SortOrder": order, "Service_End_Date__c": line.get("end"),
                "Billing_Frequency__c": self.frequencies[line["frequency"]] if line.get("frequency") else None,
                "Amendment_Action__c": line["action"].capitalize() if line.get("action") else None,
                "Amended_Line_Id__c": line.get("amends_line")})
        return opp

    def overflow(self, page_size: int) -> int:
        """How many records fill more than one page of a list (Salesforce's smallest query batch is 200)."""
        return max(page_size, 200) + 1

    def contacts(self) -> list[dict[str, Any]]:
        """Every Contact in the org as ``{key, email, account}``, read with SOQL."""
        return [{"key": r["Revflow_Id__c"], "email": r["Email"], "account": r["Account"]["Revflow_Id__c"]}
                for r in self._query("SELECT Revflow_Id__c, Email, Account.Revflow_Id__c FROM Contact")]

    def add_contacts(self, account_key: str, people: list[dict[str, Any]]) -> None:
        """Contacts entered in the CRM at the account (no revflow key), 200 per sObject collection call."""
        account = self._query(f"SELECT Id FROM Account WHERE Revflow_Id__c = '{account_key}'")[0]["Id"]
        records = [{"attributes": {"type": "Contact"}, "AccountId": account, "LastName": person["name"].split()[-1],
                    "FirstName": " ".join(person["name"].split()[:-1]) or None, "Email": person.get("email")}
                   for person in people]
        for start in range(0, len(records), 200):
            results = self.http.post(f"{self.base}/composite/sobjects", json={
                "allOrNone": True, "records": records[start:start + 200]}).raise_for_status().json()
            assert all(r["success"] for r in results), results

    def add_product(self, sku: str, name: str, list_minor: int, *, frequency: str | None = None,
                    description: str | None = None) -> None:
        """A product of the catalogue with its USD entry in the standard price book."""
        product = self.http.patch(f"{self.base}/sobjects/Product2/Revflow_Id__c/{sku}", json={
            "Name": name, "ProductCode": sku, "IsActive": True, "Description": description,
            "Billing_Frequency__c": self.frequencies[frequency] if frequency else None}).raise_for_status()
        book = self._query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")[0]["Id"]
        self.http.patch(f"{self.base}/sobjects/PricebookEntry/Revflow_Id__c/{sku}-std", json={
            "Pricebook2Id": book, "Product2Id": product.json()["id"], "UnitPrice": _units(list_minor),
            "IsActive": True}).raise_for_status()

    def sign_contract(self, deal_id: str, start: str, months: int) -> str:
        """The Contract sales enters for a won deal (drafted, then activated) and links the deal to; returns its id."""
        account = self.http.get(f"{self.base}/sobjects/Opportunity/{deal_id}").raise_for_status().json()["AccountId"]
        contract = self._post("Contract", {"AccountId": account, "StartDate": start, "ContractTerm": months,
                                           "Status": "Draft"})
        self.http.patch(f"{self.base}/sobjects/Contract/{contract}", json={"Status": "Activated"}).raise_for_status()
        self.http.patch(f"{self.base}/sobjects/Opportunity/{deal_id}", json={"ContractId": contract}
                        ).raise_for_status()
        return contract

    def win(self, deal_id: str) -> None:
        self.http.patch(f"{self.base}/sobjects/Opportunity/{deal_id}", json={"StageName": "Closed Won"}
                        ).raise_for_status()

    def lose(self, deal_id: str, reason: str | None = None) -> None:
        self.http.patch(f"{self.base}/sobjects/Opportunity/{deal_id}", json={
            "StageName": "Closed Lost", "Loss_Reason__c": reason}).raise_for_status()

    def finance(self, deal_id: str) -> dict[str, Any]:
        """The finance status the Opportunity record holds, read through the REST API."""
        record = self.http.get(f"{self.base}/sobjects/Opportunity/{deal_id}", params={
            "fields": "Revflow_Invoice_Status__c,Revflow_Subscription_Id__c,Revflow_Revenue_Recognized__c"}
                               ).raise_for_status().json()
        status = record["Revflow_Invoice_Status__c"]
        canonical = {v: k for k, v in self.invoice_statuses.items()}
        return {"invoice_status": canonical.get(status, status),
                "subscription_id": record["Revflow_Subscription_Id__c"],
                "revenue_recognized": _minor(record["Revflow_Revenue_Recognized__c"])}


class HubSpotHarness:
    """The HubSpot sandbox portal over HTTP."""

    vendor = "hubspot"
    one_contact_per_email = True  # HubSpot deduplicates contacts by email address
    # Canonical billing frequency -> recurringbillingfrequency (HubSpot has no one-time option: a line item without
    # a frequency is one-time there).
    frequencies = {"monthly": "monthly", "quarterly": "quarterly", "semiannual": "per_six_months",
                   "annual": "annually"}

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

    def _ids(self, path: str) -> list[str]:
        ids, after = [], None
        while True:
            page = self.http.get(path, params={"limit": 100, **({"after": after} if after else {})}
                                 ).raise_for_status().json()
            ids += [str(r.get("id") or r.get("toObjectId")) for r in page["results"]]
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return ids

    def deals(self) -> dict[str, int]:
        """Every deal in the portal and how many line items are associated with it, read through the CRM API."""
        return {deal: len(self._ids(f"/crm/v4/objects/deals/{deal}/associations/line_items"))
                for deal in self._ids("/crm/v3/objects/deals")}

    def line_items(self) -> int:
        """How many line items the portal holds, associated with a deal or not."""
        return len(self._ids("/crm/v3/objects/line_items"))

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

    def hold_push(self) -> None:
        """Deliveries from now on are dropped (kept in the portal's history): ``release_push`` sends them again."""
        self.drop_deliveries(1.0)

    def release_push(self, url: str) -> None:
        """Deliver again (the target is still ``url``), then send every past delivery again."""
        self.drop_deliveries(0.0)
        self.redeliver_push()

    def redeliver_push(self) -> None:
        """Send every delivery made so far again (same event ids), as HubSpot retries one it thinks failed."""
        log = self.http.get("/__sandbox/webhooks").raise_for_status().json()["deliveries"]
        for event in dict.fromkeys(entry["event"] for entry in log):
            self.http.post(f"/__sandbox/webhooks/{event}/redeliver").raise_for_status()

    def create_deal(self, account_key: str, name: str, lines: list[dict[str, Any]], close_date: str, *,
                    renews: str | None = None, amends: str | None = None, effective: str | None = None,
                    reason: str | None = None) -> str:
        """A deal entered in the CRM (open, with its company and line items; a renewal or an amendment when it links
        to the deal it renews or amends); ``win`` closes it."""
        company = self.http.get(f"/crm/v3/objects/companies/{account_key}",
                                params={"idProperty": "revflow_external_id"}).raise_for_status().json()["id"]
        links = {"revflow_renews_deal_id": renews, "revflow_amends_deal_id": amends,
                 "revflow_amendment_effective_date": effective, "description": reason}
        deal = self.http.post("/crm/v3/objects/deals", json={"properties": {
            "dealname": name, "dealstage": "appointmentscheduled", "pipeline": "default",
            "closedate": f"{close_date}T00:00:00.000Z", **{k: v for k, v in links.items() if v is not None}}}
                              ).raise_for_status().json()["id"]
        self.http.put(f"/crm/v4/objects/deals/{deal}/associations/default/companies/{company}").raise_for_status()
        for order, line in enumerate(lines):
            props = {"hs_sku": line["sku"], "name": line["sku"], "quantity": str(line["quantity"]),
                     "price": str(_units(line["list"])), "discount": str(_units(line["list"] - line["sale"])),
                     "hs_recurring_billing_start_date": line["start"], "hs_position_on_quote": str(order)}
            if line.get("description"):
                props["description"] = line["description"]
            if line.get("end"):
                props["hs_recurring_billing_end_date"] = line["end"]
            if line.get("frequency"):
                props["recurringbillingfrequency"] = self.frequencies[line["frequency"]]
            if line.get("action"):
                props["revflow_amendment_action"] = line["action"]
            if line.get("amends_line"):
                props["revflow_amends_line_item_id"] = line["amends_line"]
            self.http.post("/crm/v3/objects/line_items", json={"properties": props, "associations": [
                {"to": {"id": deal}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}]}]}
                           ).raise_for_status()
        return str(deal)

    def overflow(self, page_size: int) -> int:
        """How many records fill more than one page of a list at the CRM API's page size."""
        return page_size + 1

    def contacts(self) -> list[dict[str, Any]]:
        """Every contact in the portal as ``{key, email, account}``, read through the CRM API."""
        found = []
        for contact in self._ids("/crm/v3/objects/contacts"):
            props = self.http.get(f"/crm/v3/objects/contacts/{contact}", params=[
                ("properties", "revflow_external_id"), ("properties", "email")]).raise_for_status().json()["properties"]
            companies = self._ids(f"/crm/v4/objects/contacts/{contact}/associations/companies")
            keys = [self.http.get(f"/crm/v3/objects/companies/{c}", params={"properties": "revflow_external_id"}
                                  ).raise_for_status().json()["properties"]["revflow_external_id"] for c in companies]
            found.append({"key": props.get("revflow_external_id"), "email": props.get("email"),
                          "account": keys[0] if len(keys) == 1 else keys})
        return found

    def add_contacts(self, account_key: str, people: list[dict[str, Any]]) -> None:
        """Contacts entered in the CRM at the company (no revflow key), 100 per batch create."""
        company = self.http.get(f"/crm/v3/objects/companies/{account_key}",
                                params={"idProperty": "revflow_external_id"}).raise_for_status().json()["id"]
        inputs = [{"properties": {"lastname": person["name"].split()[-1],
                                  "firstname": " ".join(person["name"].split()[:-1]), "email": person.get("email")},
                   "associations": [{"to": {"id": company}, "types": [
                       {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}]} for person in people]
        for start in range(0, len(inputs), 100):
            self.http.post("/crm/v3/objects/contacts/batch/create", json={"inputs": inputs[start:start + 100]}
                           ).raise_for_status()

    def add_product(self, sku: str, name: str, list_minor: int, *, frequency: str | None = None,
                    description: str | None = None) -> None:
        """A product of the product library, priced in the portal's currency."""
        props = {"name": name, "hs_sku": sku, "price": str(_units(list_minor)), "description": description,
                 "recurringbillingfrequency": self.frequencies[frequency] if frequency else None}
        self.http.post("/crm/v3/objects/products", json={"properties": {k: v for k, v in props.items() if v}}
                       ).raise_for_status()

    def sign_contract(self, deal_id: str, start: str, months: int) -> str:
        """HubSpot has no contract object: the won deal is the contract, its term its line items'; returns its id."""
        return deal_id

    def win(self, deal_id: str) -> None:
        self.http.patch(f"/crm/v3/objects/deals/{deal_id}", json={"properties": {"dealstage": "closedwon"}}
                        ).raise_for_status()

    def lose(self, deal_id: str, reason: str | None = None) -> None:
        self.http.patch(f"/crm/v3/objects/deals/{deal_id}", json={"properties": {
            "dealstage": "closedlost", "closed_lost_reason": reason or ""}}).raise_for_status()

    def finance(self, deal_id: str) -> dict[str, Any]:
        """The finance status the deal record holds, read through the CRM v3 API."""
        names = ("revflow_invoice_status", "revflow_subscription_id", "revflow_revenue_recognized")
        props = self.http.get(f"/crm/v3/objects/deals/{deal_id}", params=[("properties", n) for n in names]
                              ).raise_for_status().json()["properties"]
        return {"invoice_status": props["revflow_invoice_status"], "subscription_id": props["revflow_subscription_id"],
                "revenue_recognized": _minor(props["revflow_revenue_recognized"])}


@contextmanager
def salesforce_harness() -> Iterator[SalesforceHarness]:
    """Serve a Salesforce sandbox org for the block."""
    from sandboxes.salesforce import create_app
    from sandboxes.salesforce.settings import DEV_SESSION_ID

    # The org's workflow rule sends its Outbound Message when a deal is won and when it is lost.
    app = create_app(seed=11, outbound_retry_delay=0.05, outbound_max_attempts=3,
                     outbound_stages=("Closed Won", "Closed Lost"))
    org_id = app.state["sf_state"].org_id
    with serve_in_thread(app) as server:
        harness = SalesforceHarness(server.url, DEV_SESSION_ID, org_id)
        try:
            yield harness
        finally:
            harness.http.close()


@contextmanager
def hubspot_harness() -> Iterator[HubSpotHarness]:
    """Serve a HubSpot sandbox portal for the block."""
    from sandboxes.hubspot import DEV_TOKEN, create_app

    app = create_app(seed=11, app_secret=HUBSPOT_SECRET, webhook_attempts=3, webhook_retry_delay=0.05)
    with serve_in_thread(app) as server:
        harness = HubSpotHarness(server.url, DEV_TOKEN)
        try:
            yield harness
        finally:
            harness.http.close()
