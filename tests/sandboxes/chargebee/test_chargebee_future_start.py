"""A subscription that starts later (``start_date`` in the future), through the official ``chargebee`` SDK.

Chargebee ("Create subscription for items", ``start_date``): "The date/time at which the subscription is to start
... If set to a value in the future, the subscription will have status ``future``." Nothing recurring is billed
until then; when the site's clock reaches it the subscription starts and its first term is billed in advance.
A customer signs on 1 November for Plan A (30.00 a month) from 15 November, with the 500.00 onboarding charge;
figures and dates are computed here from those inputs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import chargebee
import pytest
from chargebee import Chargebee

from tests.sandboxes.chargebee.conftest import DAY, START, seed_catalog

LATER = START + 14 * DAY  # 2025-11-15
DEC_15 = int(datetime(2025, 12, 15, tzinfo=UTC).timestamp())
PLAN, PLAN_B, ONBOARDING = 3_000, 10_000, 50_000


def _customer(cb: Chargebee) -> str:
    seed_catalog(cb)
    return str(cb.Customer.create({"first_name": "Ada", "company": "Later Inc"}).customer.id)


def _future(cb: Chargebee, customer: str, *charges: dict[str, str]) -> chargebee.Subscription:
    rows = [{"item_price_id": "plan-a-usd-monthly", "item_type": "plan"}, *charges]
    return cb.Subscription.create_with_items(customer, {"start_date": LATER, "subscription_items": rows})


def _invoices(cb: Chargebee, sub_id: str) -> list[chargebee.Invoice]:
    return sorted((e.invoice for e in cb.Invoice.list({"subscription_id": {"is": sub_id}}).list),
                  key=lambda inv: inv.date)


class TestFutureStart:
    def test_bills_its_first_term_when_it_starts(self, cb: Chargebee) -> None:
        customer = _customer(cb)
        created = _future(cb, customer, {"item_price_id": "onboarding-usd", "item_type": "charge"})
        sub = created.subscription
        assert (sub.status, sub.start_date, sub.next_billing_at) == ("future", LATER, LATER)
        assert getattr(sub, "current_term_start", None) is None
        assert [(li.entity_id, li.amount) for li in created.invoice.line_items] == [("onboarding-usd", ONBOARDING)]

        cb.TimeMachine.travel_forward("delorean", {"destination_time": LATER + DAY})
        sub = cb.Subscription.retrieve(sub.id).subscription
        assert (sub.status, sub.current_term_start, sub.current_term_end) == ("active", LATER, DEC_15)
        invoices = _invoices(cb, sub.id)
        assert [inv.total for inv in invoices] == [ONBOARDING, PLAN]
        assert [(li.entity_id, li.date_from, li.date_to) for li in invoices[1].line_items] == [
            ("plan-a-usd-monthly", LATER, DEC_15)]
        started = [e.event.event_type for e in cb.Event.list({"limit": 100}).list]
        assert "subscription_started" in started

        cb.TimeMachine.travel_forward("delorean", {"destination_time": DEC_15 + DAY})
        assert [inv.total for inv in _invoices(cb, sub.id)] == [ONBOARDING, PLAN, PLAN]

    def test_a_future_subscription_can_be_cancelled_and_is_never_billed(self, cb: Chargebee) -> None:
        customer = _customer(cb)
        sub = _future(cb, customer).subscription
        with pytest.raises(chargebee.InvalidRequestError):
            cb.Subscription.cancel_for_items(sub.id, {"cancel_option": "end_of_term"})
        cancelled = cb.Subscription.cancel_for_items(sub.id, {"cancel_option": "immediately"}).subscription
        assert cancelled.status == "cancelled"
        cb.TimeMachine.travel_forward("delorean", {"destination_time": DEC_15 + DAY})
        assert _invoices(cb, sub.id) == []

    def test_its_items_change_without_proration_before_it_starts(self, cb: Chargebee) -> None:
        customer = _customer(cb)
        sub = _future(cb, customer).subscription
        changed = cb.Subscription.update_for_items(sub.id, {"subscription_items": [
            {"item_price_id": "plan-b-usd-monthly", "item_type": "plan"}]})
        assert getattr(changed, "invoice", None) is None
        assert [si.item_price_id for si in changed.subscription.subscription_items] == ["plan-b-usd-monthly"]
        cb.TimeMachine.travel_forward("delorean", {"destination_time": LATER + DAY})
        assert [inv.total for inv in _invoices(cb, sub.id)] == [PLAN_B]

    @pytest.mark.parametrize("start", [START, START - DAY])
    def test_a_start_not_in_the_future_is_refused(self, cb: Chargebee, start: int) -> None:
        customer = _customer(cb)
        with pytest.raises(chargebee.InvalidRequestError) as refused:
            cb.Subscription.create_with_items(customer, {"start_date": start, "subscription_items": [
                {"item_price_id": "plan-a-usd-monthly"}]})
        assert refused.value.param == "start_date"
        assert cb.Subscription.list({"customer_id": {"is": customer}}).list == []
