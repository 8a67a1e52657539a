"""Finance status written back to the CRM record: what the org has fields for is stored and read back; what it
lacks is reported as ``unsupported`` (the Salesforce sandbox org has no ``Revflow_*`` finance fields)."""

from __future__ import annotations

from tests.system.crm.journeys import money, won_deal

STATUS = {"invoice_status": "paid", "subscription_id": "sub_1OaBcD", "revenue_recognized": money(120000)}


class TestWriteFinanceStatus:
    def test_stored_fields_read_back_and_missing_ones_are_reported(self, crm, vendor):
        deal = won_deal(crm, vendor)
        result = crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", STATUS)
        again = crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", STATUS)
        assert result == again and result["opportunity_id"] == deal
        assert result["stored"] == list(vendor.finance_fields)
        assert sorted(result["stored"] + result["unsupported"]) == sorted(STATUS)
        assert result["status"] == {k: (v if k in vendor.finance_fields else None) for k, v in STATUS.items()}

    def test_unknown_deal_and_bad_amounts_are_refused(self, crm, vendor):
        deal = won_deal(crm, vendor)
        assert crm.write("PUT", "/v1/opportunities/006000000000000AAA/finance-status", STATUS).status_code == 404
        negative = crm.write("PUT", f"/v1/opportunities/{deal}/finance-status",
                             {**STATUS, "revenue_recognized": money(-1)})
        assert negative.status_code == 400
        other = crm.write("PUT", f"/v1/opportunities/{deal}/finance-status",
                          {**STATUS, "revenue_recognized": money(1, "EUR")})
        assert other.status_code == 422 and other.json()["code"] == "currency_mismatch"
