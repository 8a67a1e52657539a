"""A metered price replaced mid-period, through the official ``stripe`` SDK against the sandbox over real HTTP.

Stripe bills a metered item's usage in arrears at the item's price, counting from when that price took effect
(https://docs.stripe.com/billing/subscriptions/usage-based/manage-billing-setup, "Update prices mid-cycle"):
with ``billing_mode[type]=flexible`` the usage reported before the switch is billed at the old price as an
invoice item made at the switch; in ``classic`` mode it is never billed. Expected amounts are computed here from
the events sent.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
DAY = 86_400
JAN = 31 * DAY
OLD, NEW = 4, 3  # cents a call


def _metered(client: stripe.StripeClient, meter: Any, product: Any, cents: int) -> Any:
    return client.v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount": cents,
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})


def _calls(client: stripe.StripeClient, event_name: str, customer: str, value: int, at: int) -> None:
    client.v1.billing.meter_events.create(params={
        "event_name": event_name, "payload": {"stripe_customer_id": customer, "value": str(value)},
        "identifier": f"{customer}-{at}", "timestamp": at})


def _switched_mid_january(client: stripe.StripeClient, mode: str | None) -> tuple[Any, list[Any]]:
    """A January subscription of API calls at 4 cents, switched to 3 cents on 16 January; the clock then bills
    February's first day. 1,000 calls on 10 January (before), 600 on 20 January (after)."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0})
    customer = client.v1.customers.create(params={"email": "calls@acme.test", "test_clock": clock.id})
    event_name = f"api_call_{customer.id}"
    meter = client.v1.billing.meters.create(params={
        "display_name": "API calls", "event_name": event_name, "default_aggregation": {"formula": "sum"}})
    product = client.v1.products.create(params={"name": "API calls"})
    old, new = _metered(client, meter, product, OLD), _metered(client, meter, product, NEW)
    params: dict[str, Any] = {"customer": customer.id, "items": [{"price": old.id}]}
    if mode is not None:
        params["billing_mode"] = {"type": mode}
    sub = client.v1.subscriptions.create(params=params)
    _calls(client, event_name, customer.id, 1_000, T0 + 9 * DAY)
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": T0 + 15 * DAY})
    item = sub["items"]["data"][0]
    client.v1.subscriptions.update(sub.id, params={"items": [{"id": item.id, "price": new.id}]})
    _calls(client, event_name, customer.id, 600, T0 + 19 * DAY)
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": T0 + JAN + 60})
    invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
    return sub, invoices


class TestMeteredPriceReplaced:
    def test_flexible_mode_bills_usage_before_the_switch_at_the_old_price(self, client: stripe.StripeClient):
        sub, invoices = _switched_mid_january(client, "flexible")
        assert sub.billing_mode.type == "flexible"
        renewal = next(i for i in invoices if i.billing_reason == "subscription_cycle")
        amounts = sorted(line.amount for line in renewal.lines.data)
        assert amounts == sorted([1_000 * OLD, 600 * NEW])
        assert renewal.total == 1_000 * OLD + 600 * NEW == 5_800
        before = next(line for line in renewal.lines.data if line.amount == 1_000 * OLD)
        assert (before.period.start, before.period.end) == (T0, T0 + 15 * DAY)

    @pytest.mark.parametrize("mode", ["classic", None])
    def test_classic_mode_bills_only_usage_after_the_switch(self, client: stripe.StripeClient, mode: str | None):
        sub, invoices = _switched_mid_january(client, mode)  # classic is the default
        assert sub.billing_mode.type == "classic"
        renewal = next(i for i in invoices if i.billing_reason == "subscription_cycle")
        assert renewal.total == 600 * NEW
        [line] = renewal.lines.data
        assert (line.period.start, line.period.end) == (T0 + 15 * DAY, T0 + JAN)

    def test_an_unknown_billing_mode_is_refused(self, client: stripe.StripeClient):
        customer = client.v1.customers.create(params={"email": "x@acme.test"})
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.subscriptions.create(params={
                "customer": customer.id, "items": [{"price": "price_missing"}], "billing_mode": {"type": "fast"}})
        assert caught.value.param == "billing_mode[type]"
