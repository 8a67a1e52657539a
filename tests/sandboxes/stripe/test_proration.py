"""Prorations equal Stripe's documented example, computed to the second.

Stripe, "Prorations" (https://docs.stripe.com/billing/subscriptions/prorations): "If a customer upgrades from
a 10 USD monthly plan to a 20 USD option halfway through the billing period, the customer is billed an
additional 5 USD": -5 USD for unused time on the original plan, +10 USD for remaining time on the new one.
Stripe calculates prorations down to the second from the billing period's start and the change's timestamp.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

APRIL = 1_711_929_600  # 2024-04-01T00:00:00Z; April has 30 days
PERIOD = 30 * 86400
HALF = APRIL + PERIOD // 2


def _setup(client: stripe.StripeClient, unit_amount: int, quantity: int) -> tuple[Any, Any, Any]:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APRIL})
    customer = client.v1.customers.create(params={"email": "p@acme.test", "test_clock": clock.id})
    product = client.v1.products.create(params={"name": "Plan"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": unit_amount,
                                            "recurring": {"interval": "month"}})
    sub = client.v1.subscriptions.create(params={"customer": customer.id,
                                                 "items": [{"price": price.id, "quantity": quantity}]})
    assert (sub.current_period_start, sub.current_period_end) == (APRIL, APRIL + PERIOD)
    return customer, product, sub


def _pending(client: stripe.StripeClient, customer: Any) -> list[int]:
    items = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data
    assert all(item.proration for item in items)
    return sorted(item.amount for item in items)


class TestDocumentedExample:
    def test_price_change_10_to_20(self, client: stripe.StripeClient) -> None:
        customer, product, sub = _setup(client, 1000, 1)
        dearer = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 2000,
                                                 "recurring": {"interval": "month"}})
        client.v1.subscriptions.update(sub.id, params={
            "items": [{"id": sub["items"].data[0].id, "price": dearer.id}], "proration_date": HALF})
        assert _pending(client, customer) == [-500, 1000]

    def test_quantity_change_10_to_20(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 100, 10)
        client.v1.subscriptions.update(sub.id, params={
            "items": [{"id": sub["items"].data[0].id, "quantity": 20}], "proration_date": HALF})
        assert _pending(client, customer) == [-500, 1000]

    def test_at_the_clock_midpoint_without_proration_date(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 1000, 1)
        client.v1.test_helpers.test_clocks.advance(customer.test_clock, params={"frozen_time": HALF})
        client.v1.subscriptions.update(sub.id, params={"items": [{"id": sub["items"].data[0].id, "quantity": 2}]})
        assert _pending(client, customer) == [-500, 1000]


class TestToTheSecond:
    def test_one_second_in(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 2_592_000, 1)  # 1 minor unit per second of April
        client.v1.subscriptions.update(sub.id, params={
            "items": [{"id": sub["items"].data[0].id, "quantity": 2}], "proration_date": APRIL + 1})
        assert _pending(client, customer) == [-(PERIOD - 1), 2 * (PERIOD - 1)]

    def test_a_third_through(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 3000, 1)
        client.v1.subscriptions.update(sub.id, params={
            "items": [{"id": sub["items"].data[0].id, "quantity": 4}], "proration_date": APRIL + PERIOD // 3})
        assert _pending(client, customer) == [-2000, 8000]


class TestBehaviours:
    def test_none_creates_nothing(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 1000, 1)
        client.v1.subscriptions.update(sub.id, params={
            "items": [{"id": sub["items"].data[0].id, "quantity": 2}], "proration_behavior": "none",
            "proration_date": HALF})
        assert _pending(client, customer) == []

    def test_always_invoice_bills_now(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 1000, 1)
        updated = client.v1.subscriptions.update(sub.id, params={
            "items": [{"id": sub["items"].data[0].id, "quantity": 2}], "proration_behavior": "always_invoice",
            "proration_date": HALF, "expand": ["latest_invoice"]})
        invoice = updated.latest_invoice
        assert (invoice.billing_reason, invoice.total, invoice.status) == ("subscription_update", 500, "paid")
        assert invoice.subscription_proration_date == HALF
        assert _pending(client, customer) == []

    def test_proration_date_outside_period(self, client: stripe.StripeClient) -> None:
        _, _, sub = _setup(client, 1000, 1)
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.subscriptions.update(sub.id, params={
                "items": [{"id": sub["items"].data[0].id, "quantity": 2}], "proration_date": APRIL - 1})
        assert caught.value.param == "proration_date"

    def test_cancel_at_period_end_then_renewal_cancels(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 1000, 1)
        client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
        client.v1.test_helpers.test_clocks.advance(customer.test_clock, params={"frozen_time": APRIL + PERIOD + 1})
        ended = client.v1.subscriptions.retrieve(sub.id)
        assert (ended.status, ended.ended_at) == ("canceled", APRIL + PERIOD)
        assert len(client.v1.invoices.list(params={"customer": customer.id}).data) == 1

    def test_cancel_now_with_proration_credit(self, client: stripe.StripeClient) -> None:
        customer, _, sub = _setup(client, 1000, 1)
        client.v1.test_helpers.test_clocks.advance(customer.test_clock, params={"frozen_time": HALF})
        canceled = client.v1.subscriptions.cancel(sub.id, params={"prorate": True})
        assert canceled.status == "canceled" and canceled.canceled_at == HALF
        assert _pending(client, customer) == [-500]
