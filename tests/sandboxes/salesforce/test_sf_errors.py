"""Salesforce's error arrays and the SDK's exception types for them; bad input is never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)


def _error(exc: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    content = exc.value.content
    assert isinstance(content, list) and len(content) == 1, content
    return dict(content[0])


class TestSdkExceptions:
    def test_not_found(self, sf: Salesforce) -> None:
        with pytest.raises(SalesforceResourceNotFound) as exc:
            sf.Account.get("001" + "5g000ZZZZZZZ")
        assert _error(exc)["errorCode"] == "NOT_FOUND"

    def test_deleted_record(self, sf: Salesforce) -> None:
        account = sf.Account.create({"Name": "Gone"})["id"]
        assert sf.Account.delete(account) == 204
        with pytest.raises(SalesforceResourceNotFound) as exc:
            sf.Account.get(account)
        assert _error(exc)["errorCode"] == "ENTITY_IS_DELETED"
        assert sf.query_all("SELECT Id FROM Account", include_deleted=True)["totalSize"] == 1
        assert sf.query("SELECT Id FROM Account")["totalSize"] == 0

    def test_malformed_query(self, sf: Salesforce) -> None:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.query("SELECT Id FROM Account WHERE Name = 'a' AND Phone = 'b' OR Website = 'c'")
        error = _error(exc)
        assert error["errorCode"] == "MALFORMED_QUERY" and "unexpected token: OR" in error["message"]

    def test_expired_session(self, make_sf: Any) -> None:
        with pytest.raises(SalesforceExpiredSession) as exc:
            make_sf(session_id="00Dxx0000000000!bogus").query("SELECT Id FROM Account")
        assert _error(exc) == {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}

    def test_throttling_fault_is_403_request_limit_exceeded(self, sf: Salesforce, admin: httpx.Client) -> None:
        admin.post("/__sandbox/faults", json={"route": "GET .*/query", "rate_limit_rate": 1.0}).raise_for_status()
        with pytest.raises(SalesforceRefusedRequest) as exc:
            sf.query("SELECT Id FROM Account")
        assert exc.value.status == 403 and _error(exc)["errorCode"] == "REQUEST_LIMIT_EXCEEDED"

    def test_multiple_external_id_matches_is_300(self, sf: Salesforce) -> None:
        for name in ("A", "B"):
            sf.Account.create({"Name": name, "Legacy_Id__c": "L-1"})
        with pytest.raises(SalesforceMoreThanOneRecord) as exc:
            sf.Account.upsert("Legacy_Id__c/L-1", {"Name": "C"})
        assert len(exc.value.content) == 2
        assert all(url.startswith("/services/data/v62.0/sobjects/Account/001") for url in exc.value.content)


class TestBadInput:
    def test_unknown_field(self, sf: Salesforce) -> None:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Account.create({"Name": "x", "Colour__c": "red"})
        assert _error(exc) == {"message": "No such column 'Colour__c' on sobject of type Account",
                               "errorCode": "INVALID_FIELD", "fields": ["Colour__c"]}

    def test_required_fields_listed(self, sf: Salesforce) -> None:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Opportunity.create({"Name": "No stage"})
        error = _error(exc)
        assert error["errorCode"] == "REQUIRED_FIELD_MISSING"
        assert sorted(error["fields"]) == ["CloseDate", "StageName"]

    @pytest.mark.parametrize("body", [{"Name": "x", "NumberOfEmployees": "many"}, {"Name": "x", "AnnualRevenue": True},
                                      {"Name": ["x"]}, {"Name": "x", "NumberOfEmployees": 1.5}])
    def test_wrong_types(self, sf: Salesforce, body: dict[str, Any]) -> None:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Account.create(body)
        assert _error(exc)["errorCode"] == "JSON_PARSER_ERROR"

    def test_read_only_and_bad_reference(self, sf: Salesforce) -> None:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Opportunity.create({"Name": "x", "StageName": "Prospecting", "CloseDate": "2025-01-01", "IsWon": True})
        assert _error(exc)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
        product = sf.Product2.create({"Name": "P"})["id"]
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Contact.create({"LastName": "x", "AccountId": product})
        assert _error(exc)["errorCode"] == "MALFORMED_ID" and _error(exc)["fields"] == ["AccountId"]

    def test_duplicate_external_id(self, sf: Salesforce) -> None:
        sf.Account.create({"Name": "a", "Revflow_Id__c": "dup"})
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Account.create({"Name": "b", "Revflow_Id__c": "dup"})
        assert _error(exc)["errorCode"] == "DUPLICATE_VALUE"

    def test_custom_price_needs_standard_price(self, sf: Salesforce) -> None:
        product = sf.Product2.create({"Name": "P"})["id"]
        book = sf.Pricebook2.create({"Name": "Custom"})["id"]
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.PricebookEntry.create({"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 5})
        assert _error(exc)["errorCode"] == "STANDARD_PRICE_NOT_DEFINED"

    @pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
        ("POST", "sobjects/Account", b"{not json", 400, "JSON_PARSER_ERROR"),
        ("POST", "sobjects/Account", b"[1, 2]", 400, "JSON_PARSER_ERROR"),
        ("POST", "sobjects/Widget__c", b"{}", 404, "NOT_FOUND"),
        ("PUT", "sobjects/Account/0015g000ZZZZZZZ", b"{}", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "query", b"", 400, "MALFORMED_QUERY"),
        ("GET", "query/01gXXXX-2000", b"", 400, "INVALID_QUERY_LOCATOR"),
        ("GET", "nothing/here", b"", 404, "NOT_FOUND"),
        ("POST", "composite", b'{"compositeRequest": "x"}', 400, "JSON_PARSER_ERROR"),
    ])
    def test_raw_bad_requests(self, http: requests.Session, server: Any, token: str, method: str, path: str,
                              body: bytes, status: int, code: str) -> None:
        response = http.request(method, f"{server.url}/services/data/v62.0/{path}", data=body,
                                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert response.status_code == status
        assert response.json()[0]["errorCode"] == code
        assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


class TestLimits:
    def test_usage_header_counts_calls(self, sf: Salesforce) -> None:
        sf.query("SELECT Id FROM Account")
        first = sf.api_usage["api-usage"].used
        sf.query("SELECT Id FROM Account")
        assert sf.api_usage["api-usage"].used == first + 1 and sf.api_usage["api-usage"].total == 15000
