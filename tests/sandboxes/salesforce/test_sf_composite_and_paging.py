"""Composite (references, allOrNone rollback), sObject collections, and queryMore paging through the SDK."""

from __future__ import annotations

from typing import Any

from simple_salesforce import Salesforce

BASE = "/services/data/v62.0/sobjects"


def _accounts(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"attributes": {"type": "Account"}, "Name": f"Acct {i:04d}"} for i in range(start, start + n)]


class TestComposite:
    def test_all_or_none_failure_rolls_back_and_halts_the_rest(self, sf: Salesforce) -> None:
        response = sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
            {"method": "POST", "url": f"{BASE}/Account", "referenceId": "acct", "body": {"Name": "Kept?"}},
            {"method": "POST", "url": f"{BASE}/Contact", "referenceId": "bad", "body": {"AccountId": "@{acct.id}"}},
            {"method": "GET", "url": f"{BASE}/Account/@{{acct.id}}", "referenceId": "after"},
        ]})
        items = response["compositeResponse"]
        assert [i["httpStatusCode"] for i in items] == [400, 400, 400]
        assert items[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
        assert {items[0]["body"][0]["errorCode"], items[2]["body"][0]["errorCode"]} == {"PROCESSING_HALTED"}
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0

    def test_without_all_or_none_successes_stay(self, sf: Salesforce) -> None:
        response = sf.restful("composite", method="POST", json={"compositeRequest": [
            {"method": "POST", "url": f"{BASE}/Account", "referenceId": "ok", "body": {"Name": "Kept"}},
            {"method": "POST", "url": f"{BASE}/Account", "referenceId": "bad", "body": {}},
            {"method": "PATCH", "url": f"{BASE}/Account/@{{bad.id}}", "referenceId": "dependent", "body": {}},
            {"method": "GET", "url": "/services/data/v62.0/query?q=SELECT+Name+FROM+Account", "referenceId": "q"},
        ]})
        codes = [i["httpStatusCode"] for i in response["compositeResponse"]]
        assert codes == [201, 400, 400, 200]
        assert response["compositeResponse"][2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
        assert [r["Name"] for r in response["compositeResponse"][3]["body"]["records"]] == ["Kept"]


class TestCollections:
    def test_create_update_upsert_delete(self, sf: Salesforce) -> None:
        created = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
            *_accounts(2), {"attributes": {"type": "Account"}}]})
        assert [r["success"] for r in created] == [True, True, False]
        assert created[2]["errors"][0] == {"message": "Required fields are missing: [Name]",
                                           "statusCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}
        ids = [r["id"] for r in created[:2]]
        updated = sf.restful("composite/sobjects", method="PATCH", json={"records": [
            {"attributes": {"type": "Account"}, "id": ids[0], "Phone": "555"}]})
        assert updated == [{"id": ids[0], "success": True, "errors": []}]
        upserted = sf.restful("composite/sobjects/Account/Revflow_Id__c", method="PATCH", json={"records": [
            {"attributes": {"type": "Account"}, "Revflow_Id__c": "u1", "Name": "U1"}]})
        assert upserted[0]["created"] is True and upserted[0]["success"] is True
        removed = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids)})
        assert [r["id"] for r in removed] == ids
        assert sf.query("SELECT Name, Phone FROM Account")["records"][0]["Name"] == "U1"

    def test_all_or_none_rolls_back_every_record(self, sf: Salesforce) -> None:
        result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": [
            *_accounts(2), {"attributes": {"type": "Account"}, "Bogus": 1}]})
        assert [r["errors"][0]["statusCode"] for r in result] == [
            "ALL_OR_NONE_OPERATION_ROLLED_BACK", "ALL_OR_NONE_OPERATION_ROLLED_BACK", "INVALID_FIELD"]
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0

    def test_more_than_200_records_is_refused(self, sf: Salesforce) -> None:
        response = sf.session.post(f"{sf.base_url}composite/sobjects", headers=sf.headers,
                                   json={"records": _accounts(201)})
        assert response.status_code == 400 and response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


class TestQueryMore:
    def test_batches_follow_next_records_url(self, sf: Salesforce) -> None:
        for start in (0, 200, 400):
            sf.restful("composite/sobjects", method="POST", json={"records": _accounts(200 if start < 400 else 50,
                                                                                       start)})
        first = sf.query("SELECT Name FROM Account ORDER BY Name", headers={"Sforce-Query-Options": "batchSize=200"})
        assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
        assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
        names = [r["Name"] for r in sf.query_all("SELECT Name FROM Account ORDER BY Name")["records"]]
        assert names == [f"Acct {i:04d}" for i in range(450)]
        pages, url, seen = 1, first["nextRecordsUrl"], [r["Name"] for r in first["records"]]
        while url:
            page = sf.query_more(url, identifier_is_url=True, headers={"Sforce-Query-Options": "batchSize=200"})
            seen += [r["Name"] for r in page["records"]]
            pages, url = pages + 1, page.get("nextRecordsUrl")
        assert (pages, seen) == (3, names)

    def test_batch_size_below_the_minimum_is_raised_to_200(self, sf: Salesforce) -> None:
        sf.restful("composite/sobjects", method="POST", json={"records": _accounts(30)})
        page = sf.query("SELECT Id FROM Account", headers={"Sforce-Query-Options": "batchSize=10"})
        assert (page["done"], len(page["records"])) == (True, 30)  # below the 200 minimum: one batch
