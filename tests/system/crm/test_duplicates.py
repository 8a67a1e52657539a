"""Duplicate safety: a write sent twice with one Idempotency-Key, or retried after the CRM committed it but its
answer was lost (the sandbox's after-handler fault), leaves exactly one record at the CRM (external-id upserts)."""

from __future__ import annotations

from tests.system.crm.journeys import account

ROUTES = {"salesforce": "PATCH /services/data/v62.0/sobjects/Account/",
          "hubspot": "POST /crm/v3/objects/companies/batch"}


class TestSameKeyTwice:
    def test_account_upsert(self, crm, vendor):
        first = crm.write("PUT", "/v1/accounts/ACME-001", account(), "dup-1")
        second = crm.write("PUT", "/v1/accounts/ACME-001", account(), "dup-1")
        assert first.status_code == second.status_code == 200 and first.json() == second.json()
        assert len(vendor.accounts()) == 1


class TestRetryAfterVendorCommitted:
    def test_account_upsert(self, crm, vendor):
        vendor.faults({"seed": 1, "rules": [{"route": ROUTES[vendor.vendor], "error_after_rate": 1.0,
                                             "error_status": 504}]})
        lost = crm.write("PUT", "/v1/accounts/ACME-001", account(), "retry-1")
        assert lost.status_code >= 500 and lost.json()["owner"] == "integration"
        assert len(vendor.accounts()) == 1  # committed at the vendor although every answer was lost
        vendor.clear_faults()
        retried = crm.write("PUT", "/v1/accounts/ACME-001", account(), "retry-1")
        assert retried.status_code == 200, retried.text
        assert len(vendor.accounts()) == 1
