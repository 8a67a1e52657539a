"""Quote to cash through the official ``chargebee`` SDK against the sandbox.

A customer signs up on Plan A ($30/month, flat fee) with a metered API-calls addon (tiered: 2 cents per call
up to 1,000, then 1 cent) and a one-time $500 onboarding charge, on 2025-11-01. Halfway through November
they upgrade to Plan B ($100/month). On 2025-12-01 the subscription renews and the month's API calls are
billed. Payments are recorded offline, part of the December invoice is credited and refunded, and the
subscription is cancelled at the end of its term. Everything is read back and must agree.
"""

from __future__ import annotations

from typing import Any

import httpx
from chargebee import Chargebee

from tests.sandboxes.chargebee.conftest import DAY, START, seed_catalog

DEC_1 = START + 30 * DAY
JAN_1 = DEC_1 + 31 * DAY


def _pay(cb: Chargebee, invoice_id: str, amount: int) -> Any:
    return cb.Invoice.record_payment(invoice_id, {"transaction": {"amount": amount, "payment_method": "bank_transfer",
                                                                  "reference_number": f"wire-{invoice_id}"}})


def _sign_up(cb: Chargebee) -> tuple[str, str, Any]:
    key = {"chargebee-idempotency-key": "wf-42:customer"}
    first = cb.Customer.create({"first_name": "Ada", "company": "Acme", "email": "ada@acme.test"}, headers=key)
    again = cb.Customer.create({"first_name": "Ada", "company": "Acme", "email": "ada@acme.test"}, headers=key)
    assert not first.is_idempotency_replayed and again.is_idempotency_replayed
    assert again.customer.id == first.customer.id
    seed_catalog(cb)
    created = cb.Subscription.create_with_items(first.customer.id, {"subscription_items": [
        {"item_price_id": "plan-a-usd-monthly"}, {"item_price_id": "api-calls-usd-monthly"},
        {"item_price_id": "onboarding-usd"}]})
    return first.customer.id, created.subscription.id, created


class TestQuoteToCash:
    def test_story(self, cb: Chargebee, cb_admin: httpx.Client) -> None:
        customer_id, sub_id, created = _sign_up(cb)
        sub, invoice = created.subscription, created.invoice
        assert (sub.status, sub.current_term_start, sub.current_term_end) == ("active", START, DEC_1)
        assert [si.item_price_id for si in sub.subscription_items] == ["plan-a-usd-monthly", "api-calls-usd-monthly"]
        assert [c.item_price_id for c in sub.charged_items] == ["onboarding-usd"]
        # First invoice: Plan A for the whole first term in advance plus the one-time charge; no usage yet.
        assert sorted((li.entity_id, li.amount) for li in invoice.line_items) == [
            ("onboarding-usd", 50000), ("plan-a-usd-monthly", 3000)]
        assert (invoice.total, invoice.amount_due, invoice.status, invoice.first_invoice) == (
            53000, 53000, "payment_due", True)
        paid = _pay(cb, invoice.id, 53000)
        assert (paid.invoice.status, paid.transaction.amount, paid.transaction.type) == ("paid", 53000, "payment")

        upgrade = self._upgrade_midterm(cb, cb_admin, sub_id)

        # 1,500 API calls in the rest of November, billed in arrears at the Dec 1 renewal.
        for quantity in ("1200", "300"):
            cb.Usage.create(sub_id, {"item_price_id": "api-calls-usd-monthly", "quantity": quantity,
                                     "usage_date": START + 15 * DAY})
        machine = cb.TimeMachine.travel_forward("delorean", {"destination_time": DEC_1 + DAY})
        assert machine.time_machine.time_travel_status == "succeeded"
        renewed = cb.Subscription.retrieve(sub_id).subscription
        assert (renewed.current_term_start, renewed.current_term_end) == (DEC_1, JAN_1)
        renewal = cb.Invoice.list({"subscription_id": {"is": sub_id}, "limit": 1}).list[0].invoice
        # 1,000 calls at 2 cents + 500 at 1 cent = $25.00; Plan B for December in advance = $100.00.
        assert sorted((li.entity_id, li.amount, li.date_from, li.date_to) for li in renewal.line_items) == [
            ("api-calls-usd-monthly", 2500, START, DEC_1), ("plan-b-usd-monthly", 10000, DEC_1, JAN_1)]
        assert (renewal.total, renewal.recurring, renewal.date) == (12500, True, DEC_1)
        assert [(t.starting_unit, t.quantity_used) for t in renewal.line_item_tiers] == [(1, 1000), (1001, 500)]
        usages = cb.Usage.list({"subscription_id": {"is": sub_id}}).list
        assert {u.usage.invoice_id for u in usages} == {renewal.id}

        _pay(cb, upgrade.invoice.id, 3500)
        _pay(cb, renewal.id, 12500)
        self._credit_and_refund(cb, customer_id, renewal.id)
        self._cancel_at_term_end(cb, cb_admin, sub_id)
        self._read_back(cb, customer_id, sub_id)

    def _upgrade_midterm(self, cb: Chargebee, cb_admin: httpx.Client, sub_id: str) -> Any:
        # Upgrade on Nov 16, Chargebee's documented example ("Pro-ration logic in subscriptions",
        # support.chargebee.com article 15293): a $30 plan changed to $100 after 15 of 30 days credits
        # 30/30*15 = $15 and charges 100/30*15 = $50; the invoice is $50 and $35 is collected.
        cb_admin.post("/__sandbox/time_travel", json={"destination_time": START + 15 * DAY}).raise_for_status()
        upgrade = cb.Subscription.update_for_items(sub_id, {
            "subscription_items": [{"item_price_id": "plan-b-usd-monthly"}], "prorate": True,
            "invoice_immediately": True})
        invoice = upgrade.invoice
        assert [(li.entity_id, li.amount) for li in invoice.line_items] == [("plan-b-usd-monthly", 5000)]
        assert (invoice.total, invoice.amount_adjusted, invoice.amount_due) == (5000, 1500, 3500)
        (note,) = upgrade.credit_notes
        assert (note.type, note.reason_code, note.total, note.status) == ("adjustment", "subscription_change", 1500,
                                                                          "adjusted")
        assert [si.item_price_id for si in upgrade.subscription.subscription_items] == [
            "plan-b-usd-monthly", "api-calls-usd-monthly"]
        return upgrade

    def _credit_and_refund(self, cb: Chargebee, customer_id: str, invoice_id: str) -> None:
        note = cb.CreditNote.create({"reference_invoice_id": invoice_id, "total": 2500, "type": "refundable",
                                     "reason_code": "service_unsatisfactory"}).credit_note
        assert (note.status, note.amount_available, note.customer_id) == ("refund_due", 2500, customer_id)
        assert cb.Customer.retrieve(customer_id).customer.refundable_credits == 2500
        refunded = cb.CreditNote.record_refund(note.id, {"transaction": {
            "amount": 2500, "payment_method": "bank_transfer", "date": DEC_1 + DAY}, "refund_reason_code": "Other"})
        assert (refunded.credit_note.status, refunded.credit_note.amount_refunded) == ("refunded", 2500)
        assert (refunded.transaction.type, refunded.transaction.amount) == ("refund", 2500)

    def _cancel_at_term_end(self, cb: Chargebee, cb_admin: httpx.Client, sub_id: str) -> None:
        cancelled = cb.Subscription.cancel_for_items(sub_id, {"end_of_term": True})
        assert (cancelled.subscription.status, cancelled.subscription.cancelled_at) == ("non_renewing", JAN_1)
        cb_admin.post("/__sandbox/time_travel", json={"destination_time": JAN_1 + DAY}).raise_for_status()
        assert cb.Subscription.retrieve(sub_id).subscription.status == "cancelled"

    def _read_back(self, cb: Chargebee, customer_id: str, sub_id: str) -> None:
        invoices = [e.invoice for e in cb.Invoice.list({"customer_id": {"is": customer_id}}).list]
        assert len(invoices) == 3 and all(i.status == "paid" for i in invoices)
        assert sum(i.amount_paid for i in invoices) == 53000 + 3500 + 12500
        assert sum(i.total - i.amount_adjusted for i in invoices) == 69000
        notes = [e.credit_note for e in cb.CreditNote.list({"customer_id": {"is": customer_id}}).list]
        assert sorted((n.type, n.total) for n in notes) == [("adjustment", 1500), ("refundable", 2500)]
        assert cb.Customer.retrieve(customer_id).customer.refundable_credits == 0
        listed = cb.Subscription.list({"customer_id": {"is": customer_id}}).list
        assert [(e.subscription.id, e.customer.id) for e in listed] == [(sub_id, customer_id)]
        types = [e.event.event_type for e in cb.Event.list({"limit": 100}).list]
        for expected in ("customer_created", "subscription_created", "invoice_generated", "payment_succeeded",
                         "subscription_changed", "credit_note_created", "subscription_renewed",
                         "payment_refunded", "subscription_cancellation_scheduled", "subscription_cancelled"):
            assert expected in types
        assert types.count("customer_created") == 1  # the idempotent repeat created nothing
