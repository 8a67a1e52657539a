"""Contracts: the contract a won deal produced reads back as the same canonical contract on every CRM, with its
signed amendments, by id and per account.

Salesforce keeps a Contract record that the won deal names (``ContractId``); HubSpot has none, and the won deal
stands for it. The harness enters each the CRM's way, with a term matching the deal's lines (2024-04-01, 24 months),
so the two read back alike.
"""

from __future__ import annotations

import msgspec

from contracts.deals import CustomerContract
from services.system.crm.api import _examples
from tests.system.crm.journeys import account, deal_lines, money, won_deal


def _without_ids(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("id", "external_ids")}


def _canonical(contract: dict) -> dict:
    """A contract without what only one CRM has (its ids and number); amendments and their lines without ids."""
    amendments = [{**_without_ids(a), "changed_lines": [{**c, "line": _without_ids(c["line"])}
                                                        for c in a["changed_lines"]]}
                  for a in contract["amendments"]]
    return {**{k: v for k, v in contract.items() if k not in ("id", "number", "external_ids", "opportunity_id")},
            "amendments": amendments}


def _amend(vendor, deal: str) -> str:
    """A signed amendment adding 5 seats from 2024-10-01."""
    added = {"sku": "PLAT-SEAT", "quantity": 5, "list": 120000, "sale": 110000, "start": "2024-10-01",
             "end": "2026-03-31", "frequency": "quarterly", "action": "add"}
    amendment = vendor.create_deal("ACME-001", "Acme upsell", [added], "2024-09-20", amends=deal,
                                   effective="2024-10-01", reason="Upsell")
    vendor.win(amendment)
    return amendment


class TestGetContract:
    def test_the_won_deals_contract_with_its_amendments(self, crm, vendor):
        deal = won_deal(crm, vendor)
        contract_id = vendor.sign_contract(deal, "2024-04-01", 24)
        amendment = _amend(vendor, deal)
        found = crm.ok("GET", f"/v1/contracts/{contract_id}")
        assert (found["id"], found["opportunity_id"], found["external_ids"]) == (contract_id, deal,
                                                                                 {"crm": contract_id})
        assert _canonical(found) == {
            "customer_id": "ACME-001", "status": "activated", "start_date": "2024-04-01", "end_date": "2026-03-31",
            "term_months": 24, "currency": "USD", "amendments": [{
                "opportunity_id": deal, "effective_date": "2024-10-01", "currency": "USD", "reason": "Upsell",
                "signed_at": "2024-09-20T00:00:00Z", "changed_lines": [{"action": "add", "line_id": None, "line": {
                    "product_sku": "PLAT-SEAT", "description": None, "quantity": 5, "list_price": money(120000),
                    "sale_price": money(110000), "service_start": "2024-10-01", "service_end": "2026-03-31",
                    "billing_frequency": "quarterly"}}]}]}
        assert found["amendments"] == crm.ok("GET", f"/v1/opportunities/{deal}/amendments")["data"]
        assert found["amendments"][0]["id"] == amendment

    def test_unknown_contract_is_a_404_problem(self, crm, vendor):
        won_deal(crm, vendor)
        for contract_id in ("800000000000000AAA", "12345"):
            response = crm.client.get(f"/v1/contracts/{contract_id}")
            assert response.status_code == 404, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "contract_missing"


class TestListContracts:
    def test_every_contract_of_the_account_oldest_first(self, start_crm, vendor):
        crm = start_crm(vendor_page_size=2)
        crm.ok("PUT", "/v1/accounts/GLOBEX-7", account(name="Globex"))
        first = won_deal(crm, vendor)
        vendor.create_deal("ACME-001", "Acme open", deal_lines()[:1], "2026-06-30")
        later = vendor.create_deal("ACME-001", "Acme 2026", [{**deal_lines()[1], "start": "2026-04-01",
                                                             "end": "2027-03-31"}], "2026-03-20")
        vendor.win(later)  # its deal is on HubSpot's second page of the account's deals
        other = vendor.create_deal("GLOBEX-7", "Globex 2024", deal_lines()[:1], "2024-03-28")
        vendor.win(other)
        ids = [vendor.sign_contract(later, "2026-04-01", 12), vendor.sign_contract(first, "2024-04-01", 24)]
        vendor.sign_contract(other, "2024-04-01", 24)
        _amend(vendor, first)
        listed = crm.ok("GET", "/v1/accounts/ACME-001/contracts")["data"]
        assert [(c["id"], c["opportunity_id"], c["start_date"], c["end_date"], c["term_months"], len(c["amendments"]))
                for c in listed] == [(ids[1], first, "2024-04-01", "2026-03-31", 24, 1),
                                     (ids[0], later, "2026-04-01", "2027-03-31", 12, 0)]
        assert listed[0] == crm.ok("GET", f"/v1/contracts/{ids[1]}")

    def test_an_account_without_contracts_lists_none_and_an_unknown_one_is_a_404(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        assert crm.ok("GET", "/v1/accounts/ACME-001/contracts") == {"data": []}
        response = crm.client.get("/v1/accounts/NOPE-1/contracts")
        assert response.status_code == 404 and response.json()["code"] == "account_missing"


def test_the_documented_example_is_a_valid_contract():
    contract = msgspec.convert(_examples.CONTRACT, CustomerContract)
    assert contract.amendments[0].opportunity_id == contract.opportunity_id
    assert msgspec.to_builtins(contract) == _examples.CONTRACT
