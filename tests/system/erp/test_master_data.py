"""Master data: a missing or inactive item is a 422 naming the SKU and finance_ops, with the fix in the detail;
an unbalanced journal never reaches NetSuite; a balanced one is posted; a missing GL account is named."""

from __future__ import annotations

import pytest

from tests.system.erp.journeys import customer, journal, money, sales_order


def _master_data(response, code: str, name: str) -> dict:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (problem["code"], problem["owner"], problem["retryable"]) == (code, "finance_ops", False)
    assert name in problem["detail"] and "then retry" in problem["detail"]
    return problem


class TestItems:
    def test_unknown_sku(self, erp):
        _master_data(erp.client.get("/v1/items/NO-SUCH-SKU"), "sku_missing", "NO-SUCH-SKU")

    def test_inactive_sku(self, erp, vendor):
        vendor.item("OLD-PLAN", inactive=True)
        problem = _master_data(erp.client.get("/v1/items/OLD-PLAN"), "sku_inactive", "OLD-PLAN")
        assert "Reactivate" in problem["detail"]

    def test_several_skus_in_one_lookup_answer_each_once_in_the_order_asked(self, erp, vendor):
        vendor.item("PLAT-SEAT")
        vendor.item("SETUP-FEE")
        response = erp.client.get("/v1/items", params=[("sku", "SETUP-FEE"), ("sku", "PLAT-SEAT"),
                                                       ("sku", "SETUP-FEE")])
        assert response.status_code == 200, response.text
        items = response.json()
        assert [item["sku"] for item in items] == ["SETUP-FEE", "PLAT-SEAT"]
        single = erp.client.get("/v1/items/PLAT-SEAT").json()
        assert items[1] == single and items[1]["external_ids"]["erp"]

    @pytest.mark.parametrize(("inactive", "code"), [(None, "sku_missing"), (True, "sku_inactive")])
    def test_one_bad_sku_among_several_is_named(self, erp, vendor, inactive, code):
        vendor.item("PLAT-SEAT")
        if inactive:
            vendor.item("OLD-PLAN", inactive=True)
        response = erp.client.get("/v1/items", params=[("sku", "PLAT-SEAT"), ("sku", "OLD-PLAN")])
        _master_data(response, code, "OLD-PLAN")

    @pytest.mark.parametrize("params", [[], [("sku", "bad sku!")], [("sku", f"S-{n}") for n in range(101)]])
    def test_a_bad_sku_list_is_a_problem_naming_the_parameter(self, erp, params):
        response = erp.client.get("/v1/items", params=params)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "sku" in response.text

    @pytest.mark.parametrize(("inactive", "code"), [(None, "sku_missing"), (True, "sku_inactive")])
    def test_an_order_line_with_a_bad_sku_writes_nothing(self, erp, vendor, inactive, code):
        vendor.item("PLAT-SEAT")
        if inactive:
            vendor.item("OLD-PLAN", inactive=True)
        erp.ok("PUT", "/v1/customers/ACME-001", customer())
        body = sales_order()
        body["lines"].append({"sku": "OLD-PLAN", "quantity": 1, "unit_amount": money(100)})
        _master_data(erp.write("POST", "/v1/sales-orders", body), code, "OLD-PLAN")
        assert vendor.records("salesOrder") == []


class TestJournals:
    def test_unbalanced_is_refused_before_the_vendor(self, erp, vendor):
        vendor.faults({"seed": 1, "rules": [{"route": "/services/rest/", "error_rate": 1.0}]})  # any call would fail
        response = erp.write("POST", "/v1/journal-entries", journal(debit=100, credit=99))
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "journal_unbalanced" and "USD debits exceed credits by 0.01" in problem["detail"]
        assert vendor.injected() == [] and vendor.records("journalEntry") == []

    def test_balanced_is_posted(self, erp, vendor):
        posted = erp.ok("POST", "/v1/journal-entries", journal())
        [record] = vendor.records("journalEntry")
        assert posted["id"] == record["id"] and posted["external_ids"]["erp"] == record["id"]
        assert [(line.get("debit"), line.get("credit")) for line in record["sublists"]["line"]] == [
            (833.33, None), (None, 833.33)]
        assert [line["amount"] for line in posted["lines"]] == [money(83_333)] * 2

    def test_unknown_account_is_named(self, erp, vendor):
        body = journal()
        body["lines"][1]["account"]["number"] = "4999"
        _master_data(erp.write("POST", "/v1/journal-entries", body), "account_missing", "4999")
