"""Properties the portal has without any configuration, through the official SDK.

HubSpot's default company address properties (``address``, ``address2``, ``city``, ``state``, ``zip``,
``country``); the deal finance properties of a portal prepared for revflow (``revflow_invoice_status``, an
enumeration; ``revflow_subscription_id``; ``revflow_revenue_recognized``, a number); the links of renewals and
amendments (``revflow_renews_deal_id``, ``revflow_amends_deal_id``, ``revflow_amendment_effective_date``, a date;
on line items ``revflow_amendment_action``, an enumeration, and ``revflow_amends_line_item_id``); HubSpot's
``closed_lost_reason``; the roles of a contact (``revflow_contact_roles``, a multiple-checkboxes enumeration whose
options are separated by ``;``); and the line item billing
terms HubSpot has (``hs_recurring_billing_start_date``, ``hs_recurring_billing_end_date``,
``hs_recurring_billing_period``, ``recurringbillingfrequency``). Each is stored as HubSpot stores it (a string,
numbers normalised, dates as ``YYYY-MM-DD``), searchable, and validated with HubSpot's error codes. The session's
sandbox is created with no custom properties.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm import companies, contacts, deals, line_items
from hubspot.crm.deals import ApiException

ADDRESS = {"name": "Acme Corp", "address": "1 Market St", "address2": "Floor 3", "city": "San Francisco",
           "state": "CA", "zip": "94105", "country": "US"}


def _errors(exc: pytest.ExceptionInfo[ApiException]) -> list[tuple[str, list[str]]]:
    body = json.loads(exc.value.body)
    assert exc.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    return [(e["code"], e["context"]["propertyName"]) for e in body["errors"]]


def _deal(client: HubSpot) -> str:
    created = client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(
        properties={"dealname": "Acme 2024", "closedate": "2024-03-28T00:00:00.000Z"}))
    return str(created.id)


def _line(client: HubSpot, **props: str) -> Any:
    return client.crm.line_items.basic_api.create(line_items.SimplePublicObjectInputForCreate(
        properties={"name": "Seats", "hs_sku": "SEAT", "price": "100", "quantity": "1", **props}))


class TestCompanyAddress:
    def test_address_properties_are_stored_and_read_back(self, client: HubSpot) -> None:
        created = client.crm.companies.basic_api.create(companies.SimplePublicObjectInputForCreate(properties=ADDRESS))
        read = client.crm.companies.basic_api.get_by_id(created.id, properties=list(ADDRESS))
        assert {k: read.properties[k] for k in ADDRESS} == ADDRESS

    def test_upsert_by_revflow_key_sets_and_clears_them(self, client: HubSpot) -> None:
        upsert = companies.SimplePublicObjectBatchInputUpsert(id="ACME-001", id_property="revflow_external_id",
                                                              properties=ADDRESS)
        batch = companies.BatchInputSimplePublicObjectBatchInputUpsert(inputs=[upsert])
        client.crm.companies.batch_api.upsert(batch)
        batch.inputs[0].properties = {**ADDRESS, "address2": ""}
        client.crm.companies.batch_api.upsert(batch)
        read = client.crm.companies.basic_api.get_by_id("ACME-001", id_property="revflow_external_id",
                                                        properties=list(ADDRESS))
        assert {k: read.properties[k] for k in ADDRESS} == {**ADDRESS, "address2": None}


class TestDealFinance:
    def test_finance_properties_are_stored_normalised_and_cleared(self, client: HubSpot) -> None:
        deal = _deal(client)
        names = ["revflow_invoice_status", "revflow_subscription_id", "revflow_revenue_recognized"]
        client.crm.deals.basic_api.update(deal, deals.SimplePublicObjectInput(properties={
            "revflow_invoice_status": "paid", "revflow_subscription_id": "sub_1OaBcD",
            "revflow_revenue_recognized": "1200.50"}))
        read = client.crm.deals.basic_api.get_by_id(deal, properties=names)
        assert {k: read.properties[k] for k in names} == {"revflow_invoice_status": "paid",
                                                          "revflow_subscription_id": "sub_1OaBcD",
                                                          "revflow_revenue_recognized": "1200.5"}
        client.crm.deals.basic_api.update(deal, deals.SimplePublicObjectInput(properties={
            "revflow_subscription_id": "", "revflow_revenue_recognized": ""}))
        read = client.crm.deals.basic_api.get_by_id(deal, properties=names)
        assert [read.properties[k] for k in names] == ["paid", None, None]

    def test_bad_values_are_refused_naming_each_property(self, client: HubSpot) -> None:
        deal = _deal(client)
        with pytest.raises(ApiException) as exc:
            client.crm.deals.basic_api.update(deal, deals.SimplePublicObjectInput(properties={
                "revflow_invoice_status": "Paid", "revflow_revenue_recognized": "a lot"}))
        assert _errors(exc) == [("INVALID_OPTION", ["revflow_invoice_status"]),
                                ("INVALID_FLOAT", ["revflow_revenue_recognized"])]
        read = client.crm.deals.basic_api.get_by_id(deal, properties=["revflow_invoice_status"])
        assert read.properties["revflow_invoice_status"] is None

    def test_deals_are_searchable_by_invoice_status(self, client: HubSpot) -> None:
        paid, unpaid = _deal(client), _deal(client)
        client.crm.deals.basic_api.update(paid, deals.SimplePublicObjectInput(
            properties={"revflow_invoice_status": "paid"}))
        client.crm.deals.basic_api.update(unpaid, deals.SimplePublicObjectInput(
            properties={"revflow_invoice_status": "open"}))
        found = client.crm.deals.search_api.do_search(deals.PublicObjectSearchRequest(filter_groups=[
            deals.FilterGroup(filters=[deals.Filter(property_name="revflow_invoice_status", operator="EQ",
                                                    value="paid")])]))
        assert [r.id for r in found.results] == [paid]


class TestRenewalsAndAmendments:
    def test_links_are_stored_and_amendments_found_by_their_deal(self, client: HubSpot) -> None:
        booked, other = _deal(client), _deal(client)
        amendment = client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(properties={
            "dealname": "Acme +5", "closedate": "2024-09-15T00:00:00.000Z", "revflow_amends_deal_id": booked,
            "revflow_amendment_effective_date": "2024-10-01"})).id
        client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(properties={
            "dealname": "Acme renewal", "closedate": "2025-03-28T00:00:00.000Z", "revflow_renews_deal_id": other,
            "closed_lost_reason": "Budget"}))
        found = client.crm.deals.search_api.do_search(deals.PublicObjectSearchRequest(
            filter_groups=[deals.FilterGroup(filters=[deals.Filter(property_name="revflow_amends_deal_id",
                                                                   operator="EQ", value=booked)])],
            properties=["revflow_amendment_effective_date"]))
        assert [(r.id, r.properties["revflow_amendment_effective_date"]) for r in found.results] == [
            (amendment, "2024-10-01")]
        line = _line(client, revflow_amendment_action="update", revflow_amends_line_item_id="1234")
        read = client.crm.line_items.basic_api.get_by_id(line.id, properties=["revflow_amendment_action",
                                                                               "revflow_amends_line_item_id"])
        assert (read.properties["revflow_amendment_action"], read.properties["revflow_amends_line_item_id"]) == (
            "update", "1234")

    def test_bad_action_and_effective_date_are_refused(self, client: HubSpot) -> None:
        with pytest.raises(line_items.ApiException) as exc:
            _line(client, revflow_amendment_action="upgrade")
        assert _errors(exc) == [("INVALID_OPTION", ["revflow_amendment_action"])]
        with pytest.raises(ApiException) as exc:
            client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(properties={
                "dealname": "Acme +5", "revflow_amendment_effective_date": "01/10/2024"}))
        assert _errors(exc) == [("INVALID_DATE", ["revflow_amendment_effective_date"])]


class TestLineItemTerms:
    TERMS = {"hs_recurring_billing_start_date": "2024-04-01", "hs_recurring_billing_end_date": "2026-03-31",
             "hs_recurring_billing_period": "P24M", "recurringbillingfrequency": "quarterly"}

    def test_terms_are_stored_and_searchable_by_end_date(self, client: HubSpot) -> None:
        long = _line(client, **self.TERMS)
        short = _line(client, hs_recurring_billing_start_date="2024-04-01",
                      hs_recurring_billing_end_date="1727654400000")  # epoch ms of 2024-09-30, as HubSpot accepts
        read = client.crm.line_items.basic_api.get_by_id(long.id, properties=list(self.TERMS))
        assert {k: read.properties[k] for k in self.TERMS} == self.TERMS
        shorter = client.crm.line_items.basic_api.get_by_id(short.id, properties=["hs_recurring_billing_end_date"])
        assert shorter.properties["hs_recurring_billing_end_date"] == "2024-09-30"
        found = client.crm.line_items.search_api.do_search(line_items.PublicObjectSearchRequest(filter_groups=[
            line_items.FilterGroup(filters=[line_items.Filter(property_name="hs_recurring_billing_end_date",
                                                              operator="LT", value="2025-01-01")])]))
        assert [r.id for r in found.results] == [short.id]

    def test_bad_end_date_and_frequency_are_refused(self, client: HubSpot) -> None:
        with pytest.raises(line_items.ApiException) as exc:
            _line(client, hs_recurring_billing_end_date="31/03/2026", recurringbillingfrequency="yearly")
        assert _errors(exc) == [("INVALID_DATE", ["hs_recurring_billing_end_date"]),
                                ("INVALID_OPTION", ["recurringbillingfrequency"])]
        with pytest.raises(line_items.ApiException) as exc:
            _line(client, hs_recurring_billing_end_date="2026-03-31T10:00:00Z")
        assert _errors(exc) == [("INVALID_DATE", ["hs_recurring_billing_end_date"])]
        assert client.crm.line_items.basic_api.get_page().results == []


class TestContactRoles:
    def test_several_options_are_stored_and_cleared(self, client: HubSpot) -> None:
        created = client.crm.contacts.basic_api.create(contacts.SimplePublicObjectInputForCreate(properties={
            "email": "ap@acme.example", "lastname": "Whitfield", "revflow_contact_roles": "primary;billing"}))
        read = client.crm.contacts.basic_api.get_by_id(created.id, properties=["revflow_contact_roles"])
        assert read.properties["revflow_contact_roles"] == "primary;billing"
        client.crm.contacts.basic_api.update(created.id, contacts.SimplePublicObjectInput(
            properties={"revflow_contact_roles": ""}))
        read = client.crm.contacts.basic_api.get_by_id(created.id, properties=["revflow_contact_roles"])
        assert read.properties["revflow_contact_roles"] is None

    def test_an_unknown_option_is_refused_and_a_single_choice_takes_one(self, client: HubSpot) -> None:
        with pytest.raises(contacts.ApiException) as exc:
            client.crm.contacts.basic_api.create(contacts.SimplePublicObjectInputForCreate(properties={
                "email": "ap@acme.example", "revflow_contact_roles": "billing;boss"}))
        assert _errors(exc) == [("INVALID_OPTION", ["revflow_contact_roles"])]
        assert "boss" in json.loads(exc.value.body)["errors"][0]["message"]
        with pytest.raises(ApiException) as exc:
            client.crm.deals.basic_api.create(deals.SimplePublicObjectInputForCreate(properties={
                "dealname": "Acme", "revflow_invoice_status": "paid;open"}))
        assert _errors(exc) == [("INVALID_OPTION", ["revflow_invoice_status"])]
        assert client.crm.contacts.basic_api.get_page().results == []
