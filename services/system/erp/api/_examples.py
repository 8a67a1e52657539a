"""OpenAPI examples of the ERP API's request bodies (also what the canonical test suite sends)."""

from __future__ import annotations

from typing import Any

__all__ = ["CREDIT_MEMO", "CUSTOMER", "INVOICE", "JOURNAL_ENTRY", "PAYMENT", "QUERY", "SALES_ORDER"]

_USD = "USD"
CUSTOMER: dict[str, Any] = {
    "name": "Acme Corp", "legal_name": "Acme Corporation Ltd", "currency": _USD,
    "billing_address": {"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
                        "country": "US"},
    "contacts": [{"name": "Ada Payable", "email": "ap@acme.test", "roles": ["billing"]}],
    "tax_ids": [{"type": "us_ein", "value": "12-3456789"}], "tax_exempt": False,
}
SALES_ORDER: dict[str, Any] = {
    "customer_key": "ACME-001", "currency": _USD, "order_date": "2024-04-01", "opportunity_id": "0061x00000AbCdE",
    "lines": [{"sku": "PLAT-SEAT", "quantity": 10, "unit_amount": {"amount_minor": 1000, "currency": _USD},
               "service_start": "2024-04-01", "service_end": "2025-03-31"}],
}
INVOICE: dict[str, Any] = {"sales_order_id": "1042", "billing_invoice_id": "in_1OaBcD", "issued_on": "2024-04-01",
                           "due_on": "2024-05-01"}
CREDIT_MEMO: dict[str, Any] = {
    "invoice_id": "1043", "reason": "product_unsatisfactory",
    "lines": [{"sku": "PLAT-SEAT", "description": "Service credit", "amount": {"amount_minor": 500, "currency": _USD}}],
}
PAYMENT: dict[str, Any] = {"customer_key": "ACME-001", "invoice_id": "1043",
                           "amount": {"amount_minor": 10000, "currency": _USD}, "received_on": "2024-04-15",
                           "method": "wire"}
JOURNAL_ENTRY: dict[str, Any] = {
    "entry_date": "2024-04-30", "memo": "April revenue recognition", "source": "revrec",
    "lines": [{"account": {"number": "2400"}, "side": "debit", "amount": {"amount_minor": 83333, "currency": _USD}},
              {"account": {"number": "4000"}, "side": "credit", "amount": {"amount_minor": 83333, "currency": _USD}}],
}
QUERY: dict[str, Any] = {"q": "SELECT id, tranid, foreigntotal FROM transaction WHERE type = 'CustInvc'", "limit": 100}
