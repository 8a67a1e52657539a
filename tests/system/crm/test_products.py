"""The product catalogue: products entered in the CRM read back as the same canonical products and list prices on
every CRM (Salesforce Product2 with its standard price book entry, HubSpot products), by SKU, to the last page."""

from __future__ import annotations

from tests.system.crm.journeys import money


def _canonical(item: dict) -> dict:
    """A catalogue item without the CRM's ids."""
    product = {k: v for k, v in item["product"].items() if k not in ("id", "external_ids")}
    prices = [{k: v for k, v in price.items() if k not in ("id", "external_ids")} for price in item["prices"]]
    return {"product": product, "prices": prices}


def seats() -> dict:
    """What ``PLAT-SEAT`` (quarterly, with a description) reads back as."""
    return {"product": {"sku": "PLAT-SEAT", "name": "Platform seats", "description": "Per named user",
                        "active": True, "recognition": None},
            "prices": [{"product_sku": "PLAT-SEAT", "currency": "USD", "billing_frequency": "quarterly",
                        "unit_amount": money(120000), "tiers": None, "tier_mode": None, "active": True}]}


class TestGetProduct:
    def test_reads_back_the_product_with_its_list_price(self, crm, vendor):
        vendor.add_product("PLAT-SEAT", "Platform seats", 120000, frequency="quarterly", description="Per named user")
        found = crm.ok("GET", "/v1/products/PLAT-SEAT")
        assert _canonical(found) == seats()
        assert found["product"]["id"] == found["product"]["external_ids"]["crm"]

    def test_a_product_without_a_frequency_bills_at_the_configured_default(self, start_crm, vendor):
        crm = start_crm(default_billing_frequency="monthly")
        vendor.add_product("ONBOARD", "Onboarding", 30000)
        found = _canonical(crm.ok("GET", "/v1/products/ONBOARD"))
        assert (found["product"]["description"], [(p["billing_frequency"], p["unit_amount"]) for p in found["prices"]]
                ) == (None, [("monthly", money(30000))])

    def test_unknown_sku_is_a_404_problem(self, crm, vendor):
        vendor.add_product("PLAT-SEAT", "Platform seats", 120000)
        response = crm.client.get("/v1/products/PLAT-SEAT-X")
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert (response.json()["code"], response.json()["retryable"]) == ("product_missing", False)


class TestListProducts:
    def test_every_product_by_sku_across_pages(self, start_crm, vendor):
        crm = start_crm(vendor_page_size=2)
        vendor.add_product("SUPPORT", "Premium support", 50000, frequency="monthly")
        vendor.add_product("PLAT-SEAT", "Platform seats", 120000, frequency="quarterly", description="Per named user")
        vendor.add_product("ADDON-SSO", "Single sign-on", 20000, frequency="annual")
        listed = [_canonical(item) for item in crm.ok("GET", "/v1/products")["data"]]
        assert [item["product"]["sku"] for item in listed] == ["ADDON-SSO", "PLAT-SEAT", "SUPPORT"]
        assert listed[1] == seats()
        assert [(i["prices"][0]["billing_frequency"], i["prices"][0]["unit_amount"]) for i in listed] == [
            ("annual", money(20000)), ("quarterly", money(120000)), ("monthly", money(50000))]

    def test_an_empty_catalogue_lists_nothing(self, crm, vendor):
        assert crm.ok("GET", "/v1/products") == {"data": []}
