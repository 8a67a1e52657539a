"""The custom fields of an org prepared for revflow, through the official SDK, like the org's standard fields.

Opportunity carries the finance status revflow writes back (``Revflow_Invoice_Status__c``, a restricted
picklist; ``Revflow_Subscription_Id__c``; ``Revflow_Revenue_Recognized__c``, currency); OpportunityLineItem the
service end and billing frequency sales enters (``Service_End_Date__c``; ``Billing_Frequency__c``, a restricted
picklist). Renewals and amendments link to the deal they continue or change (``Renewed_Opportunity__c``,
``Amended_Opportunity__c``: lookups to Opportunity; ``Amendment_Effective_Date__c``), lost deals say why
(``Loss_Reason__c``), and amendment lines say what they change (``Amendment_Action__c``, a restricted picklist;
``Amended_Line_Id__c``). Products say how they bill (``Product2.Billing_Frequency__c``) and contacts what they are
for (``Contact.Revflow_Contact_Roles__c``, a restricted multi-select picklist: ``;``-separated values, filtered with
SOQL's ``INCLUDES`` and ``EXCLUDES``). ``describe`` reports them, SOQL selects, filters and sorts on them, and
create, update and upsert store them with Salesforce's type checks and errors.
"""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

FINANCE = {"Revflow_Invoice_Status__c": "Paid", "Revflow_Subscription_Id__c": "sub_1OaBcD",
           "Revflow_Revenue_Recognized__c": 1200.5}


def _error(exc: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    content = exc.value.content
    assert isinstance(content, list) and len(content) == 1, content
    return dict(content[0])


def _deal(sf: Salesforce) -> tuple[str, str, str]:
    """An opportunity with one line on the standard price book; returns (opportunity, price book entry, line)."""
    book = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    product = sf.Product2.create({"Name": "Seats", "ProductCode": "SEAT", "IsActive": True})["id"]
    entry = sf.PricebookEntry.create({"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 100,
                                      "IsActive": True})["id"]
    opp = sf.Opportunity.create({"Name": "Acme", "StageName": "Prospecting", "CloseDate": "2024-03-28"})["id"]
    line = sf.OpportunityLineItem.create({"OpportunityId": opp, "PricebookEntryId": entry, "Quantity": 1,
                                          "UnitPrice": 100, "ServiceDate": "2024-04-01",
                                          "Service_End_Date__c": "2026-03-31", "Billing_Frequency__c": "Quarterly"})
    return opp, entry, line["id"]


class TestDescribe:
    def test_opportunity_finance_fields(self, sf: Salesforce) -> None:
        fields = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
        status = fields["Revflow_Invoice_Status__c"]
        assert (status["type"], status["custom"], status["restrictedPicklist"], status["soapType"]) == (
            "picklist", True, True, "xsd:string")
        assert [v["value"] for v in status["picklistValues"]] == ["Draft", "Open", "Paid", "Void", "Uncollectible"]
        assert (fields["Revflow_Subscription_Id__c"]["type"], fields["Revflow_Subscription_Id__c"]["length"]) == (
            "string", 255)
        revenue = fields["Revflow_Revenue_Recognized__c"]
        assert (revenue["type"], revenue["soapType"], revenue["scale"], revenue["custom"]) == (
            "currency", "xsd:double", 2, True)
        assert all(fields[name]["nillable"] and fields[name]["updateable"] for name in FINANCE)

    def test_line_service_end_and_billing_frequency(self, sf: Salesforce) -> None:
        fields = {f["name"]: f for f in sf.OpportunityLineItem.describe()["fields"]}
        end = fields["Service_End_Date__c"]
        assert (end["type"], end["soapType"], end["custom"], end["label"]) == ("date", "xsd:date", True,
                                                                              "Service End Date")
        frequency = fields["Billing_Frequency__c"]
        assert (frequency["type"], frequency["restrictedPicklist"]) == ("picklist", True)
        assert [v["value"] for v in frequency["picklistValues"]] == [
            "Monthly", "Quarterly", "Semiannual", "Annual", "One-time", "Usage"]
        assert "Billing_Frequency__c" not in {f["name"] for f in sf.Opportunity.describe()["fields"]}


    def test_renewal_and_amendment_links(self, sf: Salesforce) -> None:
        fields = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
        for name, relationship in (("Renewed_Opportunity__c", "Renewed_Opportunity__r"),
                                   ("Amended_Opportunity__c", "Amended_Opportunity__r")):
            link = fields[name]
            assert (link["type"], link["referenceTo"], link["relationshipName"], link["custom"]) == (
                "reference", ["Opportunity"], relationship, True)
        assert (fields["Amendment_Effective_Date__c"]["type"], fields["Loss_Reason__c"]["type"]) == ("date", "string")
        lines = {f["name"]: f for f in sf.OpportunityLineItem.describe()["fields"]}
        assert [v["value"] for v in lines["Amendment_Action__c"]["picklistValues"]] == ["Add", "Update", "Remove"]
        assert (lines["Amended_Line_Id__c"]["type"], lines["Amended_Line_Id__c"]["length"]) == ("string", 18)


class TestWriteAndQuery:
    def test_line_fields_stored_on_create_and_update_and_queried(self, sf: Salesforce) -> None:
        opp, entry, line = _deal(sf)
        second = sf.OpportunityLineItem.create({"OpportunityId": opp, "PricebookEntryId": entry, "Quantity": 2,
                                                "UnitPrice": 100, "ServiceDate": "2024-04-01"})["id"]
        row = sf.query(f"SELECT Id, (SELECT Id, Service_End_Date__c, Billing_Frequency__c FROM OpportunityLineItems "
                       f"ORDER BY Service_End_Date__c NULLS LAST) FROM Opportunity WHERE Id = '{opp}'")["records"][0]
        assert [(r["Id"], r["Service_End_Date__c"], r["Billing_Frequency__c"])
                for r in row["OpportunityLineItems"]["records"]] == [(line, "2026-03-31", "Quarterly"),
                                                                     (second, None, None)]
        assert sf.OpportunityLineItem.update(second, {"Service_End_Date__c": "2025-03-31",
                                                      "Billing_Frequency__c": "One-time"}) == 204
        found = sf.query("SELECT Id FROM OpportunityLineItem WHERE Billing_Frequency__c IN ('One-time', 'Monthly') "
                         "AND Service_End_Date__c < 2026-01-01")
        assert [r["Id"] for r in found["records"]] == [second]
        assert sf.OpportunityLineItem.update(line, {"Service_End_Date__c": None}) == 204
        assert sf.OpportunityLineItem.get(line)["Service_End_Date__c"] is None

    def test_finance_fields_through_update_upsert_and_query(self, sf: Salesforce) -> None:
        opp, _, _ = _deal(sf)
        assert sf.Opportunity.update(opp, FINANCE) == 204
        read = sf.Opportunity.get(opp)
        assert {k: read[k] for k in FINANCE} == FINANCE
        assert sf.Opportunity.upsert("Revflow_Id__c/deal-9", {"Name": "Globex", "StageName": "Closed Won",
                                                              "CloseDate": "2024-05-01",
                                                              "Revflow_Invoice_Status__c": "Open"}) == 201
        assert sf.Opportunity.upsert("Revflow_Id__c/deal-9", {"Revflow_Revenue_Recognized__c": "300"}) == 200
        globex = sf.Opportunity.get_by_custom_id("Revflow_Id__c", "deal-9")
        assert (globex["Revflow_Invoice_Status__c"], globex["Revflow_Revenue_Recognized__c"]) == ("Open", 300.0)
        rows = sf.query("SELECT Name, Revflow_Revenue_Recognized__c FROM Opportunity "
                        "WHERE Revflow_Invoice_Status__c != null ORDER BY Revflow_Revenue_Recognized__c DESC")
        assert [(r["Name"], r["Revflow_Revenue_Recognized__c"]) for r in rows["records"]] == [("Acme", 1200.5),
                                                                                               ("Globex", 300.0)]

    def test_an_amendment_links_to_its_deal_and_is_found_by_the_link(self, sf: Salesforce) -> None:
        opp, entry, line = _deal(sf)
        amendment = sf.Opportunity.create({"Name": "Acme +5", "StageName": "Closed Won", "CloseDate": "2024-09-15",
                                           "Amended_Opportunity__c": opp,
                                           "Amendment_Effective_Date__c": "2024-10-01"})["id"]
        sf.OpportunityLineItem.create({"OpportunityId": amendment, "PricebookEntryId": entry, "Quantity": 15,
                                       "UnitPrice": 100, "Amendment_Action__c": "Update", "Amended_Line_Id__c": line})
        rows = sf.query(f"SELECT Id, Amendment_Effective_Date__c, Amended_Opportunity__r.Name, (SELECT "
                        f"Amendment_Action__c, Amended_Line_Id__c FROM OpportunityLineItems) FROM Opportunity "
                        f"WHERE Amended_Opportunity__c = '{opp}'")["records"]
        assert [(r["Id"], r["Amendment_Effective_Date__c"], r["Amended_Opportunity__r"]["Name"]) for r in rows] == [
            (amendment, "2024-10-01", "Acme")]
        assert [(li["Amendment_Action__c"], li["Amended_Line_Id__c"])
                for li in rows[0]["OpportunityLineItems"]["records"]] == [("Update", line)]

    def test_a_link_to_a_missing_deal_is_refused(self, sf: Salesforce) -> None:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Opportunity.create({"Name": "Renewal", "StageName": "Prospecting", "CloseDate": "2025-03-28",
                                   "Renewed_Opportunity__c": "006000000000000AAA"})
        assert _error(exc)["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


BAD_VALUES = [
    ("Opportunity", "Revflow_Invoice_Status__c", "paid", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
     "Revflow Invoice Status: bad value for restricted picklist field: paid"),
    ("Opportunity", "Revflow_Revenue_Recognized__c", "a lot", "JSON_PARSER_ERROR", "Cannot deserialize instance of "
                                                                                  "double from VALUE_STRING"),
    ("Opportunity", "Revflow_Subscription_Id__c", {"id": 1}, "JSON_PARSER_ERROR", "Cannot deserialize instance of "
                                                                                  "string from START_OBJECT"),
    ("Opportunity", "Revflow_Subscription_Id__c", "s" * 256, "STRING_TOO_LONG", "data value too large"),
    ("OpportunityLineItem", "Billing_Frequency__c", "Weekly", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
     "Billing Frequency: bad value for restricted picklist field: Weekly"),
    ("OpportunityLineItem", "Amendment_Action__c", "Upgrade", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
     "Amendment Action: bad value for restricted picklist field: Upgrade"),
    ("OpportunityLineItem", "Service_End_Date__c", "31/03/2026", "JSON_PARSER_ERROR", "Cannot deserialize instance "
                                                                                      "of date from VALUE_STRING"),
    ("OpportunityLineItem", "Service_End_Date__c", 20260331, "JSON_PARSER_ERROR", "Cannot deserialize instance of "
                                                                                  "date from VALUE_NUMBER"),
]


class TestTypeChecks:
    @pytest.mark.parametrize(("sobject", "field", "value", "code", "message"), BAD_VALUES,
                             ids=[f"{b[1]}={b[2]!r:.12}" for b in BAD_VALUES])
    def test_bad_value_is_refused_and_nothing_changes(self, sf: Salesforce, sobject: str, field: str, value: Any,
                                                      code: str, message: str) -> None:
        opp, _, line = _deal(sf)
        record_id = opp if sobject == "Opportunity" else line
        before = getattr(sf, sobject).get(record_id)[field]
        with pytest.raises(SalesforceMalformedRequest) as exc:
            getattr(sf, sobject).update(record_id, {field: value})
        error = _error(exc)
        assert error["errorCode"] == code and message in error["message"], error
        assert getattr(sf, sobject).get(record_id)[field] == before

    def test_bad_value_on_create_creates_nothing(self, sf: Salesforce) -> None:
        opp, entry, _ = _deal(sf)
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.OpportunityLineItem.create({"OpportunityId": opp, "PricebookEntryId": entry, "Quantity": 1,
                                           "UnitPrice": 100, "Billing_Frequency__c": "annual"})
        assert _error(exc)["fields"] == ["Billing_Frequency__c"]
        assert sf.query(f"SELECT COUNT() FROM OpportunityLineItem WHERE OpportunityId = '{opp}'")["totalSize"] == 1


class TestContactRolesAndProductFrequency:
    def test_describe_reports_them(self, sf: Salesforce) -> None:
        roles = {f["name"]: f for f in sf.Contact.describe()["fields"]}["Revflow_Contact_Roles__c"]
        assert (roles["type"], roles["soapType"], roles["restrictedPicklist"], roles["custom"], roles["length"]) == (
            "multipicklist", "xsd:string", True, True, 4099)
        assert [v["value"] for v in roles["picklistValues"]] == ["Primary", "Billing", "Shipping", "Technical",
                                                                 "Legal"]
        frequency = {f["name"]: f for f in sf.Product2.describe()["fields"]}["Billing_Frequency__c"]
        assert (frequency["type"], frequency["restrictedPicklist"]) == ("picklist", True)

    def test_roles_are_stored_and_filtered_with_includes_and_excludes(self, sf: Salesforce) -> None:
        billing = sf.Contact.create({"LastName": "Whitfield", "Revflow_Contact_Roles__c": "Primary;Billing"})["id"]
        legal = sf.Contact.create({"LastName": "Moore", "Revflow_Contact_Roles__c": "Legal"})["id"]
        sf.Contact.create({"LastName": "Nobody"})
        assert sf.Contact.get(billing)["Revflow_Contact_Roles__c"] == "Primary;Billing"

        def ids(where: str) -> list[str]:
            return [r["Id"] for r in sf.query(f"SELECT Id FROM Contact WHERE {where} ORDER BY Id")["records"]]

        assert ids("Revflow_Contact_Roles__c INCLUDES ('Billing')") == [billing]
        assert ids("Revflow_Contact_Roles__c INCLUDES ('Billing;Legal', 'Legal')") == [legal]
        assert ids("Revflow_Contact_Roles__c INCLUDES ('billing;primary')") == [billing]
        assert len(ids("Revflow_Contact_Roles__c EXCLUDES ('Billing')")) == 2
        assert sf.Contact.update(billing, {"Revflow_Contact_Roles__c": None}) == 204
        assert sf.Contact.get(billing)["Revflow_Contact_Roles__c"] is None

    def test_bad_role_frequency_and_operator_are_refused(self, sf: Salesforce) -> None:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Contact.create({"LastName": "Whitfield", "Revflow_Contact_Roles__c": "Billing;Boss"})
        error = _error(exc)
        assert (error["errorCode"], error["fields"]) == ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                                         ["Revflow_Contact_Roles__c"])
        assert "Boss" in error["message"]
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Product2.create({"Name": "Seats", "Billing_Frequency__c": "Weekly"})
        assert _error(exc)["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.query("SELECT Id FROM Contact WHERE LastName INCLUDES ('Moore')")
        assert _error(exc)["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
        assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0
