"""One-time charges added when a subscription is created, or invoiced on their own, through the official
``chargebee`` SDK.

Product Catalog 2.0 models a setup fee as a *charge* item whose item prices have no period. Creating a
subscription for items with a charge item price in ``subscription_items`` (``item_type=charge``, charged
``immediately`` by default, or ``on_event`` of the subscription's start) bills it once on the first invoice; the
subscription keeps it under ``charged_items``, not ``subscription_items``, and renewals do not bill it again.
A customer takes Plan A (30.00 a month) with two onboarding workshops at 250.00 each, negotiated to 200.00,
and the standard 500.00 onboarding charge on the subscription's creation event.
"""

from __future__ import annotations

from typing import Any

import chargebee
import httpx
import pytest
from chargebee import Chargebee

from tests.sandboxes.chargebee.conftest import DAY, START, seed_catalog

DEC_1 = START + 30 * DAY
PLAN, WORKSHOPS, WORKSHOP_LIST, WORKSHOP_DEAL, ONBOARDING = 3_000, 2, 25_000, 20_000, 50_000


def _catalog(cb: Chargebee) -> str:
    seed_catalog(cb)
    cb.Item.create({"id": "workshop", "name": "Workshop", "type": "charge", "item_family_id": "platform"})
    cb.ItemPrice.create({"id": "workshop-usd", "name": "Workshop USD", "item_id": "workshop",
                         "pricing_model": "per_unit", "price": WORKSHOP_LIST, "currency_code": "USD"})
    return str(cb.Customer.create({"first_name": "Ada", "company": "Acme"}).customer.id)


def _rows(**onboarding: Any) -> list[dict[str, Any]]:
    return [{"item_price_id": "plan-a-usd-monthly", "item_type": "plan"},
            {"item_price_id": "workshop-usd", "item_type": "charge", "quantity": WORKSHOPS,
             "unit_price": WORKSHOP_DEAL, "charge_on_option": "immediately"},
            {"item_price_id": "onboarding-usd", "item_type": "charge", **onboarding}]


class TestChargesAtCreation:
    def test_billed_once_on_the_first_invoice(self, cb: Chargebee, cb_admin: httpx.Client) -> None:
        customer = _catalog(cb)
        created = cb.Subscription.create_with_items(customer, {"subscription_items": _rows(
            charge_on_option="on_event", charge_on_event="subscription_creation", charge_once=True)})
        sub, invoice = created.subscription, created.invoice
        assert [si.item_price_id for si in sub.subscription_items] == ["plan-a-usd-monthly"]
        assert sorted(c.item_price_id for c in sub.charged_items) == ["onboarding-usd", "workshop-usd"]
        assert sorted((li.entity_type, li.entity_id, li.quantity, li.amount, li.date_from, li.date_to)
                      for li in invoice.line_items) == [
            ("charge_item_price", "onboarding-usd", 1, ONBOARDING, START, START),
            ("charge_item_price", "workshop-usd", WORKSHOPS, WORKSHOPS * WORKSHOP_DEAL, START, START),
            ("plan_item_price", "plan-a-usd-monthly", 1, PLAN, START, DEC_1)]
        assert (invoice.total, invoice.first_invoice) == (PLAN + WORKSHOPS * WORKSHOP_DEAL + ONBOARDING, True)
        assert sub.mrr == PLAN  # charges are not recurring revenue

        cb.TimeMachine.travel_forward("delorean", {"destination_time": DEC_1 + DAY})
        renewal, first = (e.invoice for e in cb.Invoice.list({"subscription_id": {"is": sub.id}}).list)
        assert first.id == invoice.id
        assert [(li.entity_id, li.amount) for li in renewal.line_items] == [("plan-a-usd-monthly", PLAN)]

    def test_a_repeat_with_the_same_key_bills_nothing_more(self, cb: Chargebee) -> None:
        customer = _catalog(cb)
        key = {"chargebee-idempotency-key": "wf-42:subscription"}
        first = cb.Subscription.create_with_items(customer, {"subscription_items": _rows()}, headers=key)
        again = cb.Subscription.create_with_items(customer, {"subscription_items": _rows()}, headers=key)
        assert again.is_idempotency_replayed and again.subscription.id == first.subscription.id
        assert len(cb.Invoice.list({"customer_id": {"is": customer}}).list) == 1

    def test_a_charge_added_later_is_billed_at_once(self, cb: Chargebee) -> None:
        customer = _catalog(cb)
        sub = cb.Subscription.create_with_items(customer, {"subscription_items": [
            {"item_price_id": "plan-a-usd-monthly"}]}).subscription
        changed = cb.Subscription.update_for_items(sub.id, {"subscription_items": [
            {"item_price_id": "onboarding-usd", "item_type": "charge"}]})
        assert [(li.entity_id, li.amount) for li in changed.invoice.line_items] == [("onboarding-usd", ONBOARDING)]
        assert [si.item_price_id for si in changed.subscription.subscription_items] == ["plan-a-usd-monthly"]


class TestOneOffInvoice:
    """``Invoice.create_for_charge_items_and_charges``: charges invoiced without any subscription."""

    def test_charges_invoiced_on_their_own_with_the_po_number(self, cb: Chargebee) -> None:
        customer = _catalog(cb)
        made = cb.Invoice.create_for_charge_items_and_charges({
            "customer_id": customer, "currency_code": "USD", "po_number": "0061x00000OnEoF",
            "auto_collection": "off", "net_term_days": 30,
            "item_prices": [{"item_price_id": "workshop-usd", "quantity": WORKSHOPS, "unit_price": WORKSHOP_DEAL},
                            {"item_price_id": "onboarding-usd"}]}).invoice
        assert (made.subscription_id, made.recurring, made.po_number) == (None, False, "0061x00000OnEoF")
        assert sorted((li.entity_type, li.entity_id, li.quantity, li.amount) for li in made.line_items) == [
            ("charge_item_price", "onboarding-usd", 1, ONBOARDING),
            ("charge_item_price", "workshop-usd", WORKSHOPS, WORKSHOPS * WORKSHOP_DEAL)]
        assert (made.total, made.amount_due, made.status) == (
            WORKSHOPS * WORKSHOP_DEAL + ONBOARDING, WORKSHOPS * WORKSHOP_DEAL + ONBOARDING, "payment_due")
        assert made.due_date - made.date == 30 * DAY
        assert [e.invoice.id for e in cb.Invoice.list({"customer_id": {"is": customer}}).list] == [made.id]

    def test_a_plan_price_or_an_unknown_price_is_refused_before_anything_is_stored(self, cb: Chargebee) -> None:
        customer = _catalog(cb)
        for rows in ([{"item_price_id": "plan-a-usd-monthly"}], [{"item_price_id": "no-such-price"}], []):
            with pytest.raises(chargebee.InvalidRequestError):
                cb.Invoice.create_for_charge_items_and_charges({"customer_id": customer, "item_prices": rows})
        assert cb.Invoice.list({"customer_id": {"is": customer}}).list == []


class TestRefusals:
    @pytest.mark.parametrize(("row", "param"), [
        ({"item_type": "addon"}, "subscription_items[item_type][2]"),
        ({"charge_on_event": "subscription_creation"}, "subscription_items[charge_on_event][2]"),
        ({"charge_on_option": "on_event"}, "subscription_items[charge_on_event][2]"),
        ({"charge_on_option": "on_event", "charge_on_event": "on_demand"}, "subscription_items[charge_on_event][2]"),
        ({"charge_on_option": "soon"}, "subscription_items[charge_on_option][2]"),
    ])
    def test_refused_rows_create_nothing(self, cb: Chargebee, row: dict[str, Any], param: str) -> None:
        customer = _catalog(cb)
        rows = _rows()
        rows[2] = {"item_price_id": "onboarding-usd", **row}
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.Subscription.create_with_items(customer, {"subscription_items": rows})
        assert (caught.value.api_error_code, caught.value.param) == ("param_wrong_value", param)
        assert cb.Subscription.list({"customer_id": {"is": customer}}).list == []
        assert cb.Invoice.list({"customer_id": {"is": customer}}).list == []

    def test_charge_terms_belong_to_charges(self, cb: Chargebee) -> None:
        customer = _catalog(cb)
        with pytest.raises(chargebee.InvalidRequestError) as caught:
            cb.Subscription.create_with_items(customer, {"subscription_items": [
                {"item_price_id": "plan-a-usd-monthly", "charge_on_option": "immediately"}]})
        assert caught.value.param == "subscription_items[charge_on_option][0]"
