"""What the invoice sync posts to the ERP for one billing invoice: one line per product, netted as billing nets."""

from __future__ import annotations

from services.process.quote_to_cash.workflows.invoice_sync import erp_lines


def _line(sku: str | None, amount: int) -> dict:
    return {"product_sku": sku, "amount": {"amount_minor": amount, "currency": "USD"}}


def _invoice(*lines: dict) -> dict:
    return {"id": "in_1", "number": "INV-1", "currency": "USD", "lines": list(lines)}


def test_a_product_downgraded_while_another_is_upgraded_posts_both_and_the_erp_total_is_billings():
    # Mid-period: SEAT goes from 5 to 10 (next month 10 x 100.00, proration +250.00 for half a month of 5 more);
    # ADDON goes from 10 to 1 (next month 1 x 100.00, credit -500.00 for 10 unused, +50.00 for 1 used).
    invoice = _invoice(_line("SEAT", 100_000), _line("SEAT", 25_000),
                       _line("ADDON", 10_000), _line("ADDON", -50_000), _line("ADDON", 5_000))
    posted = {line["sku"]: line["unit_amount"]["amount_minor"] for line in erp_lines(invoice)}
    assert posted == {"SEAT": 125_000, "ADDON": -35_000}
    assert sum(posted.values()) == 90_000  # what billing invoiced: 1,000 + 250 + 100 - 500 + 50


def test_a_product_netting_to_zero_posts_no_line():
    invoice = _invoice(_line("SEAT", 10_000), _line("ADDON", 4_000), _line("ADDON", -4_000))
    assert [line["sku"] for line in erp_lines(invoice)] == ["SEAT"]


def test_an_invoice_netting_to_zero_posts_nothing():
    assert erp_lines(_invoice(_line("SEAT", 5_000), _line("SEAT", -5_000))) == []
    assert erp_lines(_invoice(_line("SEAT", 5_000), _line("ADDON", -5_000))) == []


def test_an_invoice_netting_below_zero_posts_what_bills_and_leaves_the_credits_to_the_credit_memo():
    # The change's ERP adjustment credits ADDON's 7,000 in a credit memo: 5,000 - 7,000 = billing's -2,000.
    posted = erp_lines(_invoice(_line("SEAT", 5_000), _line("ADDON", -7_000)))
    assert [(line["sku"], line["unit_amount"]["amount_minor"]) for line in posted] == [("SEAT", 5_000)]


def test_lines_without_a_product_are_not_posted():
    assert [line["sku"] for line in erp_lines(_invoice(_line(None, 300), _line("SEAT", 700)))] == ["SEAT"]
