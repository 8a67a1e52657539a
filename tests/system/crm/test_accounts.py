"""Accounts: upserts by business key leave exactly one CRM record and read back the same canonical account."""

from __future__ import annotations

from tests.system.crm.journeys import account


def _canonical(body: dict) -> dict:
    """The account without what the CRM assigns (its id and creation time)."""
    return {k: v for k, v in body.items() if k not in ("created_at", "external_ids")}


class TestUpsertAccount:
    def test_creates_then_reads_back_the_same_account(self, crm, vendor):
        created = crm.ok("PUT", "/v1/accounts/ACME-001", account())
        read = crm.ok("GET", "/v1/accounts/ACME-001")
        assert created["id"] == read["id"] == "ACME-001"
        assert created["external_ids"]["crm"] == read["external_ids"]["crm"]
        expected = {**account(), "id": "ACME-001", "contacts": [], "tax_ids": [], "tax_exempt": False,
                    "legal_name": None, "shipping_address": None}
        assert _canonical(read) == _canonical(created) == expected
        assert len(vendor.accounts()) == 1

    def test_repeat_creates_nothing_and_a_change_updates_in_place(self, crm, vendor):
        first = crm.ok("PUT", "/v1/accounts/ACME-001", account())
        again = crm.ok("PUT", "/v1/accounts/ACME-001", account(), key="same")
        renamed = crm.ok("PUT", "/v1/accounts/ACME-001", account(name="Acme Renamed"), key="same")
        ids = {first["external_ids"]["crm"], again["external_ids"]["crm"], renamed["external_ids"]["crm"]}
        assert len(ids) == 1 and len(vendor.accounts()) == 1
        assert renamed["name"] == "Acme Renamed" and crm.ok("GET", "/v1/accounts/ACME-001")["name"] == "Acme Renamed"

    def test_two_keys_are_two_accounts(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        crm.ok("PUT", "/v1/accounts/GLOBEX-7", account(name="Globex"))
        assert len(vendor.accounts()) == 2


class TestGetAccount:
    def test_unknown_key_is_a_404_problem(self, crm):
        response = crm.client.get("/v1/accounts/NOPE-1")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "account_missing"
