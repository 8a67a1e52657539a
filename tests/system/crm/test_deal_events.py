"""Renewals, amendments and losses: each announced exactly once, by push, by pull, and by both together.

A booked deal (``won_deal``: two lines, won) is renewed by a deal linked to it and won; amended by a deal linked
to it whose lines update one booked line (15 seats from 2024-10-01), remove the other and add a new one, signed
(won) on 2024-09-15; and a third deal is lost. Each harness enters these the way its CRM's users would (Salesforce:
``Renewed_Opportunity__c`` / ``Amended_Opportunity__c`` lookups and ``Amendment_Action__c`` /
``Amended_Line_Id__c`` on lines; HubSpot: ``revflow_renews_deal_id`` / ``revflow_amends_deal_id`` and
``revflow_amendment_action`` / ``revflow_amends_line_item_id``). The canonical outcome is the same on both: one
``renewed`` event (instead of ``closed_won``), one ``amended`` event carrying the canonical ``Amendment``, one
``lost`` event, whether push delivers them, pull finds them, both do in either order, or push delivers twice.
Events are counted on the Redis stream with the runtime's Consumer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import msgspec

from contracts.events import decode_event_data
from services.runtime.testing import free_port
from tests.system.crm.journeys import account, bare_line, deal_lines, money, won_deal
from tests.system.crm.test_closed_won import drain

WON = "revflow.crm.opportunity.closed_won.v1"
RENEWED = "revflow.crm.opportunity.renewed.v1"
AMENDED = "revflow.crm.opportunity.amended.v1"
LOST = "revflow.crm.opportunity.lost.v1"


def _pushing(start_crm, vendor) -> tuple[Any, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1/webhooks/{vendor.vendor}"
    vendor.push_to(url)
    return start_crm(port=port), url


def _amendment_lines(booked: dict) -> list[dict]:
    seats, support = booked["lines"]
    return [{**deal_lines()[0], "quantity": 15, "start": "2024-10-01", "action": "update", "amends_line": seats["id"]},
            {**deal_lines()[1], "action": "remove", "amends_line": support["id"]},
            {**bare_line(), "start": "2024-10-01", "end": "2025-03-31", "frequency": "monthly"}]


def _changes(crm, vendor) -> dict[str, str]:
    """The booked deal (won), its renewal (won), its amendment (signed) and another deal (lost); ids by kind."""
    booked = won_deal(crm, vendor)
    renewal = vendor.create_deal("ACME-001", "Acme 2026", deal_lines()[:1], "2026-03-20", renews=booked)
    vendor.win(renewal)
    lines = _amendment_lines(crm.ok("GET", f"/v1/opportunities/{booked}"))
    amendment = vendor.create_deal("ACME-001", "Acme +5 seats", lines, "2024-09-15", amends=booked,
                                   effective="2024-10-01", reason="5 more seats, support dropped")
    vendor.win(amendment)
    lost = vendor.create_deal("ACME-001", "Acme services", [bare_line()], "2024-06-30")
    vendor.lose(lost, "Chose a competitor")
    return {WON: booked, RENEWED: renewal, AMENDED: amendment, LOST: lost}


def _without_ids(change: dict) -> dict:
    line = change["line"] and {k: v for k, v in change["line"].items() if k not in ("id", "external_ids")}
    return {**change, "line": line}


def _expected_amendment(booked: dict) -> dict:
    seats, support = booked["lines"]
    return {
        "opportunity_id": booked["id"], "effective_date": "2024-10-01", "currency": "USD",
        "reason": "5 more seats, support dropped", "signed_at": "2024-09-15T00:00:00Z",
        "changed_lines": [
            {"action": "update", "line_id": seats["id"], "line": {
                "product_sku": "PLAT-SEAT", "description": "Platform seats", "quantity": 15,
                "list_price": money(120000), "sale_price": money(100000), "service_start": "2024-10-01",
                "service_end": "2026-03-31", "billing_frequency": "quarterly"}},
            {"action": "remove", "line_id": support["id"], "line": None},
            {"action": "add", "line_id": None, "line": {
                "product_sku": "ONBOARD", "description": None, "quantity": 1, "list_price": money(30000),
                "sale_price": money(30000), "service_start": "2024-10-01", "service_end": "2025-03-31",
                "billing_frequency": "monthly"}}]}


def _check_payloads(crm, events: list, ids: dict[str, str]) -> None:
    by_type = {e.type: e for e in events}
    assert {t: e.subject for t, e in by_type.items()} == ids
    renewed = decode_event_data(by_type[RENEWED])
    assert renewed.opportunity.renews_opportunity_id == ids[WON] and renewed.customer.id == "ACME-001"
    amended = crm.ok("GET", f"/v1/opportunities/{ids[AMENDED]}")  # the amendment is an opportunity too
    assert amended["stage"] == "closed_won" and amended["renews_opportunity_id"] is None
    wire = msgspec.to_builtins(decode_event_data(by_type[AMENDED]))["amendment"]
    booked = crm.ok("GET", f"/v1/opportunities/{ids[WON]}")
    assert wire["id"] == ids[AMENDED] and wire["external_ids"] == {"crm": ids[AMENDED]}
    shape = {k: v for k, v in wire.items() if k not in ("id", "external_ids")}
    assert {**shape, "changed_lines": [_without_ids(c) for c in shape["changed_lines"]]} == _expected_amendment(booked)
    lost = decode_event_data(by_type[LOST])
    assert (lost.opportunity_id, lost.reason, lost.closed_at.isoformat()) == (ids[LOST], "Chose a competitor",
                                                                              "2024-06-30T00:00:00+00:00")


class TestByPush:
    async def test_each_change_announced_once_and_neither_pull_nor_redelivery_repeats_it(
            self, start_crm, vendor, redis, key_prefix):
        crm, _ = _pushing(start_crm, vendor)
        ids = _changes(crm, vendor)
        vendor.flush_push()
        pushed = await drain(redis, key_prefix)
        assert Counter(e.type for e in pushed) == {WON: 1, RENEWED: 1, AMENDED: 1, LOST: 1}
        _check_payloads(crm, pushed, ids)
        vendor.redeliver_push()  # every notification delivered a second time
        vendor.flush_push()
        assert await drain(redis, key_prefix) == []
        won, lost = crm.ok("POST", "/v1/sync/closed-won"), crm.ok("POST", "/v1/sync/closed-lost")
        assert (won["examined"], won["published"], lost["examined"], lost["published"]) == (3, 0, 1, 0)
        assert await drain(redis, key_prefix) == []


class TestByPull:
    async def test_pull_finds_what_push_lost_and_late_push_repeats_nothing(self, start_crm, vendor, redis,
                                                                           key_prefix):
        crm, url = _pushing(start_crm, vendor)
        vendor.hold_push()
        ids = _changes(crm, vendor)
        vendor.flush_push()
        assert await drain(redis, key_prefix) == []
        won, lost = crm.ok("POST", "/v1/sync/closed-won"), crm.ok("POST", "/v1/sync/closed-lost")
        assert (won["published"], lost["published"], won["incomplete"], lost["incomplete"]) == (3, 1, [], [])
        pulled = await drain(redis, key_prefix)
        assert Counter(e.type for e in pulled) == {WON: 1, RENEWED: 1, AMENDED: 1, LOST: 1}
        _check_payloads(crm, pulled, ids)
        vendor.release_push(url)  # the held notifications arrive after all
        vendor.flush_push()
        assert await drain(redis, key_prefix) == []
        assert crm.ok("POST", "/v1/sync/closed-lost")["published"] == 0

    async def test_an_incomplete_amendment_is_reported_retried_and_blocks_nothing(self, crm, vendor, redis,
                                                                                  key_prefix):
        booked = won_deal(crm, vendor)
        unlinked = {**deal_lines()[0], "action": "update"}  # an update naming no booked line
        broken = vendor.create_deal("ACME-001", "Acme broken", [unlinked], "2024-09-15", amends=booked)
        vendor.win(broken)
        later = vendor.create_deal("ACME-001", "Acme later", deal_lines()[:1], "2024-09-20")
        vendor.win(later)
        first = crm.ok("POST", "/v1/sync/closed-won")
        assert (first["published"], first["incomplete"]) == (2, [broken])
        assert sorted(e.subject for e in await drain(redis, key_prefix)) == sorted([booked, later])
        again = crm.ok("POST", "/v1/sync/closed-won")
        assert (again["published"], again["incomplete"]) == (0, [broken])
        problem = crm.client.get(f"/v1/opportunities/{booked}/amendments")
        assert problem.status_code == 422 and problem.json()["code"] == "amendment_incomplete", problem.text
        assert problem.json()["owner"] == "sales_ops"


class TestPoller:
    async def test_background_poller_announces_a_lost_deal(self, start_crm, vendor, redis, key_prefix):
        crm = start_crm(poll_interval_seconds=0.1)
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deal = vendor.create_deal("ACME-001", "Deal", deal_lines(), "2024-03-28")
        vendor.lose(deal)
        seen: list = []
        for _ in range(100):  # bounded wait for the poller's next tick; no timing is asserted
            seen += await drain(redis, key_prefix)
            if seen:
                break
            await asyncio.sleep(0.05)
        assert [(e.type, e.subject) for e in seen] == [(LOST, deal)]
        assert decode_event_data(seen[0]).reason is None


class TestListAmendments:
    def test_signed_amendments_in_effect_order_as_the_event_carries_them(self, crm, vendor):
        booked = won_deal(crm, vendor)
        lines = _amendment_lines(crm.ok("GET", f"/v1/opportunities/{booked}"))
        later = vendor.create_deal("ACME-001", "Acme +5", lines, "2024-09-15", amends=booked, effective="2024-10-01",
                                   reason="5 more seats, support dropped")
        earlier = vendor.create_deal("ACME-001", "Acme price", [{**lines[0], "sale": 90000}], "2024-06-01",
                                     amends=booked, effective="2024-07-01")
        unsigned = vendor.create_deal("ACME-001", "Acme maybe", lines[:1], "2024-11-01", amends=booked)
        for deal in (later, earlier):
            vendor.win(deal)
        found = crm.ok("GET", f"/v1/opportunities/{booked}/amendments")["data"]
        assert [a["id"] for a in found] == [earlier, later] and unsigned not in [a["id"] for a in found]
        shape = {k: v for k, v in found[1].items() if k not in ("id", "external_ids")}
        expected = _expected_amendment(crm.ok("GET", f"/v1/opportunities/{booked}"))
        assert {**shape, "changed_lines": [_without_ids(c) for c in shape["changed_lines"]]} == expected
        assert (found[0]["effective_date"], found[0]["changed_lines"][0]["line"]["sale_price"]) == (
            "2024-07-01", money(90000))

    def test_a_deal_without_amendments_has_none_and_an_unknown_deal_is_a_404(self, crm, vendor):
        booked = won_deal(crm, vendor)
        assert crm.ok("GET", f"/v1/opportunities/{booked}/amendments") == {"data": []}
        response = crm.client.get("/v1/opportunities/006000000000000AAA/amendments")
        assert response.status_code == 404 and response.json()["code"] == "opportunity_missing"
