"""A subscription whose paid service starts later: ``trial_end`` through the official SDK.

Stripe ("Subscriptions: create", ``trial_end``): "Unix timestamp representing the end of the trial period the
customer will get before being charged for the first time ... Can be at most two years from
``billing_cycle_anchor``." A trial anchors the billing cycle at its end. On 2024-01-10 a customer subscribes to
10 seats at 10.00 a month whose service starts on 2024-02-01, with a 150.00 setup fee: the first invoice bills
the setup fee and the seats at zero; on 1 February the first month is billed in full, and on 1 March the next.
Amounts and dates are computed here from those inputs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import stripe


def unix(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


SIGNED, START, MARCH = unix("2024-01-10"), unix("2024-02-01"), unix("2024-03-01")
SEATS, SEAT_PRICE, SETUP = 10, 1_000, 15_000


def _deal(client: stripe.StripeClient) -> tuple[Any, Any, Any, Any]:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": SIGNED})
    customer = client.v1.customers.create(params={"email": "ap@later.test", "test_clock": clock.id})
    seats = client.v1.products.create(params={"name": "Seats"})
    setup = client.v1.products.create(params={"name": "Setup"})
    seat = client.v1.prices.create(params={"product": seats.id, "currency": "usd", "unit_amount": SEAT_PRICE,
                                           "recurring": {"interval": "month"}})
    fee = client.v1.prices.create(params={"product": setup.id, "currency": "usd", "unit_amount": SETUP})
    return clock, customer, seat, fee


def _invoices(client: stripe.StripeClient, sub_id: str) -> list[Any]:
    found = client.v1.invoices.list(params={"subscription": sub_id, "limit": 100}).data
    return sorted(found, key=lambda inv: (inv.created, inv.id))


class TestDeferredStart:
    def test_nothing_recurring_is_billed_before_the_trial_ends(self, client: stripe.StripeClient) -> None:
        clock, customer, seat, fee = _deal(client)
        sub = client.v1.subscriptions.create(params={
            "customer": customer.id, "items": [{"price": seat.id, "quantity": SEATS}], "trial_end": START,
            "add_invoice_items": [{"price": fee.id}]})
        assert (sub.status, sub.trial_start, sub.trial_end) == ("trialing", SIGNED, START)
        assert (sub.current_period_start, sub.current_period_end, sub.billing_cycle_anchor) == (SIGNED, START, START)
        first = client.v1.invoices.retrieve(sub.latest_invoice)
        assert first.total == SETUP
        seat_line = next(line for line in first.lines.data if line.price.id == seat.id)
        assert (seat_line.amount, seat_line.period.start, seat_line.period.end) == (0, SIGNED, START)

        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START + 3600})
        sub = client.v1.subscriptions.retrieve(sub.id)
        assert (sub.status, sub.current_period_start, sub.current_period_end) == ("active", START, MARCH)
        invoices = _invoices(client, sub.id)
        assert [inv.total for inv in invoices] == [SETUP, SEATS * SEAT_PRICE]
        assert (invoices[1].period_start, invoices[1].period_end) == (START, MARCH)

        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": MARCH + 3600})
        assert [inv.total for inv in _invoices(client, sub.id)] == [SETUP, SEATS * SEAT_PRICE, SEATS * SEAT_PRICE]

    def test_a_change_during_the_trial_prorates_nothing(self, client: stripe.StripeClient) -> None:
        clock, customer, seat, _ = _deal(client)
        sub = client.v1.subscriptions.create(params={
            "customer": customer.id, "items": [{"price": seat.id, "quantity": SEATS}], "trial_end": START})
        item = sub["items"].data[0]
        client.v1.subscriptions.update(sub.id, params={"items": [{"id": item.id, "quantity": SEATS * 2}]})
        pending = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data
        assert pending == []
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START + 3600})
        assert [inv.total for inv in _invoices(client, sub.id)] == [0, 2 * SEATS * SEAT_PRICE]

    def test_trial_end_now_starts_billing_at_once(self, client: stripe.StripeClient) -> None:
        _, customer, seat, _ = _deal(client)
        sub = client.v1.subscriptions.create(params={
            "customer": customer.id, "items": [{"price": seat.id, "quantity": SEATS}], "trial_end": "now"})
        assert sub.status == "active"
        assert client.v1.invoices.retrieve(sub.latest_invoice).total == SEATS * SEAT_PRICE

    @pytest.mark.parametrize(("trial_end", "reason"), [
        (SIGNED - 86400, "in the future"), (SIGNED, "in the future"), (SIGNED + 731 * 86400, "two years")])
    def test_a_trial_end_not_ahead_or_too_far_is_refused(self, client: stripe.StripeClient, trial_end: int,
                                                         reason: str) -> None:
        _, customer, seat, _ = _deal(client)
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.subscriptions.create(params={
                "customer": customer.id, "items": [{"price": seat.id, "quantity": SEATS}], "trial_end": trial_end})
        assert refused.value.param == "trial_end"
        assert reason in str(refused.value.user_message)
        assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []
