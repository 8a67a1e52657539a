"""Record service behaviour over HTTP with an independent oauthlib signer: 204 + Location, reads, upserts,
sublist updates, deletes, master-data rules, and NetSuite's error bodies."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandboxes.netsuite.signing import NetSuiteHttp

ERROR_TYPE = "application/vnd.oracle.resource+json; type=error"


def created_id(response: httpx.Response) -> str:
    assert response.status_code == 204, response.text
    assert response.content == b""
    return response.headers["location"].rsplit("/", 1)[-1]


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == ERROR_TYPE
    body = response.json()
    assert body["status"] == response.status_code and body["type"].startswith("https://www.rfc-editor.org/")
    return body["o:errorDetails"][0]


def seed(ns: NetSuiteHttp) -> tuple[str, str]:
    customer = created_id(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Acme"}))
    item = created_id(ns.request("POST", "/record/v1/nonInventorySaleItem",
                                 json_body={"itemId": "SKU-1", "basePrice": 25}))
    return customer, item


class TestCreate:
    def test_answers_204_with_location(self, ns: NetSuiteHttp) -> None:
        response = ns.request("POST", "/record/v1/customer", json_body={"companyName": "Acme"})
        assert response.status_code == 204
        assert response.headers["location"] == f"{ns.base}/services/rest/record/v1/customer/1"

    def test_record_type_is_case_insensitive(self, ns: NetSuiteHttp) -> None:
        customer, item = seed(ns)
        location = ns.request("POST", "/record/v1/salesorder", json_body={
            "entity": {"id": customer}, "item": {"items": [{"item": {"id": item}}]}}).headers["location"]
        assert "/record/v1/salesOrder/" in location

    def test_defaults_price_from_the_item(self, ns: NetSuiteHttp) -> None:
        customer, item = seed(ns)
        order = created_id(ns.request("POST", "/record/v1/salesOrder", json_body={
            "entity": {"id": customer}, "item": {"items": [{"item": {"id": item}, "quantity": 4}]}}))
        line = ns.request("GET", f"/record/v1/salesOrder/{order}/item").json()["items"][0]
        assert (line["rate"], line["amount"]) == (25.0, 100.0)

    def test_mandatory_field(self, ns: NetSuiteHttp) -> None:
        detail = error_of(ns.request("POST", "/record/v1/nonInventorySaleItem", json_body={"basePrice": 1}))
        assert detail == {"detail": "Please enter value(s) for: Item Name/Number", "o:errorCode": "USER_ERROR",
                          "o:errorPath": "itemId"}


class TestReferences:
    def test_unknown_item_is_refused_with_its_path(self, ns: NetSuiteHttp) -> None:
        customer, _ = seed(ns)
        response = ns.request("POST", "/record/v1/salesOrder", json_body={
            "entity": {"id": customer}, "item": {"items": [{"item": {"id": 9999}, "amount": 1}]}})
        assert response.status_code == 400
        # Oracle's documented example for exactly this request
        assert error_of(response) == {
            "detail": "Error while accessing resource: You have entered an Invalid Field Value 9999 for the "
                      "following field: item", "o:errorCode": "INVALID_CONTENT", "o:errorPath": "item.items[0].item"}

    def test_inactive_item_is_refused_naming_the_sku(self, ns: NetSuiteHttp) -> None:
        customer, item = seed(ns)
        assert ns.request("PATCH", f"/record/v1/nonInventorySaleItem/{item}",
                          json_body={"isInactive": True}).status_code == 204
        response = ns.request("POST", "/record/v1/invoice", json_body={
            "entity": {"id": customer}, "item": {"items": [{"item": {"id": item}, "quantity": 1}]}})
        detail = error_of(response)
        assert response.status_code == 400 and "SKU-1" in detail["detail"] and "inactive" in detail["detail"]
        assert detail["o:errorPath"] == "item.items[0].item"
        counts = httpx.get(f"{ns.base}/__sandbox/state").json()["counts"]
        assert counts["invoice"] == 0

    def test_reference_by_external_id(self, ns: NetSuiteHttp) -> None:
        ns.request("PUT", "/record/v1/customer/eid:C-9", json_body={"companyName": "Nine"})
        _, item = seed(ns)
        order = created_id(ns.request("POST", "/record/v1/salesOrder", json_body={
            "entity": {"externalId": "C-9"}, "item": {"items": [{"item": {"id": item}}]}}))
        entity = ns.request("GET", f"/record/v1/salesOrder/{order}").json()["entity"]
        assert entity["refName"] == "Nine"
        assert entity["links"][0]["href"].endswith(f"/record/v1/customer/{entity['id']}")


    def test_a_currency_reference_is_named_by_its_currency(self, ns: NetSuiteHttp) -> None:
        customer, item = seed(ns)
        names = {}
        for currency in ("1", "4", "5"):
            order = created_id(ns.request("POST", "/record/v1/salesOrder", json_body={
                "entity": {"id": customer}, "currency": {"id": currency}, "item": {"items": [{"item": {"id": item}}]}}))
            names[currency] = ns.request("GET", f"/record/v1/salesOrder/{order}").json()["currency"]["refName"]
        assert names == {"1": "USD", "4": "EUR", "5": "JPY"}


class TestUpsert:
    def test_retried_put_creates_nothing_new(self, ns: NetSuiteHttp) -> None:
        first = created_id(ns.request("PUT", "/record/v1/customer/eid:ACME", json_body={"companyName": "Acme"}))
        second = created_id(ns.request("PUT", "/record/v1/customer/eid:ACME", json_body={"companyName": "Acme"}))
        assert first == second
        assert httpx.get(f"{ns.base}/__sandbox/state").json()["counts"]["customer"] == 1

    def test_put_updates_and_reads_back_by_eid(self, ns: NetSuiteHttp) -> None:
        ns.request("PUT", "/record/v1/customer/eid:ACME", json_body={"companyName": "Acme"})
        ns.request("PUT", "/record/v1/customer/eid:ACME", json_body={"email": "ap@acme.test"})
        body = ns.request("GET", "/record/v1/customer/eid:ACME").json()
        assert (body["companyName"], body["email"], body["externalId"]) == ("Acme", "ap@acme.test", "ACME")

    def test_retried_upsert_with_replace_keeps_lines_once(self, ns: NetSuiteHttp) -> None:
        customer, item = seed(ns)
        body = {"entity": {"id": customer}, "item": {"items": [{"item": {"id": item}, "quantity": 2}]}}
        for _ in range(2):
            ns.request("PUT", "/record/v1/salesOrder/eid:SO-1", json_body=body, params={"replace": "item"})
        lines = ns.request("GET", "/record/v1/salesOrder/eid:SO-1/item").json()["items"]
        assert [(line["line"], line["quantity"]) for line in lines] == [(1, 2.0)]


class TestExternalIds:
    """A record is found by the external id it carries now: after a create, a change of it, a delete, a restore."""

    def test_a_changed_external_id_moves_the_record_and_frees_the_old_one(self, ns: NetSuiteHttp) -> None:
        record = created_id(ns.request("PUT", "/record/v1/customer/eid:OLD-1", json_body={"companyName": "Acme"}))
        ns.request("PATCH", f"/record/v1/customer/{record}", json_body={"externalId": "NEW-1"})
        assert ns.request("GET", "/record/v1/customer/eid:OLD-1").status_code == 404
        assert ns.request("GET", "/record/v1/customer/eid:NEW-1").json()["id"] == record
        again = created_id(ns.request("PUT", "/record/v1/customer/eid:OLD-1", json_body={"companyName": "Other"}))
        assert again != record
        taken = ns.request("PATCH", f"/record/v1/customer/{again}", json_body={"externalId": "NEW-1"})
        assert taken.status_code == 400 and error_of(taken)["o:errorCode"] == "USER_ERROR"
        assert ns.request("GET", "/record/v1/customer/eid:OLD-1").json()["id"] == again

    def test_a_deleted_record_is_not_found_by_its_external_id_and_a_restored_one_is(self, ns: NetSuiteHttp) -> None:
        record = created_id(ns.request("PUT", "/record/v1/customer/eid:GONE-1", json_body={"companyName": "Gone"}))
        saved = httpx.get(f"{ns.base}/__sandbox/snapshot").raise_for_status().json()
        assert ns.request("DELETE", f"/record/v1/customer/{record}").status_code == 204
        assert ns.request("GET", "/record/v1/customer/eid:GONE-1").status_code == 404
        refused = ns.request("POST", "/record/v1/salesOrder", json_body={"entity": {"externalId": "GONE-1"}})
        assert refused.status_code == 400 and error_of(refused)["o:errorPath"] == "entity"
        httpx.post(f"{ns.base}/__sandbox/restore", json=saved).raise_for_status()
        assert ns.request("GET", "/record/v1/customer/eid:GONE-1").json()["id"] == record


class TestUpdateAndDelete:
    def test_patch_merges_lines_by_number_and_adds_new_ones(self, ns: NetSuiteHttp) -> None:
        customer, item = seed(ns)
        order = created_id(ns.request("POST", "/record/v1/salesOrder", json_body={
            "entity": {"id": customer}, "item": {"items": [{"item": {"id": item}, "quantity": 1}]}}))
        ns.request("PATCH", f"/record/v1/salesOrder/{order}", json_body={"item": {"items": [
            {"line": 1, "quantity": 3}, {"item": {"id": item}, "quantity": 1, "rate": 10}]}})
        body = ns.request("GET", f"/record/v1/salesOrder/{order}", params={"expandSubResources": "true"}).json()
        assert [(li["line"], li["amount"]) for li in body["item"]["items"]] == [(1, 75.0), (2, 10.0)]
        assert body["total"] == 3 * 25 + 10

    def test_delete_then_get_is_nonexistent(self, ns: NetSuiteHttp) -> None:
        customer = created_id(ns.request("POST", "/record/v1/customer", json_body={"companyName": "Gone"}))
        assert ns.request("DELETE", f"/record/v1/customer/{customer}").status_code == 204
        response = ns.request("GET", f"/record/v1/customer/{customer}")
        assert response.status_code == 404 and error_of(response)["o:errorCode"] == "NONEXISTENT_ID"

    def test_customer_with_transactions_cannot_be_deleted(self, ns: NetSuiteHttp) -> None:
        customer, item = seed(ns)
        ns.request("POST", "/record/v1/salesOrder", json_body={"entity": {"id": customer},
                                                               "item": {"items": [{"item": {"id": item}}]}})
        response = ns.request("DELETE", f"/record/v1/customer/{customer}")
        assert response.status_code == 400 and error_of(response)["o:errorCode"] == "USER_ERROR"


class TestReads:
    def test_fields_parameter_limits_the_body(self, ns: NetSuiteHttp) -> None:
        ns.request("POST", "/record/v1/customer", json_body={"companyName": "Acme", "email": "a@x.test"})
        body = ns.request("GET", "/record/v1/customer/1", params={"fields": "email"}).json()
        assert set(body) == {"links", "id", "email"}

    def test_seeded_chart_of_accounts(self, ns: NetSuiteHttp) -> None:
        rows = ns.suiteql("SELECT acctnumber, accttype FROM account ORDER BY acctnumber").json()["items"]
        kinds = {row["accttype"] for row in rows}
        assert {"AcctRec", "DeferRevenue", "Income", "Bank"} <= kinds

    def test_list_pages(self, ns: NetSuiteHttp) -> None:
        for n in range(3):
            ns.request("POST", "/record/v1/customer", json_body={"companyName": f"C{n}"})
        body = ns.request("GET", "/record/v1/customer", params={"limit": 2, "offset": 0}).json()
        assert (body["count"], body["hasMore"], body["totalResults"]) == (2, True, 3)
        assert [item["id"] for item in body["items"]] == ["1", "2"]

    def test_suiteql_needs_prefer_transient(self, ns: NetSuiteHttp) -> None:
        response = ns.request("POST", "/query/v1/suiteql", json_body={"q": "SELECT id FROM customer"})
        assert response.status_code == 400 and error_of(response)["o:errorHeader"] == "Prefer"
