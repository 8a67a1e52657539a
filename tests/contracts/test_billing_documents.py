"""Billing documents: one currency per document, totals that agree with their lines, valid periods."""

from __future__ import annotations

import re
from datetime import date

import msgspec
import pytest

from contracts.billing import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    UsageRecord,
)
from contracts.catalog import BillingFrequency
from contracts.money import CurrencyMismatchError, Money
from tests.contracts.contract_samples import AT, invoice, usd


def decode_invoice_with(mutate) -> Invoice:  # type: ignore[no-untyped-def]
    doc = msgspec.json.decode(msgspec.json.encode(invoice()))
    mutate(doc)
    return msgspec.json.decode(msgspec.json.encode(doc), type=Invoice)


class TestInvoice:
    def test_derived_amounts(self) -> None:
        inv = msgspec.structs.replace(invoice(), amount_paid=usd("800.00"))
        assert inv.subtotal == usd("800.00")
        assert inv.amount_due == Money(amount_minor=6400, currency="USD")

    def test_proration_credit_line_counts_negative(self) -> None:
        credit = InvoiceLine(description="Unused time", amount=usd("-100.00"))
        inv = msgspec.structs.replace(invoice(), lines=[*invoice().lines, credit], total=usd("764.00"))
        assert inv.subtotal == usd("700.00")

    def test_total_disagreeing_with_lines_refused(self) -> None:
        def mutate(doc: dict) -> None:
            doc["total"]["amount_minor"] = 80000

        with pytest.raises(msgspec.ValidationError, match=r"total: 800\.00 USD differs from the sum .* 864\.00 USD"):
            decode_invoice_with(mutate)

    def test_line_in_another_currency_refused(self) -> None:
        def mutate(doc: dict) -> None:
            doc["lines"][0]["tax_amount"]["currency"] = "CAD"

        with pytest.raises(msgspec.ValidationError, match=r"tax_amount: currency CAD differs .* `\$.lines\[0\]`"):
            decode_invoice_with(mutate)

    def test_invoice_currency_differs_from_lines(self) -> None:
        def mutate(doc: dict) -> None:
            doc["currency"] = "EUR"

        with pytest.raises(msgspec.ValidationError, match=r"lines\[0\].amount: currency USD differs .* EUR"):
            decode_invoice_with(mutate)

    def test_empty_invoice_refused(self) -> None:
        with pytest.raises(ValueError, match="lines: an invoice needs at least one line"):
            msgspec.structs.replace(invoice(), lines=[], total=usd("0"))

    def test_due_before_issue_refused(self) -> None:
        with pytest.raises(ValueError, match="due_on: 2024-12-01 is before"):
            msgspec.structs.replace(invoice(), due_on=date(2024, 12, 1))

    def test_unknown_status_refused(self) -> None:
        def mutate(doc: dict) -> None:
            doc["status"] = "settled"

        with pytest.raises(msgspec.ValidationError, match=r"Invalid enum value 'settled' - at `\$.status`"):
            decode_invoice_with(mutate)

    def test_negative_line_quantity_refused(self) -> None:
        with pytest.raises(ValueError, match="quantity: must not be negative"):
            InvoiceLine(description="x", quantity=-1, amount=usd("1.00"))


class TestCreditNote:
    def test_total_must_match_lines(self) -> None:
        reason = re.escape("total: 5.00 USD differs from the sum of line amounts 10.00 USD")
        with pytest.raises(ValueError, match=reason):
            CreditNote(invoice_id="in_1", customer_id="c", currency="USD", total=usd("5.00"),
                       lines=[CreditNoteLine(description="x", amount=usd("10.00"))])

    def test_credit_lines_are_positive(self) -> None:
        with pytest.raises(ValueError, match="amount: must be greater than zero"):
            CreditNoteLine(description="x", amount=usd("-1.00"))


class TestPaymentsAndRefunds:
    def test_zero_payment_refused(self) -> None:
        with pytest.raises(ValueError, match="amount: must be greater than zero"):
            Payment(customer_id="c", amount=usd("0"), status=PaymentStatus.SUCCEEDED)

    def test_negative_refund_refused(self) -> None:
        with pytest.raises(ValueError, match="amount: must be greater than zero"):
            Refund(payment_id="py", amount=usd("-3.00"), status=RefundStatus.PENDING)


class TestSubscription:
    def _item(self, currency: str = "USD") -> SubscriptionItem:
        return SubscriptionItem(product_sku="PLAT", quantity=1, unit_amount=Money.parse("9.00", currency),
                                billing_frequency=BillingFrequency.MONTHLY)

    def test_items_in_another_currency_refused(self) -> None:
        with pytest.raises(CurrencyMismatchError, match=r"items\[1\].unit_amount: currency GBP"):
            Subscription(customer_id="c", currency="USD", status=SubscriptionStatus.ACTIVE,
                         items=[self._item(), self._item("GBP")], start_date=date(2025, 1, 1))

    def test_term_ending_before_start_refused(self) -> None:
        with pytest.raises(ValueError, match="end_date: 2024-01-01 is before"):
            Subscription(customer_id="c", currency="USD", status=SubscriptionStatus.ACTIVE, items=[self._item()],
                         start_date=date(2025, 1, 1), end_date=date(2024, 1, 1))


class TestUsageRecord:
    def test_round_trip(self) -> None:
        rec = UsageRecord(id="u", subscription_id="s", subscription_item_id="si", quantity=5, occurred_at=AT)
        assert msgspec.json.decode(msgspec.json.encode(rec), type=UsageRecord) == rec

    def test_naive_instant_and_negative_quantity_refused_on_decode(self) -> None:
        base = {"id": "u", "subscription_id": "s", "subscription_item_id": "si", "quantity": 5}
        with pytest.raises(msgspec.ValidationError, match=r"timezone.* `\$.occurred_at`"):
            msgspec.convert({**base, "occurred_at": "2025-01-01T00:00:00"}, UsageRecord)
        with pytest.raises(msgspec.ValidationError, match=r">= 0 - at `\$.quantity`"):
            msgspec.convert({**base, "quantity": -5, "occurred_at": "2025-01-01T00:00:00Z"}, UsageRecord)
