"""What a rolled-back write leaves behind: the org exactly as it was, record by record and in creation order.

A failed ``allOrNone`` composite request or collection, and a refused single record, undo every change they
made: inserts, updates, deletes with their cascades and cleared lookups, roll-ups onto the parent
opportunity, auto-numbers. Savepoints nest: one failed collection record undoes only itself.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandboxes.salesforce import dml
from sandboxes.salesforce.errors import SalesforceError
from sandboxes.salesforce.store import OrgState

BASE = "/services/data/v62.0/sobjects"


def _org(admin: httpx.Client) -> dict[str, Any]:
    """Records (with each type's creation order), recycle bin and auto-numbers, as the admin snapshot has them."""
    snap = admin.get("/__sandbox/snapshot").raise_for_status().json()
    return {"records": snap["records"], "order": {k: list(v) for k, v in snap["records"].items()},
            "recycle": snap["recycle"], "numbers": snap["numbers"]}


def _setup(sf: Salesforce) -> dict[str, str]:
    book = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    product = sf.Product2.create({"Name": "Seats", "ProductCode": "SEAT", "IsActive": True})["id"]
    entry = sf.PricebookEntry.create({"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 100,
                                      "IsActive": True})["id"]
    first = sf.Account.create({"Name": "First"})["id"]
    sf.Contact.create({"LastName": "Ng", "AccountId": first})
    opp = sf.Opportunity.create({"Name": "Deal", "AccountId": first, "StageName": "Prospecting",
                                 "CloseDate": "2024-03-28"})["id"]
    contract = sf.Contract.create({"AccountId": first, "StartDate": "2024-01-01", "ContractTerm": 12})["id"]
    order = sf.Order.create({"AccountId": first, "ContractId": contract, "EffectiveDate": "2024-01-01",
                             "Status": "Draft"})["id"]
    second = sf.Account.create({"Name": "Second"})["id"]
    return {"entry": entry, "first": first, "second": second, "opp": opp, "contract": contract, "order": order}


def _changes(ids: dict[str, str]) -> list[dict[str, Any]]:
    """Subrequests touching every kind of change, the last one refused."""
    return [
        {"method": "POST", "url": f"{BASE}/OpportunityLineItem", "referenceId": "line", "body": {
            "OpportunityId": ids["opp"], "PricebookEntryId": ids["entry"], "Quantity": 2, "UnitPrice": 100}},
        {"method": "PATCH", "url": f"{BASE}/Account/{ids['second']}", "referenceId": "rename",
         "body": {"Name": "Renamed"}},
        {"method": "DELETE", "url": f"{BASE}/Contract/{ids['contract']}", "referenceId": "unlink"},
        {"method": "DELETE", "url": f"{BASE}/Account/{ids['first']}", "referenceId": "cascade"},
        {"method": "POST", "url": f"{BASE}/Contract", "referenceId": "numbered",
         "body": {"AccountId": ids["second"], "StartDate": "2024-02-01", "ContractTerm": 6}},
        {"method": "POST", "url": f"{BASE}/Contact", "referenceId": "refused", "body": {"FirstName": "No"}},
    ]


class TestAllOrNoneComposite:
    def test_failure_leaves_the_org_exactly_as_it_was(self, sf: Salesforce, admin: httpx.Client) -> None:
        ids = _setup(sf)
        before = _org(admin)
        response = sf.restful("composite", method="POST", json={"allOrNone": True,
                                                                "compositeRequest": _changes(ids)})
        codes = [(i["httpStatusCode"], i["body"][0]["errorCode"]) for i in response["compositeResponse"]]
        assert codes == [(400, "PROCESSING_HALTED")] * 5 + [(400, "REQUIRED_FIELD_MISSING")]
        assert _org(admin) == before

    def test_the_same_subrequests_do_change_the_org_without_all_or_none(self, sf: Salesforce,
                                                                         admin: httpx.Client) -> None:
        ids = _setup(sf)
        before = _org(admin)
        response = sf.restful("composite", method="POST", json={"compositeRequest": _changes(ids)})
        assert [i["httpStatusCode"] for i in response["compositeResponse"]] == [201, 204, 204, 204, 201, 400]
        after = _org(admin)
        assert ids["first"] in after["recycle"] and ids["first"] not in before["recycle"]
        assert after["records"]["Account"][ids["second"]]["Name"] == "Renamed"
        assert after["numbers"]["ContractNumber"] == before["numbers"]["ContractNumber"] + 1

    def test_auto_numbers_continue_from_before_the_failure(self, sf: Salesforce, admin: httpx.Client) -> None:
        ids = _setup(sf)
        kept = sf.Contract.get(ids["contract"])["ContractNumber"]
        sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": _changes(ids)})
        fresh = sf.Contract.create({"AccountId": ids["second"], "StartDate": "2024-01-01", "ContractTerm": 1})
        assert int(sf.Contract.get(fresh["id"])["ContractNumber"]) == int(kept) + 1


class TestCollections:
    def test_all_or_none_delete_restores_the_record_its_cascade_and_cleared_lookups(
            self, sf: Salesforce, admin: httpx.Client) -> None:
        ids = _setup(sf)
        before = _org(admin)
        result = sf.restful("composite/sobjects", method="DELETE", params={
            "allOrNone": "true", "ids": f"{ids['contract']},{ids['first']},001000000000000AAA"})
        assert [r["success"] for r in result] == [False, False, False]
        assert _org(admin) == before
        assert sf.Order.get(ids["order"])["ContractId"] == ids["contract"]

    def test_one_failed_record_undoes_only_itself(self, sf: Salesforce, admin: httpx.Client) -> None:
        ids = _setup(sf)
        result = sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Account"}, "Name": "Before"},
            # Refused after it had given the opportunity its price book: both values are set.
            {"attributes": {"type": "OpportunityLineItem"}, "OpportunityId": ids["opp"],
             "PricebookEntryId": ids["entry"], "Quantity": 1, "UnitPrice": 100, "TotalPrice": 100},
            {"attributes": {"type": "Account"}, "Name": "After"}]})
        assert [r["success"] for r in result] == [True, False, True]
        assert result[1]["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
        opp = sf.Opportunity.get(ids["opp"])
        assert (opp["Pricebook2Id"], opp["HasOpportunityLineItem"], opp["Amount"]) == (None, False, None)
        names = [r["Name"] for r in sf.query("SELECT Name FROM Account")["records"]]
        assert names == ["First", "Second", "Before", "After"]


class TestSingleRecord:
    def test_refused_line_item_leaves_its_opportunity_untouched(self, sf: Salesforce, admin: httpx.Client) -> None:
        ids = _setup(sf)
        before = _org(admin)
        with pytest.raises(SalesforceMalformedRequest):
            sf.OpportunityLineItem.create({"OpportunityId": ids["opp"], "PricebookEntryId": ids["entry"],
                                           "Quantity": 0, "UnitPrice": 100})
        assert _org(admin) == before

    def test_roll_up_of_a_stored_line_is_kept(self, sf: Salesforce) -> None:
        ids = _setup(sf)
        sf.OpportunityLineItem.create({"OpportunityId": ids["opp"], "PricebookEntryId": ids["entry"],
                                       "Quantity": 3, "UnitPrice": 100})
        opp = sf.Opportunity.get(ids["opp"])
        assert (opp["HasOpportunityLineItem"], opp["Amount"]) == (True, 300.0)
        assert opp["Pricebook2Id"] == sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]


class TestNestedTransactions:
    """The store's savepoints directly: an inner rollback keeps the outer block's work, an outer one undoes all."""

    @staticmethod
    def _accounts(state: OrgState) -> list[tuple[str, str]]:
        return [(r["Id"], r["Name"]) for r in state.rows("Account")]

    def test_inner_rollback_keeps_outer_changes(self) -> None:
        state = OrgState()
        kept = dml.create(state, "Account", {"Name": "Kept"})
        with state.transaction():
            dml.update(state, "Account", kept, {"Name": "Outer"})
            with pytest.raises(SalesforceError), state.transaction():
                dml.delete(state, "Account", kept)
                dml.create(state, "Account", {"Name": "Inner"})
                dml.create(state, "Account", {})
        assert self._accounts(state) == [(kept, "Outer")]
        assert state.recycle == {}

    def test_outer_rollback_undoes_committed_inner_blocks(self) -> None:
        state = OrgState()
        first = dml.create(state, "Account", {"Name": "A"})
        second = dml.create(state, "Account", {"Name": "B"})
        third = dml.create(state, "Account", {"Name": "C"})
        before = self._accounts(state)
        with pytest.raises(RuntimeError), state.transaction():
            with state.transaction():
                dml.delete(state, "Account", second)
            with state.transaction():
                dml.delete(state, "Account", first)
                dml.update(state, "Account", third, {"Name": "Changed"})
            dml.create(state, "Account", {"Name": "D"})
            raise RuntimeError("abort")
        assert self._accounts(state) == before
        assert state.recycle == {}

    def test_after_the_outer_commit_a_new_block_cannot_undo_it(self) -> None:
        state = OrgState()
        with state.transaction():
            kept = dml.create(state, "Account", {"Name": "Kept"})
        with pytest.raises(RuntimeError), state.transaction():
            dml.update(state, "Account", kept, {"Name": "Lost"})
            raise RuntimeError("abort")
        assert self._accounts(state) == [(kept, "Kept")]
