"""Finance status written back to the CRM record: all three fields land on the vendor's own record (read back
through the vendor's API by the harness, not through the CRM API), a new status replaces the old one, and a
repeat changes nothing. The same assertions hold for every vendor."""

from __future__ import annotations

from tests.system.crm.journeys import money, won_deal

STATUS = {"invoice_status": "paid", "subscription_id": "sub_1OaBcD", "revenue_recognized": money(120000)}
EMPTY = {"invoice_status": None, "subscription_id": None, "revenue_recognized": None}
FIELDS = ["invoice_status", "subscription_id", "revenue_recognized"]


class TestWriteFinanceStatus:
    def test_every_field_is_written_to_the_vendor_record_and_read_back(self, crm, vendor):
        deal = won_deal(crm, vendor)
        assert vendor.finance(deal) == EMPTY
        result = crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", STATUS)
        assert result == {"opportunity_id": deal, "status": STATUS, "stored": FIELDS, "unsupported": []}
        assert vendor.finance(deal) == STATUS
        again = crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", STATUS)
        assert again == result and vendor.finance(deal) == STATUS

    def test_a_new_status_replaces_the_old_one(self, crm, vendor):
        deal = won_deal(crm, vendor)
        crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", STATUS)
        changed = {"invoice_status": "open", "subscription_id": "sub_2XyZ", "revenue_recognized": money(4599)}
        assert crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", changed)["status"] == changed
        assert vendor.finance(deal) == changed
        voided = crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", {"invoice_status": "void"})
        assert voided["status"] == vendor.finance(deal) == {**EMPTY, "invoice_status": "void"}

    def test_every_invoice_status_round_trips_through_the_vendor_vocabulary(self, crm, vendor):
        deal = won_deal(crm, vendor)
        for status in ("draft", "open", "paid", "void", "uncollectible"):
            body = {**STATUS, "invoice_status": status}
            assert crm.ok("PUT", f"/v1/opportunities/{deal}/finance-status", body)["status"] == body
            assert vendor.finance(deal)["invoice_status"] == status

    def test_unknown_deal_and_bad_amounts_are_refused_and_nothing_is_written(self, crm, vendor):
        deal = won_deal(crm, vendor)
        assert crm.write("PUT", "/v1/opportunities/006000000000000AAA/finance-status", STATUS).status_code == 404
        negative = crm.write("PUT", f"/v1/opportunities/{deal}/finance-status",
                             {**STATUS, "revenue_recognized": money(-1)})
        assert negative.status_code == 400
        other = crm.write("PUT", f"/v1/opportunities/{deal}/finance-status",
                          {**STATUS, "revenue_recognized": money(1, "EUR")})
        assert other.status_code == 422 and other.json()["code"] == "currency_mismatch"
        assert vendor.finance(deal) == EMPTY
