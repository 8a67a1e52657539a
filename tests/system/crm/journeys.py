"""Canonical inputs shared by the CRM suite (the same for every vendor) and small steps built on them.

A deal line is described once, canonically (SKU, quantity, list and sale price per unit in minor units,
service start); each harness enters it the way its CRM stores it. Lines run 12 months and bill annually,
which both CRMs can express (HubSpot natively, Salesforce through the configured defaults).
"""

from __future__ import annotations

from typing import Any

__all__ = ["account", "canonical_lines", "deal_lines", "money", "won_deal"]


def money(minor: int, currency: str = "USD") -> dict[str, Any]:
    return {"amount_minor": minor, "currency": currency}


def account(name: str = "Acme Corp") -> dict[str, Any]:
    return {"name": name, "currency": "USD",
            "billing_address": {"line1": "1 Market St", "line2": "Floor 3", "city": "San Francisco", "region": "CA",
                                "postal_code": "94105", "country": "US"}}


def deal_lines() -> list[dict[str, Any]]:
    return [{"sku": "PLAT-SEAT", "quantity": 10, "list": 120000, "sale": 100000, "start": "2024-04-01",
             "description": "Platform seats"},
            {"sku": "SUPPORT", "quantity": 1, "list": 50000, "sale": 50000, "start": "2024-04-01"}]


def canonical_lines() -> list[dict[str, Any]]:
    """What ``deal_lines`` read back as (ids aside)."""
    return [{"product_sku": "PLAT-SEAT", "description": "Platform seats", "quantity": 10, "list_price": money(120000),
             "sale_price": money(100000), "service_start": "2024-04-01", "service_end": "2025-03-31",
             "billing_frequency": "annual"},
            {"product_sku": "SUPPORT", "description": None, "quantity": 1, "list_price": money(50000),
             "sale_price": money(50000), "service_start": "2024-04-01", "service_end": "2025-03-31",
             "billing_frequency": "annual"}]


def won_deal(api: Any, vendor: Any, key: str = "ACME-001", name: str = "Acme 2024") -> str:
    """An account, a deal with two lines entered in the CRM, and the deal won; returns the deal id."""
    api.ok("PUT", f"/v1/accounts/{key}", account())
    deal = vendor.create_deal(key, name, deal_lines(), "2024-03-28")
    vendor.win(deal)
    return deal
