"""Quote to cash through the official ``simple-salesforce`` SDK, over HTTPS, against the sandbox org.

Sales sets up a customer and a catalogue (products, the standard price book that every org has, a partner
price book), builds an opportunity with line items, and reads it back with the account name and the lines
in one query. The connector upserts by external id (create, then update, same record). The deal closes:
the workflow Outbound Message reaches our listener, which acknowledges it. The deal is amended (more
seats), a contract and an order are created in one composite call, and every figure reads back consistent.
"""

from __future__ import annotations

from typing import Any

import httpx
from simple_salesforce import Salesforce


def _catalogue(sf: Salesforce) -> dict[str, str]:
    standard = sf.query("SELECT Id, Name FROM Pricebook2 WHERE IsStandard = true")
    assert standard["totalSize"] == 1 and standard["records"][0]["Name"] == "Standard Price Book"
    std_id = standard["records"][0]["Id"]
    seats = sf.Product2.create({"Name": "Seats", "ProductCode": "SEAT", "IsActive": True})["id"]
    support = sf.Product2.create({"Name": "Support", "ProductCode": "SUP", "IsActive": True})["id"]
    partner = sf.Pricebook2.create({"Name": "Partner 2025", "IsActive": True})["id"]
    for product, price in ((seats, 100), (support, 50)):
        sf.PricebookEntry.create({"Pricebook2Id": std_id, "Product2Id": product, "UnitPrice": price,
                                  "IsActive": True})
    seats_pbe = sf.PricebookEntry.create({"Pricebook2Id": partner, "Product2Id": seats, "UnitPrice": 90,
                                          "IsActive": True})["id"]
    support_pbe = sf.PricebookEntry.create({"Pricebook2Id": partner, "Product2Id": support, "IsActive": True,
                                            "UseStandardPrice": True, "UnitPrice": 1})["id"]
    return {"partner": partner, "seats_pbe": seats_pbe, "support_pbe": support_pbe}


def _deal(sf: Salesforce, account: str, book: dict[str, str]) -> tuple[str, str]:
    opp = sf.Opportunity.create({"Name": "Acme 2025", "AccountId": account, "StageName": "Proposal/Price Quote",
                                 "CloseDate": "2025-06-30", "Pricebook2Id": book["partner"]})["id"]
    seats = sf.OpportunityLineItem.create({"OpportunityId": opp, "PricebookEntryId": book["seats_pbe"],
                                           "Quantity": 10, "UnitPrice": 90})["id"]
    sf.OpportunityLineItem.create({"OpportunityId": opp, "PricebookEntryId": book["support_pbe"], "Quantity": 2,
                                   "UnitPrice": 50, "Discount": 10})
    return opp, seats


def _read_back(sf: Salesforce, opp: str) -> dict[str, Any]:
    result = sf.query(
        "SELECT Id, Name, Amount, StageName, Account.Name, (SELECT Quantity, UnitPrice, TotalPrice, "
        "PricebookEntry.Product2.Name FROM OpportunityLineItems ORDER BY TotalPrice DESC) "
        f"FROM Opportunity WHERE Id = '{opp}'")
    assert result["totalSize"] == 1 and result["done"] is True
    return dict(result["records"][0])


class TestQuoteToCash:
    def test_story(self, sf: Salesforce, admin: httpx.Client, listen: Any) -> None:
        listener, url = listen()
        admin.post("/__sandbox/outbound-messages", json={"urls": [url]}).raise_for_status()
        account = sf.Account.create({"Name": "Acme Corp", "BillingCountry": "US"})["id"]
        book = _catalogue(sf)
        opp, seats_line = _deal(sf, account, book)

        row = _read_back(sf, opp)
        assert row["Account"]["Name"] == "Acme Corp"
        lines = row["OpportunityLineItems"]["records"]
        assert [(li["PricebookEntry"]["Product2"]["Name"], li["Quantity"], li["TotalPrice"]) for li in lines] == [
            ("Seats", 10.0, 900.0), ("Support", 2.0, 90.0)]  # 2 x 50 less 10 % = 90
        assert row["Amount"] == 990.0

        # The connector's idempotent write: upsert by external id creates once, then updates the same record.
        assert sf.Account.upsert("Revflow_Id__c/acct-42", {"Name": "Globex"}) == 201
        assert sf.Account.upsert("Revflow_Id__c/acct-42", {"Name": "Globex Inc"}) == 200
        globex = sf.Account.get_by_custom_id("Revflow_Id__c", "acct-42")
        assert globex["Name"] == "Globex Inc"
        assert sf.query("SELECT COUNT() FROM Account WHERE Revflow_Id__c = 'acct-42'")["totalSize"] == 1

        # Closed won: the Outbound Message arrives and is acknowledged on the first attempt.
        assert sf.Opportunity.update(opp, {"StageName": "Closed Won"}) == 204
        (note,) = listener.wait_for(1)
        assert note.sobject_type == "sf:Opportunity" and note.notification_id.startswith("04l")
        assert note.organization_id.startswith("00D") and len(note.organization_id) == 18
        assert note.fields["Id"] == opp and note.fields["StageName"] == "Closed Won"
        assert note.fields["IsWon"] == "true" and float(note.fields["Amount"]) == 990.0
        assert note.fields["AccountId"] == account
        assert admin.post("/__sandbox/outbound-messages/flush").json() == {"idle": True}
        log = admin.get("/__sandbox/outbound-messages").json()["deliveries"]
        assert [(d["notification_id"], d["attempt"], d["acked"]) for d in log] == [(note.notification_id, 1, True)]

        # Amend: two more seats; the line total and the opportunity amount follow.
        assert sf.OpportunityLineItem.update(seats_line, {"Quantity": 12}) == 204
        line = sf.OpportunityLineItem.get(seats_line)
        assert (line["Quantity"], line["UnitPrice"], line["TotalPrice"]) == (12.0, 90.0, 1080.0)
        won = sf.Opportunity.get(opp)
        assert (won["Amount"], won["IsWon"], won["IsClosed"], won["Probability"]) == (1170.0, True, True, 100.0)

        self._contract_and_order(sf, account, opp)
        admin.post("/__sandbox/outbound-messages/flush")
        assert len(listener.received) == 1  # editing a won deal does not re-fire the workflow

    def _contract_and_order(self, sf: Salesforce, account: str, opp: str) -> None:
        base = "/services/data/v62.0/sobjects"
        response = sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
            {"method": "POST", "url": f"{base}/Contract", "referenceId": "contract",
             "body": {"AccountId": account, "StartDate": "2025-07-01", "ContractTerm": 12}},
            {"method": "POST", "url": f"{base}/Order", "referenceId": "order",
             "body": {"AccountId": account, "ContractId": "@{contract.id}", "OpportunityId": opp,
                      "EffectiveDate": "2025-07-01", "Status": "Draft"}},
            {"method": "GET", "url": f"{base}/Contract/@{{contract.id}}?fields=EndDate,Status,ContractNumber",
             "referenceId": "readContract"},
        ]})
        results = {r["referenceId"]: r for r in response["compositeResponse"]}
        assert [r["httpStatusCode"] for r in response["compositeResponse"]] == [201, 201, 200]
        contract = results["readContract"]["body"]
        # 12 months from 2025-07-01 end the day before the anniversary.
        assert contract["EndDate"] == "2026-06-30"
        assert contract["Status"] == "Draft" and contract["ContractNumber"].isdigit()
        orders = sf.query(f"SELECT Id, Contract.Id, Account.Name FROM Order WHERE OpportunityId = '{opp}'")
        assert orders["totalSize"] == 1
        assert orders["records"][0]["Contract"]["Id"] == results["contract"]["body"]["id"]
        assert orders["records"][0]["Account"]["Name"] == "Acme Corp"

