"""One-time items: a closed-won deal's setup fee, billed once on the subscription's first invoice, per vendor; a
service start after today, which defers the recurring billing but not the setup fee; and a one-off invoice of
one-time charges outside any subscription (a deal of one-time lines only).

The deal closes on 2024-04-01 for 10 platform seats at 1.00 a month, API calls at 0.02 each (usage, billed in
arrears) and 2 onboarding workshops at 250.00 each, once. The subscription holds the seats and the API calls,
not the workshops: the first invoice bills April's seats and the workshops; 1,200 calls are used on
2024-04-06; the 1 May renewal bills May's seats and April's calls, and no workshop. Stripe does it with
``add_invoice_items``, Chargebee with charge items added at creation; the canonical answer is the same. Every
expected amount is computed below from these inputs.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from tests.system.billing.journeys import APRIL, catalog_item, customer, money
from tests.system.billing.vendors import StripeHarness

DAY = 86_400
MAY = APRIL + 30 * DAY  # 2024-05-01T00:00:00Z
SEATS = {"sku": "PLAT-SEAT", "quantity": 10, "billing_frequency": "monthly", "unit_amount": money(100)}
CALLS = {"sku": "API-CALLS", "quantity": 1, "billing_frequency": "usage", "unit_amount": money(2)}
SETUP = {"sku": "ONBOARD", "quantity": 2, "billing_frequency": "one_time", "unit_amount": money(25_000)}
USED = 1_200


def _minor(item: dict) -> int:
    return item["quantity"] * item["unit_amount"]["amount_minor"]


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _deal(api, vendor, setup: dict = SETUP, at: int = APRIL) -> dict:
    """Customer (on a clock at ``at`` the test can advance), catalogue, and the subscription for the deal."""
    vendor.clocked_customer("ACME-001", at)
    api.ok("PUT", "/v1/customers/ACME-001", customer())
    api.ok("PUT", "/v1/catalog/items/PLAT-SEAT", catalog_item(100))
    api.ok("PUT", "/v1/catalog/items/API-CALLS", catalog_item(2, "usage", "API calls"))
    api.ok("PUT", "/v1/catalog/items/ONBOARD", catalog_item(25_000, "one_time", "Onboarding workshop"))
    return {"customer_key": "ACME-001", "opportunity_id": "0061x00000AbCdE", "items": [SEATS, CALLS, setup]}


def _lines(invoice: dict) -> dict[str, dict]:
    by_sku: dict[str, dict] = {}
    for line in invoice["lines"]:
        assert line["product_sku"] not in by_sku, f"two lines of {line['product_sku']}"
        by_sku[line["product_sku"]] = line
    return by_sku


def _invoices(api, sub: dict) -> list[dict]:
    return api.ok("GET", f"/v1/invoices?subscription={sub['id']}")["data"]


def _sent_twice(api, path: str, body: dict, key: str) -> dict:
    """The same create twice with one key: created once, the second answer a replay of the first."""
    first = api.write("POST", path, body, key)
    second = api.write("POST", path, body, key)
    assert first.status_code == 201, first.text
    assert second.json() == first.json() and second.headers.get("idempotent-replayed") == "true"
    return first.json()


def _lost_then_retried(api, vendor, operation: str, path: str, body: dict, key: str) -> dict:
    """A create the vendor commits but whose answer is lost (504), then the same request again; its answer."""
    vendor.faults({"seed": 1, "rules": [{"route": vendor.ROUTES[operation], "error_after_rate": 1.0,
                                         "error_status": 504}]})
    lost = api.write("POST", path, body, key)
    assert lost.status_code in (502, 504), lost.text
    vendor.clear_faults()
    retried = api.write("POST", path, body, key)
    assert retried.status_code == 201, retried.text
    return retried.json()


def _charged(invoice: dict) -> dict[str, int]:
    amounts = {sku: line["amount"]["amount_minor"] for sku, line in _lines(invoice).items()}
    return {sku: amount for sku, amount in amounts.items() if amount}


class TestFirstInvoice:
    def test_the_setup_fee_is_billed_once_beside_the_first_period(self, billing, vendor):
        sub = billing.ok("POST", "/v1/subscriptions", _deal(billing, vendor))
        assert sorted(item["product_sku"] for item in sub["items"]) == ["API-CALLS", "PLAT-SEAT"]
        assert (sub["current_period_start"], sub["current_period_end"]) == ("2024-04-01", "2024-04-30")

        [first] = _invoices(billing, sub)
        lines = _lines(first)
        assert set(lines) == {"PLAT-SEAT", "ONBOARD"}  # usage is billed in arrears
        seats, fee = lines["PLAT-SEAT"], lines["ONBOARD"]
        assert (seats["amount"], seats["period_start"], seats["period_end"]) == (
            money(_minor(SEATS)), "2024-04-01", "2024-04-30")
        assert (fee["amount"], fee["quantity"], fee["unit_amount"]) == (
            money(_minor(SETUP)), SETUP["quantity"], SETUP["unit_amount"])
        assert fee["period_start"] == "2024-04-01" and fee["subscription_item_id"] is None
        assert first["total"] == money(_minor(SEATS) + _minor(SETUP))

    def test_the_next_period_has_no_setup_fee(self, billing, vendor):
        sub = billing.ok("POST", "/v1/subscriptions", _deal(billing, vendor))
        vendor.advance_clock(APRIL + 10 * DAY)  # usage is reported after it happened
        billing.ok("POST", "/v1/usage", {"id": "calls-apr", "subscription_id": sub["id"], "sku": "API-CALLS",
                                         "quantity": USED, "occurred_at": "2024-04-06T00:00:00Z"})
        vendor.advance_clock(MAY + 3600)

        renewal, first = _invoices(billing, sub)
        assert "ONBOARD" in _lines(first)
        lines = _lines(renewal)
        assert set(lines) == {"PLAT-SEAT", "API-CALLS"}
        assert (lines["PLAT-SEAT"]["amount"], lines["PLAT-SEAT"]["period_start"]) == (
            money(_minor(SEATS)), "2024-05-01")
        assert (lines["API-CALLS"]["amount"], lines["API-CALLS"]["period_start"]) == (
            money(USED * CALLS["unit_amount"]["amount_minor"]), "2024-04-01")
        assert renewal["total"] == money(_minor(SEATS) + USED * CALLS["unit_amount"]["amount_minor"])
        assert billing.ok("GET", f"/v1/subscriptions/{sub['id']}")["items"] == sub["items"]

    def test_a_deal_price_for_the_setup_fee(self, billing, vendor):
        discounted = {**SETUP, "unit_amount": money(20_000)}  # below the 250.00 list price
        sub = billing.ok("POST", "/v1/subscriptions", _deal(billing, vendor, discounted))
        [first] = _invoices(billing, sub)
        assert _lines(first)["ONBOARD"]["amount"] == money(_minor(discounted))
        assert first["total"] == money(_minor(SEATS) + _minor(discounted))


class TestDuplicates:
    def test_same_key_twice_is_one_subscription_and_one_fee(self, billing, vendor):
        _sent_twice(billing, "/v1/subscriptions", _deal(billing, vendor), "deal-42:subscription")
        assert vendor.count("subscription") == 1
        fees = [line for inv in billing.ok("GET", "/v1/invoices?customer=ACME-001")["data"]
                for line in inv["lines"] if line["product_sku"] == "ONBOARD"]
        assert [fee["amount"] for fee in fees] == [money(_minor(SETUP))]

    def test_a_retry_after_the_vendor_committed_bills_the_fee_once(self, billing, vendor):
        _lost_then_retried(billing, vendor, "subscription.create", "/v1/subscriptions", _deal(billing, vendor),
                           "deal-43:subscription")
        assert vendor.count("subscription") == 1
        [inv] = billing.ok("GET", "/v1/invoices?customer=ACME-001")["data"]
        assert _lines(inv)["ONBOARD"]["amount"] == money(_minor(SETUP))


class TestSyncOneTimePrice:
    def test_sync_is_idempotent_and_a_new_amount_retires_the_old(self, billing, vendor):
        first = billing.ok("PUT", "/v1/catalog/items/ONBOARD", catalog_item(25_000, "one_time", "Onboarding"))
        [price] = first["prices"]
        assert (price["billing_frequency"], price["currency"], price["unit_amount"]) == (
            "one_time", "USD", money(25_000))
        again = billing.ok("PUT", "/v1/catalog/items/ONBOARD", catalog_item(25_000, "one_time", "Onboarding"))
        assert [p["id"] for p in again["prices"]] == [price["id"]] and again["retired_price_ids"] == []
        assert (vendor.count("product"), vendor.count("price")) == (1, 1)
        dearer = billing.ok("PUT", "/v1/catalog/items/ONBOARD", catalog_item(30_000, "one_time", "Onboarding"))
        assert dearer["retired_price_ids"] == [price["id"]]
        assert [(p["billing_frequency"], p["unit_amount"]) for p in dearer["prices"]] == [
            ("one_time", money(30_000))]
        assert vendor.active_price_amounts() == [30_000]

    def test_one_time_beside_recurring_prices_where_the_vendor_allows_it(self, billing, vendor):
        item = catalog_item(25_000, "one_time", "Onboarding")
        item["prices"].append({"currency": "USD", "billing_frequency": "monthly", "unit_amount": money(1_000)})
        response = billing.write("PUT", "/v1/catalog/items/ONBOARD", item)
        if vendor.ONE_TIME_BESIDE_RECURRING:
            assert response.status_code == 200, response.text
            assert sorted(p["billing_frequency"] for p in response.json()["prices"]) == ["monthly", "one_time"]
        else:
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "mixed_item_types_unsupported"
            assert vendor.count("product") == 0


class TestDeferredStart:
    """A deal signed today whose service starts in 20 days: nothing recurring is billed before that day.

    The workshops are billed at signing; on the service start the first month of seats is billed in full, from
    that day, and the billing cycle is anchored there. "Today" is the real date (a start is deferred against it),
    so the vendor's clock starts this morning.
    """

    def test_billing_starts_on_the_service_start(self, billing, vendor):
        today = datetime.now(UTC).date()
        start = today + timedelta(days=20)
        after = start + timedelta(days=calendar.monthrange(start.year, start.month)[1])  # one month on
        if after.day != start.day:  # the next month is too short for the start's day: Stripe's clamp
            after -= timedelta(days=after.day)
        body = _deal(billing, vendor, at=_unix(today) + 3_600)
        sub = billing.ok("POST", "/v1/subscriptions", {**body, "items": [SEATS, SETUP],
                                                       "start_date": start.isoformat()})
        assert (sub["status"], sub["start_date"]) == ("trialing", start.isoformat())
        signing = [inv for inv in _invoices(billing, sub) if inv["total"]["amount_minor"]]
        assert [(inv["total"], _charged(inv)) for inv in signing] == [
            (money(_minor(SETUP)), {"ONBOARD": _minor(SETUP)})]  # (Stripe lists the trial's seats at zero)

        vendor.advance_clock(_unix(start) + 3_600)
        sub = billing.ok("GET", f"/v1/subscriptions/{sub['id']}")
        assert (sub["status"], sub["current_period_start"], sub["current_period_end"]) == (
            "active", start.isoformat(), (after - timedelta(days=1)).isoformat())
        first, signed = [inv for inv in _invoices(billing, sub) if inv["total"]["amount_minor"]]  # newest first
        assert signed == signing[0]
        seats = _lines(first)["PLAT-SEAT"]
        assert first["total"] == money(_minor(SEATS))
        assert (seats["period_start"], seats["period_end"]) == (start.isoformat(), sub["current_period_end"])

    def test_a_start_beyond_what_the_vendor_can_defer(self, billing, vendor):
        # Stripe takes a trial_end at most two years ahead; Chargebee's future subscriptions have no such bound.
        body = _deal(billing, vendor, at=_unix(datetime.now(UTC).date()))
        far = datetime.now(UTC).date() + timedelta(days=731)
        response = billing.write("POST", "/v1/subscriptions", {**body, "items": [SEATS], "start_date": far.isoformat()})
        if isinstance(vendor, StripeHarness):
            assert response.status_code == 422, response.text
            assert (response.json()["code"], response.json()["retryable"]) == ("start_too_far", False)
            assert f"start_date {far.isoformat()}" in response.json()["detail"]
            assert vendor.count("subscription") == 0
        else:
            assert response.status_code == 201, response.text
            assert (response.json()["status"], response.json()["start_date"]) == ("trialing", far.isoformat())


TRAINING = {"sku": "TRAINING", "quantity": 3, "unit_amount": money(10_000), "description": "Admin training day"}


def _one_off(api, vendor, **overrides) -> dict:
    """Customer (with a card) and catalogue of a one-off deal: two onboarding workshops at a deal price and three
    training days."""
    vendor.clocked_customer("ACME-001", APRIL)
    made = api.ok("PUT", "/v1/customers/ACME-001", customer())
    vendor.add_test_card(made["external_ids"]["billing"])
    api.ok("PUT", "/v1/catalog/items/ONBOARD", catalog_item(25_000, "one_time", "Onboarding workshop"))
    api.ok("PUT", "/v1/catalog/items/TRAINING", catalog_item(10_000, "one_time", "Training day"))
    workshops = {"sku": "ONBOARD", "quantity": 2, "unit_amount": money(20_000)}
    return {"customer_key": "ACME-001", "opportunity_id": "0061x00000OnEoF", "lines": [workshops, TRAINING],
            **overrides}


class TestOneOffInvoice:
    def test_lines_billed_once_outside_any_subscription_and_found_by_opportunity(self, billing, vendor):
        inv = billing.ok("POST", "/v1/invoices", _one_off(billing, vendor))
        assert inv["subscription_id"] is None and inv["opportunity_id"] == "0061x00000OnEoF"
        assert inv["status"] == "paid" and inv["amount_paid"] == inv["total"] and inv["number"]
        charged = {sku: (line["quantity"], line["amount"]) for sku, line in _lines(inv).items()}
        assert charged == {"ONBOARD": (2, money(2 * 20_000)), "TRAINING": (3, money(3 * 10_000))}
        assert inv["total"] == money(2 * 20_000 + 3 * 10_000)
        assert vendor.count("subscription") == 0

        found = billing.ok("GET", "/v1/invoices?customer=ACME-001&opportunity=0061x00000OnEoF")["data"]
        assert [i["id"] for i in found] == [inv["id"]]
        assert billing.ok("GET", "/v1/invoices?customer=ACME-001&opportunity=0061x00000OtHeR")["data"] == []
        assert billing.ok("GET", f"/v1/invoices/{inv['id']}")["total"] == inv["total"]

    def test_send_invoice_leaves_it_open_and_due_later(self, billing, vendor):
        inv = billing.ok("POST", "/v1/invoices", _one_off(billing, vendor, collection_method="send_invoice",
                                                          days_until_due=30))
        assert inv["status"] == "open" and not inv["amount_paid"]["amount_minor"]
        assert date.fromisoformat(inv["due_on"]) - date.fromisoformat(inv["issued_on"]) == timedelta(days=30)

    def test_same_key_twice_and_a_retry_after_the_vendor_committed_issue_one_invoice(self, billing, vendor):
        body = _one_off(billing, vendor)
        _sent_twice(billing, "/v1/invoices", body, "deal-77:invoice")

        other = {**body, "opportunity_id": "0061x00000LoSt1"}
        _lost_then_retried(billing, vendor, "invoice.create", "/v1/invoices", other, "deal-78:invoice")
        every = billing.ok("GET", "/v1/invoices?customer=ACME-001")["data"]
        assert sorted(i["opportunity_id"] for i in every) == ["0061x00000LoSt1", "0061x00000OnEoF"]
        assert all(i["total"] == money(2 * 20_000 + 3 * 10_000) for i in every)

    def test_an_unpaid_one_is_voided_once_and_a_paid_one_is_credited_instead(self, billing, vendor):
        sent = billing.ok("POST", "/v1/invoices", _one_off(billing, vendor, collection_method="send_invoice",
                                                           days_until_due=30))
        voided = billing.ok("POST", f"/v1/invoices/{sent['id']}/void")
        again = billing.ok("POST", f"/v1/invoices/{sent['id']}/void")
        assert (voided["status"], again["status"], again["total"]) == ("void", "void", sent["total"])
        assert billing.ok("GET", f"/v1/invoices/{sent['id']}")["status"] == "void"

        other = _one_off(billing, vendor, opportunity_id="0061x00000PaId1", collection_method="send_invoice",
                         days_until_due=30)
        owed = billing.ok("POST", "/v1/invoices", other)
        vendor.pay(owed["id"])
        refused = billing.write("POST", f"/v1/invoices/{owed['id']}/void", None)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "invoice_paid"
        assert billing.ok("GET", f"/v1/invoices/{owed['id']}")["status"] == "paid"

    def test_bad_bodies_are_named_and_write_nothing(self, billing, vendor):
        body = _one_off(billing, vendor)
        cases = {
            "lines": {**body, "lines": [body["lines"][0], {**TRAINING, "unit_amount": money(10_000, "EUR")}]},
            "days_until_due": {**body, "collection_method": "send_invoice"},
            "lines.0.quantity": {**body, "lines": [{**TRAINING, "quantity": 0}]},
        }
        for field, bad in cases.items():
            response = billing.write("POST", "/v1/invoices", bad)
            assert response.status_code == 400, (field, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert field in [e["field"] for e in response.json()["errors"]], (field, response.json())
        unknown = billing.write("POST", "/v1/invoices", {**body, "lines": [{**TRAINING, "sku": "NEVER-SYNCED"}]})
        assert 400 <= unknown.status_code < 500, unknown.text
        assert billing.ok("GET", "/v1/invoices?customer=ACME-001")["data"] == []
        assert vendor.count("invoice") == 0
