"""OpenAPI examples of the CRM API's request bodies."""

from __future__ import annotations

from typing import Any

__all__ = ["ACCOUNT", "FINANCE_STATUS"]

ACCOUNT: dict[str, Any] = {
    "name": "Acme Corp", "currency": "USD",
    "billing_address": {"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
                        "country": "US"},
}
FINANCE_STATUS: dict[str, Any] = {"invoice_status": "paid", "subscription_id": "sub_1OaBcD",
                                  "revenue_recognized": {"amount_minor": 120000, "currency": "USD"}}
