"""Subscription lifecycle endpoints driven through the official SDK: scheduled cancellations lifted, meta_data
updated, backdated item changes, pending invoices closed, item prices archived, cards on the test gateway.

The site clock is frozen at 2025-11-01 (November has 30 days); time travel moves it forward.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from chargebee import Chargebee

from tests.sandboxes.chargebee.conftest import DAY, START, seed_catalog

CARD = {"number": "4111111111111111", "expiry_month": 12, "expiry_year": 2099, "cvv": "100"}


def _subscribe(cb: Chargebee, **extra: Any) -> Any:
    seed_catalog(cb)
    customer = cb.Customer.create({"id": "acme", "company": "Acme"}).customer
    row: dict[str, Any] = {"item_price_id": "plan-a-usd-monthly"}
    return cb.Subscription.create_with_items(customer.id, {"subscription_items": [row], **extra})


def _travel(admin: httpx.Client, seconds: int) -> None:
    admin.post("/__sandbox/time_travel", json={"advance_seconds": seconds}).raise_for_status()


class TestRemoveScheduledCancellation:
    def test_non_renewing_becomes_active_again(self, cb: Chargebee, cb_admin: httpx.Client) -> None:
        sub = _subscribe(cb).subscription
        ending = cb.Subscription.cancel_for_items(sub.id, {"end_of_term": True}).subscription
        assert (ending.status, ending.cancelled_at) == ("non_renewing", START + 30 * DAY)
        lifted = cb.Subscription.remove_scheduled_cancellation(sub.id, {}).subscription
        assert (lifted.status, lifted.next_billing_at, lifted.cancelled_at) == ("active", START + 30 * DAY, None)
        types = [e.event.event_type for e in cb.Event.list({"limit": 100}).list]
        assert "subscription_scheduled_cancellation_removed" in types
        _travel(cb_admin, 30 * DAY + 1)
        assert cb.Subscription.retrieve(sub.id).subscription.status == "active"  # renewed, not cancelled

    def test_an_active_subscription_has_nothing_to_remove(self, cb: Chargebee) -> None:
        sub = _subscribe(cb).subscription
        with pytest.raises(Exception, match="not scheduled for cancellation"):
            cb.Subscription.remove_scheduled_cancellation(sub.id, {})


class TestUpdateMetaData:
    def test_meta_data_alone_is_replaced_and_items_are_kept(self, cb: Chargebee) -> None:
        # meta_data travels as one JSON value (the SDK form-encodes a dict's keys only, so pass JSON text).
        sub = _subscribe(cb, meta_data=json.dumps({"deal": "0061x"})).subscription
        assert sub.meta_data == {"deal": "0061x"}
        updated = cb.Subscription.update_for_items(sub.id, {"meta_data": json.dumps({"term_end": "2026-10-31"})})
        assert updated.subscription.meta_data == {"term_end": "2026-10-31"}
        assert [si.item_price_id for si in updated.subscription.subscription_items] == ["plan-a-usd-monthly"]
        assert updated.invoice is None and updated.credit_notes is None


class TestBackdatedChange:
    def _upgrade(self, cb: Chargebee, sub_id: str, **extra: Any) -> Any:
        return cb.Subscription.update_for_items(sub_id, {
            "subscription_items": [{"item_price_id": "plan-b-usd-monthly"}], "replace_items_list": True,
            "change_option": "specific_date", **extra})

    def test_prorates_as_of_changes_scheduled_at(self, cb: Chargebee, cb_admin: httpx.Client) -> None:
        sub = _subscribe(cb).subscription
        _travel(cb_admin, 16 * DAY)  # recorded on Nov 17 ...
        changed = self._upgrade(cb, sub.id, changes_scheduled_at=START + 15 * DAY)  # ... of a change on Nov 16
        # Half of November remains from Nov 16: charge 100 USD / 2, credit 30 USD / 2.
        assert [(li.amount, li.date_from) for li in changed.invoice.line_items] == [(5000, START + 15 * DAY)]
        [note] = changed.credit_notes
        assert (note.type, note.total) == ("adjustment", 1500)
        assert changed.invoice.amount_due == 3500

    def test_before_the_term_start_or_in_the_future_is_refused(self, cb: Chargebee, cb_admin: httpx.Client
                                                               ) -> None:
        sub = _subscribe(cb).subscription
        _travel(cb_admin, 2 * DAY)
        with pytest.raises(Exception, match="current term start"):
            self._upgrade(cb, sub.id, changes_scheduled_at=START - DAY)
        with pytest.raises(Exception, match="future"):
            self._upgrade(cb, sub.id, changes_scheduled_at=START + 3 * DAY)
        with pytest.raises(Exception, match="cannot be blank"):
            self._upgrade(cb, sub.id)

    def test_not_before_the_last_item_change(self, cb: Chargebee, cb_admin: httpx.Client) -> None:
        sub = _subscribe(cb).subscription
        _travel(cb_admin, 10 * DAY)
        self._upgrade(cb, sub.id, changes_scheduled_at=START + 5 * DAY)
        with pytest.raises(Exception, match="last change"):
            cb.Subscription.update_for_items(sub.id, {
                "subscription_items": [{"item_price_id": "plan-a-usd-monthly"}], "replace_items_list": True,
                "change_option": "specific_date", "changes_scheduled_at": START + 4 * DAY})


class TestPendingInvoices:
    def test_first_invoice_pending_until_closed(self, cb: Chargebee) -> None:
        created = _subscribe(cb, create_pending_invoices=True, first_invoice_pending=True)
        pending = created.invoice
        assert (pending.status, pending.total, pending.generated_at) == ("pending", 3000, None)
        with pytest.raises(Exception, match="pending"):
            cb.CreditNote.create({"reference_invoice_id": pending.id, "total": 100, "type": "adjustment"})
        closed = cb.Invoice.close(pending.id, {}).invoice
        assert (closed.status, closed.amount_due, closed.generated_at) == ("payment_due", 3000, START)
        with pytest.raises(Exception, match="Only pending invoices"):
            cb.Invoice.close(pending.id, {})
        types = [e.event.event_type for e in cb.Event.list({"limit": 100}).list]
        assert "pending_invoice_created" in types and "invoice_generated" in types

    def test_first_invoice_pending_needs_pending_invoices(self, cb: Chargebee) -> None:
        with pytest.raises(Exception, match="create_pending_invoices"):
            _subscribe(cb, first_invoice_pending=True)


class TestArchiveItemPrice:
    def test_update_with_status_archived(self, cb: Chargebee) -> None:
        sub = _subscribe(cb).subscription
        archived = cb.ItemPrice.update("plan-a-usd-monthly", {"status": "archived"}).item_price
        assert (archived.status, archived.archived_at) == ("archived", START)
        with pytest.raises(Exception, match="not active"):
            cb.Subscription.create_with_items("acme", {"subscription_items": [{"item_price_id": "plan-a-usd-monthly"}]})
        assert cb.Subscription.retrieve(sub.id).subscription.status == "active"  # existing subscriptions go on
        restored = cb.ItemPrice.update("plan-a-usd-monthly", {"status": "active"}).item_price
        assert restored.status == "active" and restored.archived_at is None


class TestTestGatewayCard:
    def test_auto_collection_charges_the_card(self, cb: Chargebee) -> None:
        seed_catalog(cb)
        cb.Customer.create({"id": "acme", "company": "Acme"})
        added = cb.PaymentSource.create_card({"customer_id": "acme", "card": CARD})
        assert (added.payment_source.status, added.payment_source.card.last4) == ("valid", "1111")
        assert (added.customer.card_status, added.customer.primary_payment_source_id) == ("valid",
                                                                                          added.payment_source.id)
        invoice = cb.Subscription.create_with_items("acme", {"subscription_items": [
            {"item_price_id": "plan-a-usd-monthly"}]}).invoice
        assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", 3000, 0)
        txn = cb.Transaction.retrieve(invoice.linked_payments[0].txn_id).transaction
        assert (txn.type, txn.payment_method, txn.gateway, txn.amount) == ("payment", "card", "chargebee", 3000)

    def test_without_a_card_or_with_collection_off_the_invoice_stays_due(self, cb: Chargebee) -> None:
        seed_catalog(cb)
        cb.Customer.create({"id": "acme", "company": "Acme"})
        assert cb.Subscription.create_with_items("acme", {"subscription_items": [
            {"item_price_id": "plan-a-usd-monthly"}]}).invoice.status == "payment_due"
        cb.PaymentSource.create_card({"customer_id": "acme", "card": CARD})
        off = cb.Subscription.create_with_items("acme", {"auto_collection": "off", "subscription_items": [
            {"item_price_id": "plan-b-usd-monthly"}]}).invoice
        assert off.status == "payment_due"

    def test_an_invalid_card_is_refused(self, cb: Chargebee) -> None:
        cb.Customer.create({"id": "acme", "company": "Acme"})
        with pytest.raises(Exception, match="invalid card number"):
            cb.PaymentSource.create_card({"customer_id": "acme", "card": {**CARD, "number": "4111111111111112"}})
        with pytest.raises(Exception, match="expired"):
            cb.PaymentSource.create_card({"customer_id": "acme", "card": {**CARD, "expiry_year": 2024}})
