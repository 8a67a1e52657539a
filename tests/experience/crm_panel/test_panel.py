"""The panel's figures from a deal view: what counts as billed, paid, outstanding and recognised, and which
invoice comes next. Deal views are written out here the way the process API answers them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec

from contracts.process import ExceptionOwner
from services.experience.crm_panel.clients import DealView, ExceptionRecord
from services.experience.crm_panel.hubspot import card_of, object_id_of
from services.experience.crm_panel.panel import compose_panel, open_workflows

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def usd(minor: int) -> dict:
    return {"amount_minor": minor, "currency": "USD"}


def invoice(status: str, total: int, paid: int = 0, **extra) -> dict:
    return {"id": f"in_{status}_{total}", "status": status, "currency": "USD", "total": usd(total),
            "amount_paid": usd(paid), **extra}


def view(**fields) -> DealView:
    base = {"opportunity_id": "006A", "business_status": "completed",
            "ids": {"subscription_id": "sub_1", "currency": "USD", "invoice_status": "paid", "sales_order_id": "7"},
            "workflows": [{"id": "activation:006A", "kind": "activation", "state": "succeeded",
                           "business_status": "completed", "customer": "Acme"}]}
    return msgspec.convert({**base, **fields}, DealView)


def contract(lines: list[tuple[int, bool]], price: int = 120_000) -> dict:
    return {"contract": {"currency": "USD", "obligations": [{"id": "po-1"}]},
            "allocation": {"transaction_price": usd(price)},
            "schedules": [{"obligation_id": "po-1", "lines": [
                {"accounting_period": f"2026-{i + 1:02d}", "amount": usd(a), "closed": c}
                for i, (a, c) in enumerate(lines)]}]}


class TestAmounts:
    def test_billed_counts_issued_invoices_only_and_outstanding_is_per_invoice(self):
        panel = compose_panel(view(invoices=[
            invoice("paid", 10_000, 10_000), invoice("open", 10_000, 2_500), invoice("uncollectible", 5_000),
            invoice("draft", 10_000), invoice("void", 7_000),
            {**invoice("paid", 99_999, 99_999), "currency": "EUR", "total": {"amount_minor": 99_999,
                                                                              "currency": "EUR"}},
        ]), [], now=NOW)
        amounts = panel.amounts
        assert amounts is not None
        assert (amounts.billed.amount_minor, amounts.paid.amount_minor, amounts.outstanding.amount_minor) == (
            25_000, 12_500, 12_500)
        assert amounts.billed.decimal == "250.00"

    def test_recognised_is_the_closed_lines_and_booked_the_current_price(self):
        panel = compose_panel(view(revenue_contract=contract([(10_000, True), (9_000, True), (11_000, False)])),
                              [], now=NOW)
        assert panel.amounts is not None
        assert panel.amounts.recognized.amount_minor == 19_000
        assert panel.amounts.booked is not None and panel.amounts.booked.amount_minor == 120_000

    def test_no_currency_yet_means_no_amounts(self):
        panel = compose_panel(view(ids={}, business_status="blocked_master_data"), [], now=NOW)
        assert panel.amounts is None and panel.currency is None and panel.next_invoice is None


class TestNextInvoice:
    def test_the_oldest_open_invoice_comes_first(self):
        panel = compose_panel(view(invoices=[
            invoice("open", 10_000, due_on="2026-03-31", number="N-2"),
            invoice("open", 8_000, 3_000, due_on="2026-02-28", number="N-1"), invoice("draft", 10_000)]), [], now=NOW)
        assert panel.next_invoice is not None
        assert (panel.next_invoice.state, panel.next_invoice.number, panel.next_invoice.due_on) == (
            "open", "N-1", date(2026, 2, 28))
        assert panel.next_invoice.amount_due is not None and panel.next_invoice.amount_due.amount_minor == 5_000

    def test_then_a_draft_then_the_next_billing_date(self):
        draft = compose_panel(view(invoices=[invoice("paid", 1, 1), invoice("draft", 4_000)]), [], now=NOW)
        assert draft.next_invoice is not None and draft.next_invoice.state == "draft"
        upcoming = compose_panel(view(invoices=[invoice("paid", 1, 1, period_end="2026-03-27"),
                                                invoice("paid", 1, 1, period_end="2026-02-27"),
                                                invoice("void", 1, period_end="2026-09-01")]), [], now=NOW)
        assert upcoming.next_invoice is not None
        assert (upcoming.next_invoice.state, upcoming.next_invoice.expected_on) == ("upcoming", date(2026, 3, 27))

    def test_a_cancelled_deal_expects_no_invoice(self):
        panel = compose_panel(view(business_status="cancelled",
                                   invoices=[invoice("paid", 1, 1, period_end="2026-03-27")]), [], now=NOW)
        assert panel.next_invoice is None


class TestExceptions:
    def test_only_open_workflows_with_an_owner_are_asked_and_shown_oldest_first(self):
        deal = view(business_status="blocked_master_data", workflows=[
            {"id": "activation:006A", "kind": "activation", "state": "parked", "business_status": "blocked_master_data",
             "owner": "finance_ops"},
            {"id": "invoice_sync:in_1:paid", "kind": "invoice_sync", "state": "dead_lettered",
             "business_status": "needs_attention", "owner": "integration"},
            {"id": "amendment:006A:1", "kind": "amendment", "state": "succeeded", "business_status": "completed"}])
        waiting = open_workflows(deal)
        assert [w.id for w in waiting] == ["activation:006A", "invoice_sync:in_1:paid"]
        records = [ExceptionRecord(step="erp_items", owner=ExceptionOwner.FINANCE_OPS, reason="SKU missing",
                                   fix="create it", occurred_at=datetime(2026, 2, 2, tzinfo=UTC)),
                   ExceptionRecord(step="erp_invoice", owner=ExceptionOwner.INTEGRATION, reason="ERP down", fix="retry",
                                   occurred_at=datetime(2026, 2, 1, tzinfo=UTC))]
        panel = compose_panel(deal, list(zip(waiting, records, strict=True)), now=NOW)
        assert [(e.workflow, e.owner.value, e.technical_state) for e in panel.exceptions] == [
            ("invoice_sync", "integration", "dead_lettered"), ("activation", "finance_ops", "parked")]
        assert (panel.finance_status_label, panel.tone.value) == ("Blocked: master data", "danger")


class TestCard:
    def test_object_ids_are_numbers_hubspot_can_hold(self):
        assert object_id_of("9876543210") == 9876543210
        assert object_id_of("006Aa000001") == object_id_of("006Aa000001") < 2**32
        assert object_id_of("99999999999999999999") < 2**32  # beyond JavaScript's safe integers: a checksum

    def test_no_panel_is_an_empty_card(self):
        assert msgspec.json.encode(card_of(None)) == b'{"results":[]}'

    def test_status_colours_and_money_properties(self):
        panel = compose_panel(view(invoices=[invoice("paid", 45_000, 45_000)], revenue_contract=contract([])),
                              [], now=NOW)
        [result] = msgspec.to_builtins(card_of(panel))["results"]
        props = {p["label"]: p for p in result["properties"]}
        assert props["Finance status"]["optionType"] == "SUCCESS"
        assert props["Billed"] == {"label": "Billed", "dataType": "CURRENCY", "value": "450.00", "currencyCode": "USD"}
        assert "link" not in result  # no deal page configured: HubSpot gets no null link
