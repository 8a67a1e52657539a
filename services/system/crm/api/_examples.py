"""OpenAPI examples of the CRM API's request bodies."""

from __future__ import annotations

from typing import Any

__all__ = ["ACCOUNT", "FINANCE_STATUS", "OPPORTUNITY"]

ACCOUNT: dict[str, Any] = {
    "name": "Acme Corp", "currency": "USD",
    "billing_address": {"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
                        "country": "US"},
}
FINANCE_STATUS: dict[str, Any] = {"invoice_status": "paid", "subscription_id": "sub_1OaBcD",
                                  "revenue_recognized": {"amount_minor": 120000, "currency": "USD"}}
OPPORTUNITY: dict[str, Any] = {
    "name": "Acme order PO-1001", "customer_id": "ACME-001", "stage": "closed_won", "close_date": "2024-03-28",
    "currency": "USD",
    "lines": [{"product_sku": "PLAT-SEAT", "description": "Platform seats", "quantity": 10,
               "list_price": {"amount_minor": 120000, "currency": "USD"},
               "sale_price": {"amount_minor": 100000, "currency": "USD"}, "service_start": "2024-04-01",
               "service_end": "2025-03-31", "billing_frequency": "quarterly"}],
    "external_ids": {"revflow": "order:acme:PO-1001"},
}
