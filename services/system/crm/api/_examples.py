"""OpenAPI examples of the CRM API's request bodies and of the answers a finance user reads most."""

from __future__ import annotations

from typing import Any

__all__ = ["ACCOUNT", "CATALOG_ITEM", "CONTACT", "CONTRACT", "FINANCE_STATUS", "OPPORTUNITY"]

ACCOUNT: dict[str, Any] = {
    "name": "Acme Corp", "currency": "USD",
    "billing_address": {"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
                        "country": "US"},
}
CONTACT: dict[str, Any] = {"name": "Dana Whitfield", "email": "ap@acme.example", "phone": "+1 415 555 0100",
                           "roles": ["primary", "billing"]}
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
CATALOG_ITEM: dict[str, Any] = {
    "product": {"id": "01t5e000003KxQaAAK", "sku": "PLAT-SEAT", "name": "Platform seats",
                "description": "Per named user", "active": True, "recognition": None,
                "external_ids": {"crm": "01t5e000003KxQaAAK"}},
    "prices": [{"id": "01u5e00000B9cRdAAJ", "product_sku": "PLAT-SEAT", "currency": "USD",
                "billing_frequency": "quarterly", "unit_amount": {"amount_minor": 120000, "currency": "USD"},
                "tiers": None, "tier_mode": None, "active": True, "external_ids": {"crm": "01u5e00000B9cRdAAJ"}}],
}
CONTRACT: dict[str, Any] = {
    "id": "8005e000001AbCdAAK", "number": "00000107", "customer_id": "ACME-001", "opportunity_id": "0065e00000FhXyZAAV",
    "status": "activated", "start_date": "2024-04-01", "end_date": "2026-03-31", "term_months": 24, "currency": "USD",
    "amendments": [{
        "id": "0065e00000GkLmNAAV", "opportunity_id": "0065e00000FhXyZAAV", "effective_date": "2024-10-01",
        "currency": "USD", "reason": "Upsell", "signed_at": "2024-09-20T00:00:00Z",
        "changed_lines": [{"action": "add", "line_id": None, "line": {
            "id": "00k5e00000PqRsTAAV", "product_sku": "PLAT-SEAT", "description": None, "quantity": 5,
            "list_price": {"amount_minor": 120000, "currency": "USD"},
            "sale_price": {"amount_minor": 110000, "currency": "USD"}, "service_start": "2024-10-01",
            "service_end": "2026-03-31", "billing_frequency": "quarterly",
            "external_ids": {"crm": "00k5e00000PqRsTAAV"}}}],
        "external_ids": {"crm": "0065e00000GkLmNAAV"}}],
    "external_ids": {"crm": "8005e000001AbCdAAK"},
}
