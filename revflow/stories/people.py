"""The people of the demo, each working in their own system over that system's real API.

- ``SalesRep`` works in Salesforce (REST API v62.0 with a session id): accounts, opportunities with their
  lines, closing them won. The org's admin has set up an outbound message to the CRM system API.
- ``FinanceClerk`` works in NetSuite (SuiteTalk REST, OAuth 1.0a token-based auth): creates service items.
- ``Operator`` works in revflow's process API with a token from the issuer: resumes, credits, usage, close.

None of them touches revflow's internals: what they do is what a user of each product can do.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx

__all__ = ["FinanceClerk", "Operator", "SalesRep"]

_FREQUENCY = {"monthly": "Monthly", "quarterly": "Quarterly", "semiannual": "Semiannual", "annual": "Annual",
              "one_time": "One-time", "usage": "Usage"}


def _units(minor: int) -> float:
    return float(Decimal(minor) / 100)


class SalesRep:
    """A salesperson in the Salesforce org."""

    base = "/services/data/v62.0"

    def __init__(self, url: str, session_id: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=15, headers={"Authorization": f"Bearer {session_id}"})
        self.url = url

    def close(self) -> None:
        self.http.close()

    def route_closes_to(self, crm_url: str) -> None:
        """The admin's outbound message: closed-won opportunities are sent to the CRM system API."""
        self.http.post("/__sandbox/outbound-messages", json={"urls": [f"{crm_url}/v1/webhooks/salesforce"],
                                                             "retry_delay": 0.2, "max_attempts": 5}
                       ).raise_for_status()

    def _upsert(self, sobject: str, key: str, body: dict[str, Any]) -> str:
        response = self.http.patch(f"{self.base}/sobjects/{sobject}/Revflow_Id__c/{key}", json=body)
        response.raise_for_status()
        return str(response.json()["id"]) if response.content else self._id(sobject, key)

    def _id(self, sobject: str, key: str) -> str:
        return str(self.http.get(f"{self.base}/sobjects/{sobject}/Revflow_Id__c/{key}").raise_for_status()
                   .json()["Id"])

    def account(self, key: str, name: str, city: str = "San Francisco", country: str = "US") -> str:
        return self._upsert("Account", key, {"Name": name, "BillingStreet": "1 Market St", "BillingCity": city,
                                             "BillingPostalCode": "94105", "BillingCountry": country})

    def _price_entry(self, sku: str, list_minor: int) -> str:
        existing = self.http.get(f"{self.base}/sobjects/PricebookEntry/Revflow_Id__c/{sku}-std")
        if existing.status_code == 200:  # an entry's price book and product cannot change once it exists
            return str(existing.json()["Id"])
        product = self._upsert("Product2", sku, {"Name": sku, "ProductCode": sku, "IsActive": True})
        book = self.http.get(f"{self.base}/query", params={
            "q": "SELECT Id FROM Pricebook2 WHERE IsStandard = true"}).raise_for_status().json()["records"][0]["Id"]
        return self._upsert("PricebookEntry", f"{sku}-std", {"Pricebook2Id": book, "Product2Id": product,
                                                             "UnitPrice": _units(list_minor), "IsActive": True})

    def opportunity(self, account_key: str, name: str, close_date: str, lines: list[dict[str, Any]],
                    renews: str | None = None) -> str:
        """An open opportunity with its lines.

        Each line: ``sku``, ``quantity``, ``list`` and ``sale`` (minor units), ``start``, ``end``, ``frequency``.
        """
        fields = {"Name": name, "Account": {"Revflow_Id__c": account_key}, "StageName": "Prospecting",
                  "CloseDate": close_date}
        if renews:
            fields["Renewed_Opportunity__c"] = renews  # the org's lookup from a renewal to the deal it renews
        response = self.http.post(f"{self.base}/sobjects/Opportunity", json=fields)
        opp = str(response.raise_for_status().json()["id"])
        for order, line in enumerate(lines):
            self.http.post(f"{self.base}/sobjects/OpportunityLineItem", json={
                "OpportunityId": opp, "PricebookEntryId": self._price_entry(line["sku"], line["list"]),
                "Quantity": line["quantity"], "UnitPrice": _units(line["sale"]), "ServiceDate": line["start"],
                "Service_End_Date__c": line.get("end"), "SortOrder": order,
                "Billing_Frequency__c": _FREQUENCY[line["frequency"]], "Description": line.get("description"),
            }).raise_for_status()
        return opp

    def win(self, opportunity_id: str) -> None:
        self.http.patch(f"{self.base}/sobjects/Opportunity/{opportunity_id}", json={"StageName": "Closed Won"}
                        ).raise_for_status()

    def finance_status(self, opportunity_id: str) -> dict[str, Any]:
        """What sales sees on the record: invoice status, subscription id, revenue recognised."""
        fields = "Revflow_Invoice_Status__c,Revflow_Subscription_Id__c,Revflow_Revenue_Recognized__c"
        return dict(self.http.get(f"{self.base}/sobjects/Opportunity/{opportunity_id}", params={"fields": fields}
                                  ).raise_for_status().json())


class FinanceClerk:
    """A finance user in NetSuite, maintaining items (master data) through SuiteTalk REST."""

    def __init__(self, url: str, signer: httpx.Auth) -> None:
        self.http = httpx.Client(base_url=f"{url}/services/rest", timeout=15, auth=signer)

    def close(self) -> None:
        self.http.close()

    def account(self, number: str, name: str, kind: str) -> None:
        """Add a GL account to the chart unless one with that number exists (Setup > Accounting > Accounts)."""
        query = {"q": f"SELECT id FROM account WHERE acctnumber = '{number}'"}
        found = self.http.post("/query/v1/suiteql", json=query, headers={"Prefer": "transient"})
        found.raise_for_status()
        if not found.json().get("items"):
            self.http.post("/record/v1/account", json={"acctNumber": number, "acctName": name, "acctType": kind}
                           ).raise_for_status()

    def item(self, sku: str, price_minor: int) -> None:
        """Create (or update) a service item by SKU, as finance does under Lists > Accounting > Items."""
        response = self.http.put(f"/record/v1/serviceSaleItem/eid:{sku}", json={
            "itemId": sku, "displayName": sku, "salesDescription": f"{sku} (service)",
            "basePrice": _units(price_minor), "isInactive": False})
        response.raise_for_status()


class Operator:
    """A finance-ops person using revflow's process API."""

    def __init__(self, process_url: str, token: str) -> None:
        self.http = httpx.Client(base_url=process_url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params or None)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.http.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        if response.status_code >= 300:
            raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None
