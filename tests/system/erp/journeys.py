"""Canonical inputs shared by the ERP suite, and small steps built on them."""

from __future__ import annotations

from typing import Any

__all__ = ["customer", "journal", "money", "order_lines", "sales_order", "setup_order"]


def money(minor: int, currency: str = "USD") -> dict[str, Any]:
    return {"amount_minor": minor, "currency": currency}


def customer(name: str = "Acme Corp", email: str = "ap@acme.test") -> dict[str, Any]:
    return {
        "name": name, "legal_name": f"{name} Ltd", "currency": "USD",
        "billing_address": {"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
                            "country": "US"},
        "contacts": [{"name": "Ada Payable", "email": email, "roles": ["billing"]}],
        "tax_ids": [{"type": "us_ein", "value": "12-3456789"}], "tax_exempt": False,
        "external_ids": {"crm": "001xx000003DGb2"},
    }


def order_lines(sku: str = "PLAT-SEAT", quantity: int = 10, unit: int = 1234) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": quantity, "unit_amount": money(unit), "description": "Platform seats",
             "service_start": "2024-04-01", "service_end": "2025-03-31"}]


def sales_order(key: str = "ACME-001", **line: Any) -> dict[str, Any]:
    return {"customer_key": key, "currency": "USD", "order_date": "2024-04-01", "opportunity_id": "0061x00000AbCdE",
            "lines": order_lines(**line)}


def journal(debit: int = 83_333, credit: int = 83_333) -> dict[str, Any]:
    return {"entry_date": "2024-04-30", "memo": "April revenue", "source": "revrec",
            "lines": [{"account": {"number": "2400"}, "side": "debit", "amount": money(debit)},
                      {"account": {"number": "4000"}, "side": "credit", "amount": money(credit)}]}


def setup_order(api: Any, vendor: Any, key: str = "ACME-001", sku: str = "PLAT-SEAT") -> dict[str, Any]:
    """Customer, item and a sales order; returns the sales order."""
    vendor.item(sku)
    api.ok("PUT", f"/v1/customers/{key}", customer())
    return api.ok("POST", "/v1/sales-orders", sales_order(key, sku=sku))
