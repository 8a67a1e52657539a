"""Canonical inputs shared by the billing suite (the same for every vendor) and small steps built on them.

Amounts follow Stripe's documented proration example ("Prorations",
https://docs.stripe.com/billing/subscriptions/prorations): a 10 USD monthly plan upgraded to 20 USD halfway
through the period bills an extra 5 USD, as a -5 USD credit for unused time and +10 USD for the remaining
time. April 2024 has 30 days, so halfway is 2024-04-16T00:00:00Z.
"""

from __future__ import annotations

from typing import Any

__all__ = ["APRIL", "HALF", "catalog_item", "customer", "money", "setup_subscription", "subscription"]

APRIL = 1_711_929_600  # 2024-04-01T00:00:00Z
HALF = APRIL + 15 * 86_400  # 2024-04-16T00:00:00Z, the middle of April's 30 days


def money(minor: int, currency: str = "USD") -> dict[str, Any]:
    return {"amount_minor": minor, "currency": currency}


def customer(name: str = "Acme Corp", email: str = "ap@acme.test") -> dict[str, Any]:
    return {
        "name": name, "legal_name": f"{name} Ltd", "currency": "USD",
        "billing_address": {"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94105",
                            "country": "US"},
        "shipping_address": {"line1": "2 Dock Rd", "city": "Oakland", "country": "US"},
        "contacts": [{"name": "Ada Payable", "email": email, "roles": ["billing"]},
                     {"name": "Tom Tech", "email": "it@acme.test", "roles": ["technical"]}],
        "tax_ids": [{"type": "us_ein", "value": "12-3456789"}], "tax_exempt": False,
        "external_ids": {"crm": "001xx000003DGb2"},
    }


def catalog_item(amount: int = 100, frequency: str = "monthly", name: str = "Platform seat") -> dict[str, Any]:
    return {"name": name, "description": "One named user",
            "prices": [{"currency": "USD", "billing_frequency": frequency, "unit_amount": money(amount)}]}


def subscription(key: str, sku: str = "PLAT-SEAT", quantity: int = 10, amount: int = 100,
                 frequency: str = "monthly") -> dict[str, Any]:
    return {"customer_key": key, "opportunity_id": "0061x00000AbCdE",
            "items": [{"sku": sku, "quantity": quantity, "billing_frequency": frequency, "unit_amount": money(amount)}]}


def setup_subscription(api: Any, key: str = "ACME-001", sku: str = "PLAT-SEAT", quantity: int = 10,
                       amount: int = 100, card_from: Any = None) -> dict[str, Any]:
    """Customer, catalogue item and a subscription to it; returns the subscription.

    With ``card_from`` (a vendor harness) the customer first gets the vendor's test card, so automatic
    collection pays the subscription's first invoice.
    """
    created = api.ok("PUT", f"/v1/customers/{key}", customer())
    if card_from is not None:
        card_from.add_test_card(created["external_ids"]["billing"])
    api.ok("PUT", f"/v1/catalog/items/{sku}", catalog_item(amount))
    return api.ok("POST", "/v1/subscriptions", subscription(key, sku, quantity, amount))
