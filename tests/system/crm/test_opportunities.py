"""Opportunities: a deal entered in the CRM reads back as the same canonical opportunity on every CRM (each line
with the service end and billing frequency its record holds, the configured defaults only where it holds none),
and the closed-won list pages through the whole CRM."""

from __future__ import annotations

from tests.system.crm.journeys import account, bare_line, canonical_lines, deal_lines, won_deal


def _without_ids(opportunity: dict) -> dict:
    lines = [{k: v for k, v in line.items() if k not in ("id", "external_ids")} for line in opportunity["lines"]]
    return {**{k: v for k, v in opportunity.items() if k not in ("id", "external_ids")}, "lines": lines}


class TestGetOpportunity:
    def test_won_deal_reads_back_canonically(self, crm, vendor):
        deal = won_deal(crm, vendor)
        found = crm.ok("GET", f"/v1/opportunities/{deal}")
        assert found["id"] == deal and found["external_ids"] == {"crm": deal}
        assert _without_ids(found) == {
            "name": "Acme 2024", "customer_id": "ACME-001", "stage": "closed_won", "close_date": "2024-03-28",
            "currency": "USD", "closed_at": "2024-03-28T00:00:00Z", "renews_opportunity_id": None,
            "lines": canonical_lines()}

    def test_a_line_without_end_or_frequency_gets_the_configured_defaults(self, start_crm, vendor):
        crm = start_crm(default_term_months=6, default_billing_frequency="monthly")
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deal = vendor.create_deal("ACME-001", "Acme mixed", [deal_lines()[0], bare_line()], "2024-03-28")
        lines = crm.ok("GET", f"/v1/opportunities/{deal}")["lines"]
        assert [(li["product_sku"], li["service_start"], li["service_end"], li["billing_frequency"])
                for li in lines] == [("PLAT-SEAT", "2024-04-01", "2026-03-31", "quarterly"),
                                     ("ONBOARD", "2024-05-15", "2024-11-14", "monthly")]

    def test_a_line_ending_before_it_starts_is_refused_for_sales_ops_to_fix(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        backwards = {**deal_lines()[0], "end": "2024-03-31"}
        deal = vendor.create_deal("ACME-001", "Acme backwards", [backwards], "2024-03-28")
        response = crm.client.get(f"/v1/opportunities/{deal}")
        assert response.status_code == 422, response.text
        problem = response.json()
        assert (problem["code"], problem["owner"], problem["retryable"]) == ("line_incomplete", "sales_ops", False)
        assert "2024-03-31" in problem["detail"]

    def test_open_deal_has_its_stage_and_no_close_instant(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deal = vendor.create_deal("ACME-001", "Acme open", deal_lines()[:1], "2024-06-30")
        found = crm.ok("GET", f"/v1/opportunities/{deal}")
        assert (found["stage"], found["closed_at"], len(found["lines"])) == ("prospecting", None, 1)

    def test_unknown_deal_is_a_404_problem(self, crm, vendor):
        response = crm.client.get("/v1/opportunities/006000000000000AAA")
        assert response.status_code == 404 and response.json()["code"] == "opportunity_missing"


class TestListOpportunities:
    def test_every_closed_won_deal_across_pages(self, start_crm, vendor):
        crm = start_crm(vendor_page_size=2)  # HubSpot pages by 2; Salesforce's smallest batch is 200
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        won = []
        for i in range(5):
            deal = vendor.create_deal("ACME-001", f"Deal {i}", deal_lines()[:1], "2024-03-28")
            if i != 2:
                vendor.win(deal)
                won.append(deal)
        listed = crm.ok("GET", "/v1/opportunities?stage=closed_won")["data"]
        assert sorted(o["id"] for o in listed) == sorted(won)
        assert all(o["stage"] == "closed_won" and len(o["lines"]) == 1 for o in listed)

    def test_since_in_the_future_finds_nothing_and_a_naive_instant_is_refused(self, crm, vendor):
        won_deal(crm, vendor)
        assert crm.ok("GET", "/v1/opportunities?stage=closed_won&since=2999-01-01T00:00:00Z")["data"] == []
        response = crm.client.get("/v1/opportunities?since=2024-01-01T00:00:00")
        assert response.status_code == 400 and response.json()["type"].endswith("/validation")
