"""The catalogue on Chargebee (Product Catalog 2.0): addon and charge items, item prices, the zero-priced base plan.

One item per SKU, one item price per currency and frequency, and the base plan every subscription carries. A
SKU with recurring or usage prices is an *addon*; a SKU with one-time prices is a *charge* (its item prices
have no period, and a subscription bills them once, when they are added). Chargebee fixes an item's type, so
one SKU cannot be sold both ways, nor change from one to the other.

The item id is the SKU (Chargebee item ids allow letters, digits and ``_-.``), so a lookup is one ``GET``
and a repeated sync can never create a second item. Item price ids are derived from the SKU, currency,
frequency and amount, so creating one twice meets Chargebee's uniqueness check; a new amount makes a new
item price and archives the old one. Deal prices are not catalogue objects here: a subscription item
carries its own ``unit_price`` over the list item price, which Chargebee supports directly.
"""

from __future__ import annotations

import re
from typing import Any

from contracts.catalog import BillingFrequency, Price, Product
from contracts.common import System
from services.system.billing.connectors.chargebee._mapping import (
    BASE_ITEM,
    FAMILY,
    FREQUENCY_PERIOD,
    frequency_of,
    money,
)
from services.system.billing.connectors.chargebee._wire import ChargebeeApi
from services.system.billing.errors import BillingNotFound, UnsupportedByVendor, VendorRefused
from services.system.billing.schemas import CatalogItemSyncV1, CatalogItemV1

__all__ = ["ChargebeeCatalog", "price_id"]

_ITEM_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def _item_id(sku: str) -> str:
    if not _ITEM_ID.match(sku) or sku == BASE_ITEM:
        raise UnsupportedByVendor(f"SKU {sku!r} cannot be a Chargebee item id (letters, digits, '_', '-' and '.', "
                                  "at most 80).", code="sku_unsupported")
    return sku


def price_id(item: str, currency: str, frequency: BillingFrequency, amount: int) -> str:
    """The Chargebee item price id of one list price."""
    return f"{item}-{currency}-{frequency.value}-{amount}"


class ChargebeeCatalog:
    """Item family, items, item prices; item prices are cached (only their status ever changes)."""

    def __init__(self, api: ChargebeeApi) -> None:
        self.api = api
        self._prices: dict[str, dict[str, Any]] = {}

    async def item(self, sku: str) -> dict[str, Any] | None:
        """The Chargebee item of ``sku``, or ``None``."""
        try:
            return (await self.api.get(f"/items/{_item_id(sku)}"))["item"]
        except BillingNotFound:
            return None

    async def item_price(self, pid: str) -> dict[str, Any]:
        """An item price by id (cached)."""
        if pid not in self._prices:
            self._prices[pid] = (await self.api.get(f"/item_prices/{pid}"))["item_price"]
        return self._prices[pid]

    async def active_prices(self, item: str) -> list[dict[str, Any]]:
        """Every active item price of an item."""
        return await self.api.list_all("/item_prices", "item_price",
                                       {"item_id[is]": item, "status[is]": "active"})

    async def sync(self, sku: str, item: CatalogItemV1) -> CatalogItemSyncV1:
        """Make the item and its list prices equal ``item``; safe to repeat."""
        metered = any(p.billing_frequency is BillingFrequency.USAGE for p in item.prices)
        one_time = [p for p in item.prices if p.billing_frequency is BillingFrequency.ONE_TIME]
        if one_time and len(one_time) != len(item.prices):
            raise UnsupportedByVendor(f"SKU {sku!r} cannot have one-time and recurring or usage prices on Chargebee: "
                                      "one-time prices belong to a charge item, recurring ones to an addon item.",
                                      code="mixed_item_types_unsupported")
        kind = "charge" if one_time else "addon" if item.prices else None
        found = await self._ensure_item(sku, item.name, item.description, kind, metered)
        existing = await self.active_prices(found["id"])
        kept: list[dict[str, Any]] = []
        for wanted in item.prices:
            current = next((p for p in existing if p["id"] == price_id(found["id"], wanted.currency,
                                                                       wanted.billing_frequency,
                                                                       wanted.unit_amount.amount_minor)), None)
            kept.append(current or await self._create_price(found, wanted.currency, wanted.billing_frequency,
                                                            wanted.unit_amount.amount_minor))
        retired = []
        for price in existing:
            if all(price["id"] != k["id"] for k in kept):
                await self.api.post(f"/item_prices/{price['id']}", {"status": "archived"},
                                    key=f"revflow:catalog:{sku}:archive:{price['id']}")
                retired.append(price["id"])
        product = Product(sku=sku, name=found["name"], description=found.get("description"),
                          active=found.get("status") == "active", external_ids={System.BILLING: found["id"]})
        return CatalogItemSyncV1(product=product, prices=[self.price(p, sku, metered) for p in kept],
                                 retired_price_ids=retired)

    async def list_price(self, sku: str, currency: str, frequency: BillingFrequency) -> dict[str, Any]:
        """The active list item price of ``sku`` in ``currency`` at ``frequency`` (a master-data problem if none)."""
        item = await self.item(sku)
        if item is None:
            raise VendorRefused(f"SKU {sku!r} is not in the billing catalogue; sync it first "
                                f"(PUT /v1/catalog/items/{sku}).", slug="business-rule", code="sku_missing",
                                retryable=False, owner="finance_ops")
        for price in await self.active_prices(item["id"]):
            if price["currency_code"] == currency and frequency_of(price, bool(item.get("metered"))) is frequency:
                self._prices[price["id"]] = price
                return price
        raise VendorRefused(f"SKU {sku!r} has no {frequency.value} price in {currency}; sync it first "
                            f"(PUT /v1/catalog/items/{sku}).", slug="business-rule", code="price_missing",
                            retryable=False, owner="finance_ops")

    async def base_price(self, currency: str, period: tuple[str, int]) -> str:
        """The zero-priced base plan item price of ``currency`` and ``period``, created when first needed."""
        pid = f"{BASE_ITEM}-{currency}-{period[1]}-{period[0]}"
        try:
            return str((await self.item_price(pid))["id"])
        except BillingNotFound:
            pass
        await self._ensure_item(BASE_ITEM, "Subscription", "revflow's base plan (priced at zero)", "plan", False)
        params = {"id": pid, "item_id": BASE_ITEM, "name": f"Subscription {currency} {period[1]} {period[0]}",
                  "pricing_model": "flat_fee", "price": 0, "currency_code": currency, "period_unit": period[0],
                  "period": period[1]}
        return str((await self._create(params, f"revflow:catalog:base:{pid}"))["id"])

    async def _ensure_item(self, item_id: str, name: str, description: str | None, type_: str | None,
                           metered: bool) -> dict[str, Any]:
        """The item, created as ``type_`` (an addon when None) or checked to be of ``type_``."""
        await self._ensure_family()
        try:
            found = (await self.api.get(f"/items/{item_id}"))["item"]
        except BillingNotFound:
            params = {"id": item_id if type_ == "plan" else _item_id(item_id), "name": name,
                      "description": description, "type": type_ or "addon", "item_family_id": FAMILY,
                      "metered": metered}
            try:
                return (await self.api.post("/items", params, key=f"revflow:catalog:{item_id}:item"))["item"]
            except VendorRefused as exc:
                if exc.code != "duplicate_entry":
                    raise
                found = (await self.api.get(f"/items/{item_id}"))["item"]
        if type_ is not None and found.get("type") != type_:
            raise UnsupportedByVendor(f"Chargebee item {item_id!r} is a {found.get('type')} item; an item cannot "
                                      f"become a {type_} item (one-time prices need a charge item, recurring and "
                                      "usage prices an addon item).", code="item_type_change_unsupported")
        if bool(found.get("metered")) != metered:
            raise UnsupportedByVendor(f"Chargebee item {item_id!r} is {'' if found.get('metered') else 'not '}"
                                      "metered; an item cannot change between metered and licensed.",
                                      code="metering_change_unsupported")
        if (found["name"], found.get("description")) != (name, description):
            found = (await self.api.post(f"/items/{item_id}", {"name": name, "description": description or ""},
                                         key=None))["item"]
        return found

    async def _ensure_family(self) -> None:
        try:
            await self.api.get(f"/item_families/{FAMILY}")
        except BillingNotFound:
            try:
                await self.api.post("/item_families", {"id": FAMILY, "name": "revflow"}, key="revflow:catalog:family")
            except VendorRefused as exc:
                if exc.code != "duplicate_entry":
                    raise

    async def _create_price(self, item: dict[str, Any], currency: str, frequency: BillingFrequency,
                            amount: int) -> dict[str, Any]:
        pid = price_id(item["id"], currency, frequency, amount)
        params: dict[str, Any] = {"id": pid, "item_id": item["id"], "pricing_model": "per_unit", "price": amount,
                                  "name": f"{item['name']} {currency} {frequency.value} {amount}",
                                  "currency_code": currency}
        if frequency is not BillingFrequency.ONE_TIME:  # a charge item price has no period
            params["period_unit"], params["period"] = FREQUENCY_PERIOD[frequency]
        return await self._create(params, f"revflow:catalog:price:{pid}")

    async def _create(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        try:
            price = (await self.api.post("/item_prices", params, key=key))["item_price"]
        except VendorRefused as exc:
            if exc.code != "duplicate_entry":
                raise
            price = (await self.api.get(f"/item_prices/{params['id']}"))["item_price"]
        self._prices[price["id"]] = price
        return price

    @staticmethod
    def price(price: dict[str, Any], sku: str, metered: bool) -> Price:
        """A Chargebee item price as canonical."""
        return Price(id=price["id"], product_sku=sku, currency=price["currency_code"],
                     billing_frequency=frequency_of(price, metered),
                     unit_amount=money(price.get("price"), price["currency_code"]),
                     active=price.get("status", "active") == "active")
