"""Customers and the catalogue: upserts by business key leave exactly one vendor object, and read back the same."""

from __future__ import annotations

import msgspec

from contracts.parties import Customer
from tests.system.billing.journeys import catalog_item, customer


def _canonical(body: dict) -> Customer:
    """The customer without what the billing system assigns (its id and creation time)."""
    found = msgspec.convert(body, Customer)
    ids = {k: v for k, v in found.external_ids.items() if k != "billing"}
    return msgspec.structs.replace(found, created_at=None, external_ids=ids)


class TestUpsertCustomer:
    def test_creates_then_reads_back_the_same_customer(self, billing, vendor):
        created = billing.ok("PUT", "/v1/customers/ACME-001", customer())
        read = billing.ok("GET", "/v1/customers/ACME-001")
        assert created["id"] == read["id"] == "ACME-001"
        assert created["external_ids"]["billing"] == read["external_ids"]["billing"]
        assert _canonical(read) == _canonical(created) == _canonical({**customer(), "id": "ACME-001"})
        assert read["external_ids"]["crm"] == "001xx000003DGb2"
        assert len(vendor.objects("customer")) == 1

    def test_repeat_creates_nothing_and_a_change_updates_in_place(self, billing, vendor):
        first = billing.ok("PUT", "/v1/customers/ACME-001", customer())
        again = billing.ok("PUT", "/v1/customers/ACME-001", customer())
        renamed = billing.ok("PUT", "/v1/customers/ACME-001", customer(name="Acme Renamed", email="new@acme.test"))
        back = billing.ok("PUT", "/v1/customers/ACME-001", customer())
        ids = {first["external_ids"]["billing"], again["external_ids"]["billing"], renamed["external_ids"]["billing"]}
        assert len(ids) == 1 and len(vendor.objects("customer")) == 1
        assert renamed["name"] == "Acme Renamed" and renamed["contacts"][0]["email"] == "new@acme.test"
        assert back["name"] == "Acme Corp"  # A -> B -> A applies, it is not mistaken for a replay of A
        assert billing.ok("GET", "/v1/customers/ACME-001")["name"] == "Acme Corp"

    def test_two_keys_are_two_customers(self, billing, vendor):
        billing.ok("PUT", "/v1/customers/ACME-001", customer())
        billing.ok("PUT", "/v1/customers/GLOBEX-7", customer(name="Globex"))
        assert sorted(vendor.customer_keys().values()) == ["ACME-001", "GLOBEX-7"]


class TestGetCustomer:
    def test_unknown_key_is_a_404_problem(self, billing):
        response = billing.client.get("/v1/customers/NOPE-1")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "customer_missing"


class TestSyncCatalogItem:
    def test_sync_is_idempotent(self, billing, vendor):
        first = billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item(1000))
        again = billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item(1000))
        assert first["product"]["sku"] == "PLAT-SEAT" and first["product"]["name"] == "Platform seat"
        assert [p["unit_amount"] for p in first["prices"]] == [{"amount_minor": 1000, "currency": "USD"}]
        assert [p["id"] for p in first["prices"]] == [p["id"] for p in again["prices"]]
        assert again["retired_price_ids"] == []
        assert (vendor.count("product"), vendor.count("price")) == (1, 1)

    def test_a_new_amount_makes_a_new_price_and_retires_the_old(self, billing, vendor):
        old = billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item(1000))["prices"][0]
        new = billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item(1200))
        assert new["prices"][0]["id"] != old["id"] and new["retired_price_ids"] == [old["id"]]
        assert new["prices"][0]["unit_amount"]["amount_minor"] == 1200
        assert vendor.active_price_amounts() == [1200]

    def test_prices_per_currency_and_frequency(self, billing):
        item = catalog_item(1000)
        item["prices"].append({"currency": "EUR", "billing_frequency": "annual",
                               "unit_amount": {"amount_minor": 11000, "currency": "EUR"}})
        synced = billing.ok("PUT", "/v1/catalog/items/PLAT-SEAT", item)
        assert sorted((p["currency"], p["billing_frequency"], p["unit_amount"]["amount_minor"])
                      for p in synced["prices"]) == [("EUR", "annual", 11000), ("USD", "monthly", 1000)]
