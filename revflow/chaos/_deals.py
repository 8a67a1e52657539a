"""Deals entered in bulk through the Salesforce org's REST API, as a data loader would, and then won.

Composite collections (200 records a call, all or none) for the accounts, the opportunities and their lines;
a SOQL query reads the new accounts' ids back. Every deal gets its own new account, whose ``Revflow_Id__c``
is the business key the census counts vendor records by.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["BATCH", "KNOWN_SKUS", "UNKNOWN_SKU", "Deal", "enter_deals", "win_deals"]

BATCH = 200
"""Records per composite collections call (Salesforce's limit)."""
KNOWN_SKUS = ("PLAT-MONTHLY", "SETUP", "API-CALLS")
"""The items finance created in the ERP (the deals' lines use them)."""
UNKNOWN_SKU = "LEGACY-ADDON"
"""In the CRM's price book but never created in the ERP: deals carrying it park as blocked master data."""


@dataclass(frozen=True)
class Deal:
    """One deal entered in the CRM: its opportunity, its account (the customer's business key) and its SKUs."""

    opportunity: str
    account: str
    skus: tuple[str, ...]

    @property
    def blocked(self) -> bool:
        """Whether it carries an item the ERP does not have (it must park, owned by finance ops)."""
        return UNKNOWN_SKU in self.skus


def _lines(rng: random.Random, blocked: bool) -> list[dict[str, Any]]:
    """A monthly platform line, often a one-time setup, sometimes usage; an unknown add-on when ``blocked``."""
    seats = rng.randint(1, 50)
    lines = [{"sku": "PLAT-MONTHLY", "quantity": seats, "list": 10_000, "sale": rng.choice((8_000, 9_000, 10_000)),
              "start": "2025-01-01", "end": "2025-12-31", "frequency": "monthly", "description": "Platform seats"}]
    if rng.random() < 0.6:
        lines.append({"sku": "SETUP", "quantity": 1, "list": 200_000, "sale": rng.choice((100_000, 150_000)),
                      "start": "2025-01-01", "end": "2025-01-01", "frequency": "one_time",
                      "description": "Implementation"})
    if rng.random() < 0.4:
        lines.append({"sku": "API-CALLS", "quantity": 1, "list": 5, "sale": 4, "start": "2025-01-01",
                      "end": "2025-12-31", "frequency": "usage", "description": "API calls"})
    if blocked:
        lines.append({"sku": UNKNOWN_SKU, "quantity": 1, "list": 50_000, "sale": 50_000, "start": "2025-01-01",
                      "end": "2025-12-31", "frequency": "monthly", "description": "Legacy add-on"})
    return lines


class _Org:
    """The Salesforce sandbox org through its REST API (``http`` carries the session)."""

    FREQUENCIES = {"monthly": "Monthly", "one_time": "One-time", "usage": "Usage"}

    def __init__(self, http: httpx.Client, base: str) -> None:
        self.http, self.base = http, base

    def collection(self, method: str, path: str, records: list[dict[str, Any]]) -> list[str]:
        """Write ``records`` 200 at a time (all or none per call); their ids, in order."""
        ids: list[str] = []
        for start in range(0, len(records), BATCH):
            response = self.http.request(method, f"{self.base}/composite/sobjects{path}", timeout=300,
                                         json={"allOrNone": True, "records": records[start:start + BATCH]})
            response.raise_for_status()
            results = response.json()
            failed = [r["errors"] for r in results if not r["success"]]
            if failed:
                raise RuntimeError(f"Salesforce refused {method} {path}: {failed[:3]}")
            ids += [r["id"] for r in results]
        return ids

    def price_entry(self, sku: str, list_minor: int) -> str:
        product = self.http.patch(f"{self.base}/sobjects/Product2/Revflow_Id__c/{sku}",
                                  json={"Name": sku, "ProductCode": sku, "IsActive": True})
        product.raise_for_status()
        book = self.http.get(f"{self.base}/query", params={"q": "SELECT Id FROM Pricebook2 WHERE IsStandard = true"})
        entry = self.http.patch(f"{self.base}/sobjects/PricebookEntry/Revflow_Id__c/{sku}-std", json={
            "Pricebook2Id": book.json()["records"][0]["Id"], "Product2Id": product.json()["id"],
            "UnitPrice": list_minor / 100, "IsActive": True})
        entry.raise_for_status()
        return str(entry.json()["id"])


def enter_deals(http: httpx.Client, base: str, count: int, *, seed: int, blocked_every: int = 0) -> list[Deal]:
    """``count`` open deals, each with its own new account, entered through the org's composite API.

    Args:
        http: a client on the Salesforce sandbox carrying the session.
        base: the REST base path (``/services/data/v62.0``).
        count: how many deals.
        seed: seeds the deals' lines and amounts.
        blocked_every: every n-th deal also carries ``UNKNOWN_SKU`` (0: none).
    """
    org, rng = _Org(http, base), random.Random(seed)
    run = uuid.uuid4().hex[:6].upper()
    keys = [f"CHAOS-{run}-{i:05d}" for i in range(count)]
    org.collection("PATCH", "/Account/Revflow_Id__c", [
        {"attributes": {"type": "Account"}, "Revflow_Id__c": key, "Name": f"Chaos Customer {key}",
         "BillingStreet": "1 Market St", "BillingCity": "San Francisco", "BillingState": "CA",
         "BillingPostalCode": "94105", "BillingCountry": "US"} for key in keys])
    account_ids = [row["Id"] for row in _accounts_by_key(http, base, keys)]
    plans = [_lines(rng, blocked=bool(blocked_every) and i % blocked_every == blocked_every - 1)
             for i in range(count)]
    lists = {line["sku"]: line["list"] for lines in plans for line in lines}
    entries = {sku: org.price_entry(sku, amount) for sku, amount in lists.items()}
    opportunities = org.collection("POST", "", [
        {"attributes": {"type": "Opportunity"}, "Name": f"Chaos deal {key}", "AccountId": account_id,
         "StageName": "Prospecting", "CloseDate": "2025-01-01"} for key, account_id in zip(keys, account_ids,
                                                                                          strict=True)])
    org.collection("POST", "", [
        {"attributes": {"type": "OpportunityLineItem"}, "OpportunityId": opp, "PricebookEntryId": entries[line["sku"]],
         "Quantity": line["quantity"], "UnitPrice": line["sale"] / 100, "ServiceDate": line["start"],
         "Service_End_Date__c": line["end"], "Description": line["description"], "SortOrder": order,
         "Billing_Frequency__c": _Org.FREQUENCIES[line["frequency"]]}
        for opp, lines in zip(opportunities, plans, strict=True) for order, line in enumerate(lines)])
    return [Deal(opp, key, tuple(line["sku"] for line in lines))
            for opp, key, lines in zip(opportunities, keys, plans, strict=True)]


def _accounts_by_key(http: httpx.Client, base: str, keys: list[str]) -> list[dict[str, Any]]:
    """The accounts of ``keys``, in that order (read back page by page with SOQL)."""
    found: dict[str, dict[str, Any]] = {}
    prefix = keys[0].rsplit("-", 1)[0]
    response = http.get(f"{base}/query", params={
        "q": f"SELECT Id, Revflow_Id__c FROM Account WHERE Revflow_Id__c LIKE '{prefix}-%'"})
    while True:
        response.raise_for_status()
        page = response.json()
        found |= {row["Revflow_Id__c"]: row for row in page["records"]}
        if page.get("done", True) or not page.get("nextRecordsUrl"):
            break
        response = http.get(page["nextRecordsUrl"])
    return [found[key] for key in keys]


def win_deals(http: httpx.Client, base: str, deals: Iterable[Deal]) -> None:
    """Move the deals to Closed Won (200 a call); the org's workflow rule sends an Outbound Message for each."""
    _Org(http, base).collection("PATCH", "", [
        {"attributes": {"type": "Opportunity"}, "id": deal.opportunity, "StageName": "Closed Won"} for deal in deals])


