"""Quote-to-cash through the official ``stripe`` SDK against the sandbox served over real HTTP.

A customer signs up for 10 seats of a monthly plan; halfway through the month they upgrade to 20 seats
(prorated to the second), the prorations are invoiced, the invoice is finalized and paid, part of it is
credited back as a refund, and everything reads back consistent. Then the SDK's own error types fire for
Stripe's error cases.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z; January has 31 days
JAN = 31 * 86400


def _catalog(client: stripe.StripeClient) -> tuple[Any, Any, Any]:
    product = client.v1.products.create(params={"name": "Seats", "metadata": {"sku": "SEAT"}})
    seat = client.v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount": 1000,
        "recurring": {"interval": "month", "interval_count": 1}, "lookup_key": "seat-monthly"})
    pro = client.v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount_decimal": "2000",
        "recurring": {"interval": "month"}})
    return product, seat, pro


class TestQuoteToCash:
    def test_story(self, client: stripe.StripeClient) -> None:
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0, "name": "story"})
        customer = client.v1.customers.create(params={
            "email": "ap@acme.test", "name": "Acme", "metadata": {"deal": "0061x"}, "test_clock": clock.id})
        product, seat, pro = _catalog(client)
        sub = client.v1.subscriptions.create(params={
            "customer": customer.id, "items": [{"price": seat.id, "quantity": 10}]},
            options={"idempotency_key": "wf-42:create-subscription"})
        assert sub.status == "active"
        assert sub.current_period_end == T0 + JAN
        first = client.v1.invoices.retrieve(sub.latest_invoice)
        assert (first.status, first.amount_paid, first.billing_reason) == ("paid", 10_000, "subscription_create")

        # Upgrade halfway through January: 10 -> 20 seats.
        half = T0 + JAN // 2
        item = sub["items"]["data"][0]
        upgraded = client.v1.subscriptions.update(sub.id, params={
            "items": [{"id": item.id, "quantity": 20}], "proration_behavior": "create_prorations",
            "proration_date": half})
        assert upgraded["items"]["data"][0]["quantity"] == 20
        pending = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True})
        assert sorted(i.amount for i in pending.data) == [-50_000 // 10, 10_000]

        invoice = client.v1.invoices.create(params={
            "customer": customer.id, "subscription": sub.id, "pending_invoice_items_behavior": "include"})
        assert (invoice.status, invoice.total) == ("draft", 5_000)
        invoice = client.v1.invoices.finalize_invoice(invoice.id)
        assert invoice.status == "open" and invoice.number.endswith("-0002")
        invoice = client.v1.invoices.pay(invoice.id)
        assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 5_000, 0)

        note = client.v1.credit_notes.create(params={
            "invoice": invoice.id, "amount": 1_500, "refund_amount": 1_000, "credit_amount": 500,
            "reason": "product_unsatisfactory"})
        assert (note.type, note.total, note.status) == ("post_payment", 1_500, "issued")
        refund = client.v1.refunds.retrieve(note.refund)
        assert (refund.amount, refund.charge, refund.status) == (1_000, invoice.charge, "succeeded")
        extra = client.v1.refunds.create(params={"charge": invoice.charge, "amount": 500})

        # Read everything back.
        charge = client.v1.charges.retrieve(invoice.charge)
        assert charge.amount_refunded == 1_500 and not charge.refunded
        assert client.v1.customers.retrieve(customer.id).balance == -500
        assert client.v1.invoices.retrieve(invoice.id).post_payment_credit_notes_amount == 1_500
        invoices = client.v1.invoices.list(params={"customer": customer.id})
        assert [i.id for i in invoices.data] == [invoice.id, first.id]
        assert [r.id for r in client.v1.refunds.list(params={"charge": charge.id}).data] == [extra.id, refund.id]
        found = client.v1.customers.search(params={"query": "metadata['deal']:'0061x'"})
        assert [c.id for c in found.data] == [customer.id]
        assert client.v1.customers.search(params={"query": "email:'ap@acme.test' AND name:'Acme'"}).data
        again = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice", "customer"]})
        assert again.customer.email == "ap@acme.test" and again.latest_invoice.object == "invoice"
        assert client.v1.prices.list(params={"lookup_keys": ["seat-monthly"]}).data[0].id == seat.id
        assert pro.unit_amount == 2000 and product.metadata["sku"] == "SEAT"

    def test_renewal_with_metered_usage(self, client: stripe.StripeClient) -> None:
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0})
        customer = client.v1.customers.create(params={"email": "m@acme.test", "test_clock": clock.id})
        meter = client.v1.billing.meters.create(params={
            "display_name": "API calls", "event_name": "api_call", "default_aggregation": {"formula": "sum"}})
        product = client.v1.products.create(params={"name": "API"})
        metered = client.v1.prices.create(params={
            "product": product.id, "currency": "usd", "unit_amount": 2,
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})
        base = client.v1.prices.create(params={
            "product": product.id, "currency": "usd", "billing_scheme": "tiered", "tiers_mode": "graduated",
            "tiers": [{"up_to": 5, "unit_amount": 1000}, {"up_to": "inf", "unit_amount": 500}],
            "recurring": {"interval": "month"}})
        sub = client.v1.subscriptions.create(params={
            "customer": customer.id, "items": [{"price": metered.id}, {"price": base.id, "quantity": 7}]})
        for n, value in enumerate((120, 30)):
            client.v1.billing.meter_events.create(params={
                "event_name": "api_call", "payload": {"stripe_customer_id": customer.id, "value": str(value)},
                "identifier": f"usage-{n}", "timestamp": T0 + 3600 * (n + 1)})
        summary = client.v1.billing.meters.event_summaries.list(meter.id, params={
            "customer": customer.id, "start_time": T0, "end_time": T0 + JAN})
        assert summary.data[0].aggregated_value == 150
        advanced = client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": T0 + JAN + 60})
        assert advanced.status in ("advancing", "ready")
        invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
        assert len(invoices) == 2
        renewal = invoices[0]
        # 7 seats graduated: 5 x 10.00 + 2 x 5.00 = 60.00 in advance; 150 calls x 0.02 = 3.00 in arrears.
        assert (renewal.billing_reason, renewal.total, renewal.status) == ("subscription_cycle", 6_300, "paid")
        assert client.v1.subscriptions.retrieve(sub.id).current_period_start == T0 + JAN
        events = client.v1.events.list(params={"type": "invoice.paid"})
        assert len(events.data) == 2


class TestSdkErrors:
    def test_not_found_is_invalid_request(self, client: stripe.StripeClient) -> None:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.retrieve("cus_missing")
        assert (caught.value.code, caught.value.param, caught.value.http_status) == ("resource_missing", "id", 404)

    def test_validation_is_invalid_request(self, client: stripe.StripeClient) -> None:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.prices.create(params={"currency": "usd", "unit_amount": 5})
        assert (caught.value.code, caught.value.param) == ("parameter_missing", "product")

    def test_bad_key_is_authentication_error(self, make_client: Any) -> None:
        with pytest.raises(stripe.AuthenticationError):
            make_client(api_key="sk_live_nope").v1.customers.list()

    def test_429_is_rate_limit_error(self, client: stripe.StripeClient, admin: Any) -> None:
        admin.post("/__sandbox/faults", json={"seed": 1, "rules": [
            {"route": "GET /v1/customers$", "rate_limit_rate": 1.0, "burst_length": 2}]}).raise_for_status()
        with pytest.raises(stripe.RateLimitError) as caught:
            client.v1.customers.list()
        assert caught.value.http_status == 429 and caught.value.headers["retry-after"] == "1"

    def test_key_reuse_is_idempotency_error(self, client: stripe.StripeClient) -> None:
        client.v1.customers.create(params={"email": "a@x.test"}, options={"idempotency_key": "k-1"})
        with pytest.raises(stripe.IdempotencyError):
            client.v1.customers.create(params={"email": "b@x.test"}, options={"idempotency_key": "k-1"})

    def test_card_decline_is_card_error(self, client: stripe.StripeClient) -> None:
        customer = client.v1.customers.create(params={"email": "d@x.test"})
        client.v1.invoice_items.create(params={"customer": customer.id, "amount": 700, "currency": "usd"})
        invoice = client.v1.invoices.create(params={"customer": customer.id,
                                                    "pending_invoice_items_behavior": "include"})
        client.v1.invoices.finalize_invoice(invoice.id)
        with pytest.raises(stripe.CardError) as caught:
            client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_chargeDeclined"})
        assert caught.value.code == "card_declined"
        assert client.v1.invoices.retrieve(invoice.id).status == "open"
