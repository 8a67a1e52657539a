"""One-off charges on a new subscription's first invoice: ``add_invoice_items`` through the official SDK.

Stripe ("Subscriptions: create", ``add_invoice_items``): "A list of prices and quantities that will generate
invoice items appended to the next invoice for this subscription." On 2024-01-01 a customer subscribes to 10
seats at 10.00 a month and is charged, once, two onboarding workshops at 250.00 (a one-time catalogue price)
and 75.50 of travel (an inline ``price_data``). The first invoice bills January's seats plus both one-offs;
the February renewal bills the seats alone. Amounts are computed here from those inputs.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z; January has 31 days
FEB = T0 + 31 * 86400
SEATS, SEAT_PRICE = 10, 1_000
WORKSHOPS, WORKSHOP_PRICE = 2, 25_000
TRAVEL = 7_550


def _catalog(client: stripe.StripeClient) -> dict[str, Any]:
    seats = client.v1.products.create(params={"name": "Seats"})
    onboarding = client.v1.products.create(params={"name": "Onboarding workshop"})
    travel = client.v1.products.create(params={"name": "Travel"})
    return {
        "travel": travel,
        "seat": client.v1.prices.create(params={"product": seats.id, "currency": "usd", "unit_amount": SEAT_PRICE,
                                                "recurring": {"interval": "month"}}),
        "workshop": client.v1.prices.create(params={"product": onboarding.id, "currency": "usd",
                                                    "unit_amount": WORKSHOP_PRICE}),
    }


def _customer(client: stripe.StripeClient) -> Any:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0})
    return client.v1.customers.create(params={"email": "ap@acme.test", "test_clock": clock.id})


def _subscribe(client: stripe.StripeClient, customer: Any, cat: dict[str, Any], key: str | None = None) -> Any:
    params: Any = {
        "customer": customer.id, "items": [{"price": cat["seat"].id, "quantity": SEATS}],
        "add_invoice_items": [
            {"price": cat["workshop"].id, "quantity": WORKSHOPS, "metadata": {"deal_line": "L-2"}},
            {"price_data": {"currency": "usd", "product": cat["travel"].id, "unit_amount": TRAVEL}}]}
    return client.v1.subscriptions.create(params=params, options={"idempotency_key": key} if key else {})


class TestFirstInvoice:
    def test_one_offs_are_billed_once_beside_the_first_period(self, client: stripe.StripeClient) -> None:
        customer, cat = _customer(client), _catalog(client)
        sub = _subscribe(client, customer, cat)
        assert [(si.price.id, si.quantity) for si in sub["items"].data] == [(cat["seat"].id, SEATS)]

        first = client.v1.invoices.retrieve(sub.latest_invoice)
        lines = {line.description: line for line in first.lines.data}
        assert first.billing_reason == "subscription_create"
        assert first.total == SEATS * SEAT_PRICE + WORKSHOPS * WORKSHOP_PRICE + TRAVEL
        workshop, travel = lines["Onboarding workshop"], lines["Travel"]
        assert (workshop.type, workshop.amount, workshop.quantity, workshop.proration) == (
            "invoiceitem", WORKSHOPS * WORKSHOP_PRICE, WORKSHOPS, False)
        assert workshop.price.id == cat["workshop"].id and workshop.metadata.to_dict() == {"deal_line": "L-2"}
        assert (travel.type, travel.amount, travel.quantity) == ("invoiceitem", TRAVEL, 1)
        # By default a one-off covers the subscription's first billing period.
        assert (workshop.period.start, workshop.period.end) == (T0, FEB) == (sub.current_period_start,
                                                                             sub.current_period_end)
        inline = client.v1.prices.retrieve(travel.price.id)
        assert (inline.type, inline.active, inline.unit_amount, inline.product) == (
            "one_time", False, TRAVEL, cat["travel"].id)

        items = client.v1.invoice_items.list(params={"customer": customer.id}).data
        assert sorted(i.amount for i in items) == [TRAVEL, WORKSHOPS * WORKSHOP_PRICE]
        assert {(i.invoice, i.subscription) for i in items} == {(first.id, sub.id)}

    def test_the_renewal_bills_the_period_alone(self, client: stripe.StripeClient) -> None:
        customer, cat = _customer(client), _catalog(client)
        sub = _subscribe(client, customer, cat)
        client.v1.test_helpers.test_clocks.advance(customer.test_clock, params={"frozen_time": FEB + 60})
        renewal, _first = client.v1.invoices.list(params={"subscription": sub.id}).data
        assert renewal.billing_reason == "subscription_cycle"
        assert [(line.type, line.amount) for line in renewal.lines.data] == [("subscription", SEATS * SEAT_PRICE)]
        assert renewal.total == SEATS * SEAT_PRICE

    def test_a_repeat_with_the_same_key_adds_nothing(self, client: stripe.StripeClient) -> None:
        customer, cat = _customer(client), _catalog(client)
        first = _subscribe(client, customer, cat, key="wf-9:subscription")
        again = _subscribe(client, customer, cat, key="wf-9:subscription")
        assert again.id == first.id and again.latest_invoice == first.latest_invoice
        assert len(client.v1.invoice_items.list(params={"customer": customer.id}).data) == 2
        assert len(client.v1.subscriptions.list(params={"customer": customer.id}).data) == 1

    def test_a_chosen_period(self, client: stripe.StripeClient) -> None:
        customer, cat = _customer(client), _catalog(client)
        sub = client.v1.subscriptions.create(params={
            "customer": customer.id, "items": [{"price": cat["seat"].id}],
            "add_invoice_items": [{"price": cat["workshop"].id, "period": {
                "start": {"type": "now"}, "end": {"type": "timestamp", "timestamp": T0 + 7 * 86400}}}]})
        line = next(li for li in client.v1.invoices.retrieve(sub.latest_invoice).lines.data
                    if li.type == "invoiceitem")
        assert (line.period.start, line.period.end, line.amount) == (T0, T0 + 7 * 86400, WORKSHOP_PRICE)


class TestRefusals:
    @pytest.mark.parametrize(("entry", "param"), [
        ({"price": "seat"}, "add_invoice_items[0][price]"),  # a recurring price
        ({"price": "workshop", "price_data": {"currency": "usd", "product": "travel", "unit_amount": 1}},
         "add_invoice_items[0][price_data]"),
        ({"quantity": 1}, "add_invoice_items[0][price]"),
        ({"price_data": {"currency": "eur", "product": "travel", "unit_amount": 1}},
         "add_invoice_items[0][price_data]"),
        ({"price_data": {"currency": "usd", "unit_amount": 1}}, "add_invoice_items[0][price_data][product]"),
        ({"price": "price_nope"}, "add_invoice_items[0][price]"),
    ])
    def test_refused_entries_create_nothing(self, client: stripe.StripeClient, entry: dict[str, Any],
                                            param: str) -> None:
        customer, cat = _customer(client), _catalog(client)
        ids = {"seat": cat["seat"].id, "workshop": cat["workshop"].id, "travel": cat["travel"].id}
        resolved = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in entry.items()}
        if "price_data" in resolved and "product" in resolved["price_data"]:
            resolved["price_data"] = {**resolved["price_data"], "product": ids["travel"]}
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": cat["seat"].id}],
                                                   "add_invoice_items": [resolved]})
        assert caught.value.param == param
        assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []
        assert client.v1.invoice_items.list(params={"customer": customer.id}).data == []
