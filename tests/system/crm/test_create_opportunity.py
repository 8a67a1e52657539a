"""Orders booked outside the CRM: ``POST /v1/opportunities`` creates the won deal in the CRM, each CRM's way.

A partner's order becomes a deal in the CRM (Salesforce: an Opportunity upserted by ``Revflow_Id__c`` with price
book entries and line items, then won; HubSpot: a deal upserted by ``revflow_external_id`` with products, line
items and associations, then won), so the CRM stays the system of record for bookings. The deal reads back with
the lines the order sent; a repeat, or a retry after the CRM committed but its answer was lost, leaves one deal
with one set of lines at the CRM (counted through the vendor's own API); the close is then announced by the
ordinary path, push and pull, exactly once; and input the CRM cannot book is refused with a problem naming the
field before anything is written.
"""

from __future__ import annotations

import msgspec
import pytest

from contracts.events import decode_event_data
from tests.system.crm.journeys import account, canonical_lines, deal_lines, money
from tests.system.crm.test_closed_won import _pushing_api, drain

ORDER = "order:acme:PO-1001"
# What the CRM answers when the line items are written, and when the deal is moved to its stage (the last write).
ROUTES = {"lines": {"salesforce": r"^POST /services/data/v62\.0/composite/sobjects$",
                    "hubspot": r"^POST /crm/v3/objects/line_items/batch/upsert$"},
          "stage": {"salesforce": r"^PATCH /services/data/v62\.0/sobjects/Opportunity/006",
                    "hubspot": r"^PATCH /crm/v3/objects/deals/\d+$"}}


def order(**changes) -> dict:
    return {"name": "acme order PO-1001", "customer_id": "ACME-001", "stage": "closed_won", "close_date": "2024-03-28",
            "currency": "USD", "lines": canonical_lines(), "external_ids": {"revflow": ORDER}, **changes}


def _lines(opportunity: dict) -> list[dict]:
    return [{k: v for k, v in line.items() if k not in ("id", "external_ids")} for line in opportunity["lines"]]


def _create(crm, body: dict | None = None, key: str = "po-1001"):
    return crm.write("POST", "/v1/opportunities", order() if body is None else body, key)


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


class TestCreate:
    def test_the_won_deal_reads_back_with_the_lines_of_the_order(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        response = _create(crm)
        assert response.status_code == 201, response.text
        created = response.json()
        deal = created["id"]
        assert created["external_ids"] == {"crm": deal, "revflow": ORDER}
        assert (created["name"], created["customer_id"], created["stage"], created["close_date"], created["currency"],
                created["closed_at"]) == ("acme order PO-1001", "ACME-001", "closed_won", "2024-03-28", "USD",
                                          "2024-03-28T00:00:00Z")
        assert _lines(created) == canonical_lines()
        assert crm.ok("GET", f"/v1/opportunities/{deal}") == created
        assert vendor.deals() == {deal: 2} and vendor.line_items() == 2

    async def test_any_stage_is_accepted_and_an_open_deal_is_not_announced(self, crm, vendor, redis, key_prefix):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        response = _create(crm, order(stage="negotiation"))
        assert response.status_code == 201, response.text
        created = response.json()
        assert (created["stage"], created["closed_at"], _lines(created)) == ("negotiation", None, canonical_lines())
        assert crm.ok("POST", "/v1/sync/closed-won")["published"] == 0
        assert await drain(redis, key_prefix) == []


    async def test_a_deal_in_another_currency_keeps_it(self, crm, vendor, redis, key_prefix):
        crm.ok("PUT", "/v1/accounts/ACME-001", {**account(), "currency": "EUR"})
        lines = [{**line, "list_price": money(line["list_price"]["amount_minor"], "EUR"),
                  "sale_price": money(line["sale_price"]["amount_minor"], "EUR")} for line in canonical_lines()]
        response = _create(crm, order(currency="EUR", lines=lines))
        assert response.status_code == 201, response.text
        assert (response.json()["currency"], _lines(response.json())) == ("EUR", lines)
        assert crm.ok("POST", "/v1/sync/closed-won")["published"] == 1
        [event] = await drain(redis, key_prefix)
        booked = decode_event_data(event).opportunity
        assert (booked.currency, booked.amount.currency, booked.amount.amount_minor) == ("EUR", "EUR", 1_050_000)


class TestRepeat:
    def test_the_same_key_again_replays_the_answer_and_writes_nothing(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        first, again = _create(crm), _create(crm)
        assert first.status_code == again.status_code == 201 and first.json() == again.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert vendor.deals() == {first.json()["id"]: 2} and vendor.line_items() == 2

    def test_another_key_for_the_same_order_finds_the_deal(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        first = _create(crm, key="attempt-1")
        again = _create(crm, key="attempt-2")
        assert (first.status_code, again.status_code) == (201, 200), again.text
        assert again.json() == first.json()
        assert vendor.deals() == {first.json()["id"]: 2} and vendor.line_items() == 2

    def test_without_a_revflow_id_each_key_is_its_own_deal(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        body = {k: v for k, v in order().items() if k != "external_ids"}
        one, two = _create(crm, body, "partner-key-1"), _create(crm, body, "partner-key-2")
        assert (one.status_code, two.status_code) == (201, 201)
        assert one.json()["id"] != two.json()["id"]
        assert one.json()["external_ids"]["revflow"].startswith("idem:")
        assert vendor.deals() == {one.json()["id"]: 2, two.json()["id"]: 2}


class TestRetryAfterTheCrmCommitted:
    @pytest.mark.parametrize("step", ["lines", "stage"])
    @pytest.mark.parametrize("named_by", ["revflow id", "idempotency key"])
    async def test_one_deal_one_set_of_lines_and_one_announcement(self, crm, vendor, redis, key_prefix, step,
                                                                   named_by):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        body = order() if named_by == "revflow id" else {k: v for k, v in order().items() if k != "external_ids"}
        vendor.faults({"seed": 1, "rules": [{"route": ROUTES[step][vendor.vendor], "error_after_rate": 1.0,
                                             "error_status": 504}]})
        lost = _create(crm, body, "po-1001")
        assert lost.status_code >= 500 and lost.json()["owner"] == "integration", lost.text
        [deal] = vendor.deals()  # the CRM committed the deal and its lines although every answer was lost
        assert vendor.line_items() == 2
        # Until the stage is written the deal waits open, so a pull never announces it without all its lines.
        before = crm.ok("POST", "/v1/sync/closed-won")["published"]
        assert before == (1 if step == "stage" else 0)
        vendor.clear_faults()
        retried = _create(crm, body, "po-1001")
        assert retried.status_code == 200, retried.text
        found = retried.json()
        assert (found["id"], found["stage"], _lines(found)) == (deal, "closed_won", canonical_lines())
        assert vendor.deals() == {deal: 2} and vendor.line_items() == 2
        assert crm.ok("POST", "/v1/sync/closed-won")["published"] == 1 - before
        events = await drain(redis, key_prefix)
        assert [(e.type, e.subject) for e in events] == [("revflow.crm.opportunity.closed_won.v1", deal)]
        assert _lines(msgspec.to_builtins(decode_event_data(events[0]).opportunity)) == canonical_lines()


    async def test_a_lost_answer_the_call_itself_repeats(self, crm, vendor, redis, key_prefix):
        """The first answer to the line items' write is lost (the fault draws of seed 2: lost, then answered), so the
        CRM API's client writes them again: Salesforce refuses the second insert as a duplicate, HubSpot's upsert
        finds them, and the call still books one deal with one set of lines."""
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        vendor.faults({"seed": 2, "rules": [{"route": ROUTES["lines"][vendor.vendor], "error_after_rate": 0.5,
                                             "error_status": 504}]})
        response = _create(crm)
        assert response.status_code == 201, response.text
        assert _lines(response.json()) == canonical_lines()
        assert vendor.deals() == {response.json()["id"]: 2} and vendor.line_items() == 2


class TestAnnouncement:
    async def test_push_announces_the_won_deal_once_and_pull_finds_nothing_more(self, start_crm, vendor, redis,
                                                                               key_prefix):
        crm = _pushing_api(start_crm, vendor)
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deal = _create(crm).json()["id"]
        vendor.flush_push()
        [event] = await drain(redis, key_prefix)
        payload = decode_event_data(event)
        assert (event.type, event.subject) == ("revflow.crm.opportunity.closed_won.v1", deal)
        assert _lines(msgspec.to_builtins(payload.opportunity)) == canonical_lines()
        assert payload.customer.id == "ACME-001" and payload.opportunity.customer_id == "ACME-001"
        vendor.redeliver_push()
        vendor.flush_push()
        assert crm.ok("POST", "/v1/sync/closed-won")["published"] == 0
        assert await drain(redis, key_prefix) == []

    async def test_pull_announces_it_once_when_push_is_off(self, crm, vendor, redis, key_prefix):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deal = _create(crm).json()["id"]
        assert crm.ok("POST", "/v1/sync/closed-won")["published"] == 1
        assert [(e.type, e.subject) for e in await drain(redis, key_prefix)] == [
            ("revflow.crm.opportunity.closed_won.v1", deal)]
        assert crm.ok("POST", "/v1/sync/closed-won")["published"] == 0
        assert await drain(redis, key_prefix) == []


def _foreign_line(currency: str = "EUR") -> dict:
    return {**canonical_lines()[0], "list_price": money(120000, currency), "sale_price": money(100000, currency)}


INVALID = [
    ("no lines", {"lines": []}, "lines"),
    ("a line in another currency", {"lines": [_foreign_line()]}, "lines[0].list_price"),
    ("a line of no units", {"lines": [{**canonical_lines()[0], "quantity": 0}]}, "lines.0.quantity"),
    ("a renewal", {"renews_opportunity_id": "006000000000001AAA"}, "renews_opportunity_id"),
]


class TestBadInput:
    @pytest.mark.parametrize(("case", "changes", "field"), INVALID, ids=[c[0] for c in INVALID])
    def test_refused_with_a_problem_naming_the_field(self, crm, vendor, case, changes, field):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        problem = _problem(_create(crm, order(**changes)), 400)
        assert problem["type"].endswith("/validation")
        # The contract's own checks name the field in the detail (``lines[0].list_price: currency EUR differs ...``).
        named = [e["field"] for e in problem["errors"]]
        assert any(n.startswith(field) for n in named) or f"{field}: " in problem["detail"], problem
        assert vendor.deals() == {}

    def test_neither_an_idempotency_key_nor_a_revflow_id_is_refused(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        body = {k: v for k, v in order().items() if k != "external_ids"}
        problem = _problem(crm.client.post("/v1/opportunities", json=body), 400)
        assert [(e["field"], e["source"]) for e in problem["errors"]] == [("Idempotency-Key", "header")]
        assert vendor.deals() == {}

    @pytest.mark.parametrize("customer", ["NOBODY-001", "not a key!"])
    def test_an_unknown_account_is_a_422_naming_customer_id(self, crm, vendor, customer):
        problem = _problem(_create(crm, order(customer_id=customer)), 422)
        assert (problem["code"], problem["retryable"]) == ("account_missing", False)
        assert [e["field"] for e in problem["errors"]] == ["customer_id"]
        assert vendor.deals() == {}

    def test_what_this_crm_has_no_place_for_is_refused_before_anything_is_written(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        # Salesforce: a currency the org has not activated. HubSpot: line items know no one-time billing.
        changes, field, code = {
            "salesforce": ({"currency": "CHF", "lines": [_foreign_line("CHF")]}, "currency", "currency_unsupported"),
            "hubspot": ({"lines": [canonical_lines()[0], {**canonical_lines()[1], "billing_frequency": "one_time"}]},
                        "lines.1.billing_frequency", "billing_frequency_unsupported"),
        }[vendor.vendor]
        problem = _problem(_create(crm, order(**changes)), 422)
        assert (problem["code"], [e["field"] for e in problem["errors"]]) == (code, [field])
        assert vendor.deals() == {}


class TestCatalogue:
    def test_a_sku_the_crm_lists_at_another_price(self, crm, vendor):
        """Salesforce takes a line's list price from its price book entry, so another price is refused; a HubSpot line
        item carries its own price."""
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        entered = vendor.create_deal("ACME-001", "Entered by sales", deal_lines()[:1], "2024-03-01")  # lists 1200.00
        repriced = {**canonical_lines()[0], "list_price": money(130000)}
        response = _create(crm, order(lines=[repriced]))
        if vendor.vendor == "salesforce":
            problem = _problem(response, 422)
            assert (problem["code"], problem["owner"]) == ("list_price_mismatch", "sales_ops")
            assert [e["field"] for e in problem["errors"]] == ["lines.0.list_price"]
            assert vendor.deals() == {entered: 1}
        else:
            assert response.status_code == 201, response.text
            assert _lines(response.json()) == [repriced]

    def test_a_sku_the_crm_already_lists_is_booked_against_it(self, crm, vendor):
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        vendor.create_deal("ACME-001", "Entered by sales", deal_lines(), "2024-03-01")
        response = _create(crm)
        assert response.status_code == 201, response.text
        assert _lines(response.json()) == canonical_lines()
        assert sorted(vendor.deals().values()) == [2, 2] and vendor.line_items() == 4
