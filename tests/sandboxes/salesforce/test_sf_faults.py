"""Injected faults: a client that retries safely (external-id upserts) completes, and nothing is duplicated.

Faults are seeded, so a failing run replays the same faults. ``error_after_rate`` lets the write happen and
then loses the answer: exactly where a retried insert would duplicate and a retried upsert cannot.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError, SalesforceMalformedRequest
from urllib3.util.retry import Retry

FAULTS = {"seed": 6, "rules": [{"route": "^(GET|PATCH) /services/data/", "error_rate": 0.2,
                                "error_after_rate": 0.15, "error_status": 503}]}


def _retrying(session: requests.Session) -> requests.Session:
    # Every method is retried: the story only writes through PATCH upserts, which are idempotent.
    retry = Retry(total=12, status_forcelist=(500, 503), allowed_methods=None, backoff_factor=0,
                  raise_on_status=False)
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def _upsert_line(sf: Salesforce, key: str, quantity: int) -> None:
    """Upsert a line item; its parent fields are create-only, so a retry that finds the line updates without them."""
    values = {"Quantity": quantity, "UnitPrice": 10}
    try:
        sf.OpportunityLineItem.upsert(f"Revflow_Id__c/{key}", {
            **values, "Opportunity": {"Revflow_Id__c": "opp-1"}, "PricebookEntry": {"Revflow_Id__c": "pbe-1"}})
    except SalesforceMalformedRequest as exc:
        if exc.content[0]["errorCode"] != "INVALID_FIELD_FOR_INSERT_UPDATE":
            raise
        sf.OpportunityLineItem.upsert(f"Revflow_Id__c/{key}", values)


def _story(sf: Salesforce) -> str:
    sf.Account.upsert("Revflow_Id__c/acct-1", {"Name": "Chaos Inc"})
    sf.Product2.upsert("Revflow_Id__c/prod-1", {"Name": "Seats", "IsActive": True})
    std = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    sf.PricebookEntry.upsert("Revflow_Id__c/pbe-1", {"Pricebook2Id": std, "UnitPrice": 10, "IsActive": True,
                                                      "Product2": {"Revflow_Id__c": "prod-1"}})
    sf.Opportunity.upsert("Revflow_Id__c/opp-1", {"Name": "Chaos deal", "StageName": "Prospecting",
                                                   "CloseDate": "2025-12-31", "Account": {"Revflow_Id__c": "acct-1"}})
    for n in range(3):
        _upsert_line(sf, f"line-{n}", n + 1)
    sf.Opportunity.upsert("Revflow_Id__c/opp-1", {"StageName": "Closed Won"})
    opp = sf.Opportunity.get_by_custom_id("Revflow_Id__c", "opp-1")
    assert (opp["Amount"], opp["IsWon"]) == (60.0, True)  # (1 + 2 + 3) x 10
    return str(opp["Id"])


class TestRetryingClient:
    def test_story_completes_without_duplicates(self, make_sf: Any, certs: Any, admin: httpx.Client) -> None:
        from tests.sandboxes.salesforce.conftest import https_session

        admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
        _story(make_sf(session=_retrying(https_session(certs))))
        injected = admin.get("/__sandbox/faults").json()["injected"]
        assert {k for fault in injected for k in ("error", "error_after") if fault[k]} == {"error", "error_after"}
        counts = admin.get("/__sandbox/state").json()["counts"]
        expected = {"Account": 1, "Product2": 1, "Pricebook2": 1, "PricebookEntry": 1, "Opportunity": 1,
                    "OpportunityLineItem": 3}
        assert {k: counts[k] for k in expected} == expected

    def test_without_retries_the_vendor_5xx_surfaces(self, sf: Salesforce, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json={"route": "GET /services/data/", "error_rate": 1.0,
                                              "error_status": 503}).raise_for_status()
        with pytest.raises(SalesforceGeneralError) as exc:
            sf.query("SELECT Id FROM Account")
        assert exc.value.status == 503 and exc.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"

    def test_same_seed_same_faults(self, admin: httpx.Client, server: Any, token: str, certs: Any) -> None:
        from tests.sandboxes.salesforce.conftest import https_session

        def run() -> list[int]:
            admin.post("/__sandbox/faults", json=FAULTS).raise_for_status()
            with https_session(certs) as http:
                return [http.get(f"{server.url}/services/data/v62.0/limits",
                                 headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(25)]

        first = run()
        assert first == run() and 503 in first
