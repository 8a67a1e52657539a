"""Canonical inputs shared by the CRM suite (the same for every vendor) and small steps built on them.

A deal line is described once, canonically (SKU, quantity, list and sale price per unit in minor units,
service start, and optionally its last day of service and billing frequency); each harness enters it the way
its CRM stores it (Salesforce ``Service_End_Date__c`` / ``Billing_Frequency__c``, HubSpot
``hs_recurring_billing_end_date`` / ``recurringbillingfrequency``). The lines of ``deal_lines`` carry terms and
frequencies unlike the CRM API's defaults (12 months, annual), so reading them back proves they come from the
record; a line without them (``bare_line``) gets the configured defaults.
"""

from __future__ import annotations

from typing import Any

__all__ = ["account", "bare_line", "canonical_lines", "deal_lines", "money", "won_deal"]


def money(minor: int, currency: str = "USD") -> dict[str, Any]:
    return {"amount_minor": minor, "currency": currency}


def account(name: str = "Acme Corp") -> dict[str, Any]:
    return {"name": name, "currency": "USD",
            "billing_address": {"line1": "1 Market St", "line2": "Floor 3", "city": "San Francisco", "region": "CA",
                                "postal_code": "94105", "country": "US"}}


def deal_lines() -> list[dict[str, Any]]:
    return [{"sku": "PLAT-SEAT", "quantity": 10, "list": 120000, "sale": 100000, "start": "2024-04-01",
             "end": "2026-03-31", "frequency": "quarterly", "description": "Platform seats"},
            {"sku": "SUPPORT", "quantity": 1, "list": 50000, "sale": 50000, "start": "2024-04-01",
             "end": "2024-09-30", "frequency": "monthly"}]


def bare_line() -> dict[str, Any]:
    """A line whose record holds no service end and no billing frequency."""
    return {"sku": "ONBOARD", "quantity": 1, "list": 30000, "sale": 30000, "start": "2024-05-15"}


def canonical_lines() -> list[dict[str, Any]]:
    """What ``deal_lines`` read back as (ids aside)."""
    return [{"product_sku": "PLAT-SEAT", "description": "Platform seats", "quantity": 10, "list_price": money(120000),
             "sale_price": money(100000), "service_start": "2024-04-01", "service_end": "2026-03-31",
             "billing_frequency": "quarterly"},
            {"product_sku": "SUPPORT", "description": None, "quantity": 1, "list_price": money(50000),
             "sale_price": money(50000), "service_start": "2024-04-01", "service_end": "2024-09-30",
             "billing_frequency": "monthly"}]


def won_deal(api: Any, vendor: Any, key: str = "ACME-001", name: str = "Acme 2024") -> str:
    """An account, a deal with two lines entered in the CRM, and the deal won; returns the deal id."""
    api.ok("PUT", f"/v1/accounts/{key}", account())
    deal = vendor.create_deal(key, name, deal_lines(), "2024-03-28")
    vendor.win(deal)
    return deal
