"""OpenAPI examples of the billing API's request bodies (also what the canonical test suite sends)."""

from __future__ import annotations

from typing import Any

__all__ = ["AMENDMENT", "CANCELLATION", "CATALOG_ITEM", "CREDIT_NOTE", "CUSTOMER", "INVOICE", "REFUND", "RENEWAL",
           "SUBSCRIPTION", "USAGE"]

CUSTOMER: dict[str, Any] = {
    "name": "Acme Corp", "legal_name": "Acme Corporation Ltd", "currency": "USD",
    "billing_address": {"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
                        "country": "US"},
    "contacts": [{"name": "Ada Payable", "email": "ap@acme.test", "roles": ["billing"]}],
    "tax_ids": [{"type": "us_ein", "value": "12-3456789"}], "tax_exempt": False,
}
CATALOG_ITEM: dict[str, Any] = {
    "name": "Platform seat", "description": "One named user of the platform",
    "prices": [{"currency": "USD", "billing_frequency": "monthly",
                "unit_amount": {"amount_minor": 1000, "currency": "USD"}}],
}
SUBSCRIPTION: dict[str, Any] = {
    "customer_key": "ACME-001", "opportunity_id": "0061x00000AbCdE",
    "items": [{"sku": "PLAT-SEAT", "quantity": 10, "billing_frequency": "monthly",
               "unit_amount": {"amount_minor": 1000, "currency": "USD"}},
              {"sku": "ONBOARDING", "quantity": 1, "billing_frequency": "one_time",
               "unit_amount": {"amount_minor": 50000, "currency": "USD"}}],
}
AMENDMENT: dict[str, Any] = {
    "changes": [{"sku": "PLAT-SEAT", "quantity": 20}], "proration": "create_prorations",
    "effective_at": "2024-04-16T00:00:00Z",
}
RENEWAL: dict[str, Any] = {"term_end": "2025-03-31", "opportunity_id": "0061x00000RenEw"}
CANCELLATION: dict[str, Any] = {"at": "term_end"}
INVOICE: dict[str, Any] = {
    "customer_key": "ACME-001", "opportunity_id": "0061x00000OnEoF",
    "lines": [{"sku": "SETUP", "quantity": 1, "unit_amount": {"amount_minor": 150_000, "currency": "USD"},
               "description": "Implementation"}],
}
CREDIT_NOTE: dict[str, Any] = {
    "invoice_id": "in_1OaBcD", "reason": "product_unsatisfactory",
    "lines": [{"description": "Service credit", "amount": {"amount_minor": 500, "currency": "USD"}}],
}
REFUND: dict[str, Any] = {"invoice_id": "in_1OaBcD", "amount": {"amount_minor": 500, "currency": "USD"},
                          "reason": "requested_by_customer"}
USAGE: dict[str, Any] = {"id": "usage-2024-04-16-acme-1", "subscription_id": "sub_1OaBcD", "sku": "API-CALLS",
                         "quantity": 1200, "occurred_at": "2024-04-16T12:00:00Z"}
