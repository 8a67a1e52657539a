"""The catalogue on Stripe: one product per SKU, one active list price per currency and frequency.

The product's Stripe id is derived from the SKU (Stripe accepts a caller-chosen product id), so a lookup is
one strongly consistent ``GET`` and a repeated sync can never create a second product. Stripe prices are
immutable: a new amount creates a new price and deactivates the old one. Deal prices (an amount that is
not the list price) are separate prices tagged ``revflow_role=deal``, created once per amount. Usage prices
are metered prices on a billing meter named after the SKU; one-time prices (setup fees) have no ``recurring``
and go on a subscription's first invoice as its ``add_invoice_items``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from contracts.catalog import BillingFrequency, Price, Product
from contracts.common import System
from services.system.billing.connectors.stripe._mapping import (
    FREQUENCY_RECURRING,
    META,
    frequency_of,
    price_from_stripe,
)
from services.system.billing.connectors.stripe._wire import StripeApi
from services.system.billing.errors import BillingNotFound, VendorRefused
from services.system.billing.schemas import CatalogItemSyncV1, CatalogItemV1

__all__ = ["StripeCatalog", "meter_event_name", "product_id"]


def _slug(sku: str, limit: int) -> str:
    digest = hashlib.sha256(sku.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9_]', '_', sku)[:limit]}_{digest}"


def product_id(sku: str) -> str:
    """The Stripe product id of ``sku`` (readable, and unique even when two SKUs sanitise alike)."""
    return f"rf_{_slug(sku, 48)}"


def meter_event_name(sku: str) -> str:
    """The meter event name of the usage-priced ``sku``."""
    return f"revflow_{_slug(sku, 48)}"


def _same_price(price: dict[str, Any], currency: str, frequency: BillingFrequency, amount: int | None) -> bool:
    return (price["currency"] == currency.lower() and frequency_of(price) is frequency
            and (amount is None or price.get("unit_amount") == amount))


class StripeCatalog:
    """Product, price and meter operations."""

    def __init__(self, api: StripeApi) -> None:
        self.api = api

    async def product(self, sku: str) -> dict[str, Any] | None:
        """The Stripe product of ``sku``, or ``None``."""
        try:
            return await self.api.get(f"/v1/products/{product_id(sku)}")
        except BillingNotFound:
            return None

    async def sync(self, sku: str, item: CatalogItemV1) -> CatalogItemSyncV1:
        """Make product and list prices equal ``item``; safe to repeat."""
        prod = await self._ensure_product(sku, item)
        existing = [p for p in await self.api.list_all("/v1/prices", {"product": prod["id"], "active": True})
                    if (p.get("metadata") or {}).get(META + "role", "list") == "list"]
        kept: list[dict[str, Any]] = []
        retired: list[str] = []
        for wanted in item.prices:
            current = next((p for p in existing if _same_price(p, wanted.currency, wanted.billing_frequency, None)),
                           None)
            if current is not None and current.get("unit_amount") == wanted.unit_amount.amount_minor:
                kept.append(current)
                continue
            kept.append(await self._create_price(sku, prod["id"], wanted.currency, wanted.billing_frequency,
                                                 wanted.unit_amount.amount_minor, "list", replaces=current))
        for price in existing:
            if all(price["id"] != k["id"] for k in kept):
                await self.api.post(f"/v1/prices/{price['id']}", {"active": False},
                                    key=f"revflow:catalog:{sku}:retire:{price['id']}")
                retired.append(price["id"])
        product = Product(sku=sku, name=prod["name"], description=prod.get("description"),
                          active=bool(prod.get("active")), external_ids={System.BILLING: prod["id"]})
        return CatalogItemSyncV1(product=product, prices=[price_from_stripe(p, sku) for p in kept],
                                 retired_price_ids=retired)

    async def price_for(self, sku: str, currency: str, frequency: BillingFrequency, amount: int) -> dict[str, Any]:
        """An active price of ``sku`` at exactly ``amount``: the list price when it matches, else a deal price.

        The prices are listed by the product id the SKU implies; the product itself is read only when no price
        matches (to refuse a SKU that was never synced before creating a deal price for it).
        """
        prices = await self.api.list_all("/v1/prices", {"product": product_id(sku), "active": True})
        found = [p for p in prices if _same_price(p, currency, frequency, amount)]
        if found:
            return min(found, key=lambda p: (p.get("metadata") or {}).get(META + "role", "list") != "list")
        prod = await self.product(sku)
        if prod is None:
            raise VendorRefused(f"SKU {sku!r} is not in the billing catalogue; sync it first "
                                f"(PUT /v1/catalog/items/{sku}).", slug="business-rule", code="sku_missing",
                                retryable=False, owner="finance_ops")
        return await self._create_price(sku, prod["id"], currency, frequency, amount, "deal")

    async def _ensure_product(self, sku: str, item: CatalogItemV1) -> dict[str, Any]:
        fields = {"name": item.name, "description": item.description or "", "active": item.active}
        prod = await self.product(sku)
        if prod is None:
            params = {"id": product_id(sku), **fields, "metadata": {META + "sku": sku}}
            try:
                return await self.api.post("/v1/products", params, key=f"revflow:catalog:{sku}:product")
            except VendorRefused as exc:
                if exc.code != "resource_already_exists":  # a racing sync created it first
                    raise
                prod = await self.api.get(f"/v1/products/{product_id(sku)}")
        same = (prod["name"], prod.get("description") or "", prod.get("active")) == tuple(fields.values())
        if same:
            return prod
        return await self.api.post(f"/v1/products/{prod['id']}", fields, key=None)

    async def _create_price(self, sku: str, product: str, currency: str, frequency: BillingFrequency, amount: int,
                            role: str, replaces: dict[str, Any] | None = None) -> dict[str, Any]:
        recurring = FREQUENCY_RECURRING[frequency]
        if recurring is not None and frequency is BillingFrequency.USAGE:
            recurring = {**recurring, "meter": await self._meter(sku)}
        params = {"product": product, "currency": currency.lower(), "unit_amount": amount, "recurring": recurring,
                  "metadata": {META + "sku": sku, META + "frequency": frequency.value, META + "role": role}}
        # The key names what the price replaces, so a later return to an old amount makes a fresh price.
        key = f"revflow:price:{sku}:{currency}:{frequency.value}:{amount}:{role}:{(replaces or {}).get('id', '-')}"
        return await self.api.post("/v1/prices", params, key=key)

    async def _meter(self, sku: str) -> str:
        name = meter_event_name(sku)
        for meter in await self.api.list_all("/v1/billing/meters", {"status": "active"}):
            if meter["event_name"] == name:
                return str(meter["id"])
        meter = await self.api.post("/v1/billing/meters", {
            "display_name": f"{sku} usage", "event_name": name, "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
            "value_settings": {"event_payload_key": "value"}}, key=f"revflow:meter:{sku}")
        return str(meter["id"])

    @staticmethod
    def price(price: dict[str, Any], sku: str) -> Price:
        """A Stripe price as canonical."""
        return price_from_stripe(price, sku)
