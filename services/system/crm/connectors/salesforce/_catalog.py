"""The Salesforce product catalogue: Product2 records with their standard price book entries.

A product's SKU is its ``ProductCode`` (the code deal lines are booked by). ``ProductCode`` is not unique in
Salesforce: when several products share one, the catalogue shows the one deals are booked with, the active one
with the lowest id, as ``_create`` picks it. Products without a code, or with a code that is no SKU (a space, say),
cannot be sold through revflow and are not listed.

Its list prices are its entries in the standard price book, one per currency in a multi-currency org
(``CurrencyIsoCode``; a single-currency org's are in the configured currency). An entry is active when it and its
product are. The billing frequency of a price is the product's ``Billing_Frequency__c`` (the picklist of lines, as
CPQ's ``SBQQ__BillingFrequency__c``), else the configured default, as for lines.
"""

from __future__ import annotations

from typing import Any

from contracts.catalog import Price, Product
from contracts.common import System
from services.system.crm.connectors._shared import is_sku, money_of
from services.system.crm.connectors.salesforce._mapping import FREQUENCIES, LineDefaults
from services.system.crm.connectors.salesforce._wire import SalesforceApi, soql_text
from services.system.crm.errors import CrmNotFound, IncompleteCrmRecord
from services.system.crm.schemas import CatalogItemV1

__all__ = ["SalesforceCatalog"]

FREQUENCY = "Billing_Frequency__c"
_PRODUCT = ("Id", "Name", "ProductCode", "Description", "IsActive")


class SalesforceCatalog:
    """Reads the catalogue (see the module docstring).

    Args:
        api: The Salesforce REST client.
        defaults: The configured currency and billing frequency.
    """

    def __init__(self, api: SalesforceApi, defaults: LineDefaults) -> None:
        self.api, self.defaults = api, defaults
        self._columns: tuple[tuple[str, ...], bool] | None = None

    async def _org(self) -> tuple[tuple[str, ...], bool]:
        """The Product2 columns to read, and whether entries carry ``CurrencyIsoCode`` (a multi-currency org)."""
        if self._columns is None:
            product = {f.get("name") for f in (await self.api.get("/sobjects/Product2/describe")).get("fields") or []}
            entry = {f.get("name") for f in
                     (await self.api.get("/sobjects/PricebookEntry/describe")).get("fields") or []}
            self._columns = ((*_PRODUCT, FREQUENCY) if FREQUENCY in product else _PRODUCT,
                             "CurrencyIsoCode" in entry)
        return self._columns

    async def items(self, sku: str | None = None) -> list[CatalogItemV1]:
        """Every product with a SKU (only ``sku``'s when given), by SKU, with its standard list prices."""
        columns, multi = await self._org()
        where = f"ProductCode = {soql_text(sku)}" if sku is not None else "ProductCode != null"
        products: dict[str, dict[str, Any]] = {}
        for record in await self.api.query(f"SELECT {', '.join(columns)} FROM Product2 WHERE {where} ORDER BY Id"):
            code = record.get("ProductCode")
            if is_sku(code) and (code not in products or (record["IsActive"] and not products[code]["IsActive"])):
                products[code] = record
        if not products:
            return []
        currency = ", CurrencyIsoCode" if multi else ""
        entries = await self.api.query(
            f"SELECT Id, Product2Id, UnitPrice, IsActive{currency} FROM PricebookEntry WHERE Pricebook2.IsStandard = "
            f"true AND Product2.{where} ORDER BY Id")
        return [self._item(products[code], [e for e in entries if e["Product2Id"] == products[code]["Id"]])
                for code in sorted(products)]

    async def item(self, sku: str) -> CatalogItemV1:
        """The product of ``sku`` with its list prices (``CrmNotFound`` when the catalogue has none)."""
        found = await self.items(sku)
        if not found:
            raise CrmNotFound(f"No product with SKU {sku!r} in the Salesforce catalogue (Product2.ProductCode).",
                              code="product_missing")
        return found[0]

    def _item(self, record: dict[str, Any], entries: list[dict[str, Any]]) -> CatalogItemV1:
        sku, active = str(record["ProductCode"]), bool(record["IsActive"])
        given = record.get(FREQUENCY)
        frequency = FREQUENCIES.get(given, self.defaults.frequency) if given else self.defaults.frequency
        product = Product(id=str(record["Id"]), sku=sku, name=str(record.get("Name") or sku),
                          description=record.get("Description") or None, active=active,
                          external_ids={System.CRM: str(record["Id"])})
        prices = []
        for entry in entries:
            currency = str(entry.get("CurrencyIsoCode") or self.defaults.currency)
            try:
                prices.append(Price(id=str(entry["Id"]), product_sku=sku, currency=currency,
                                    billing_frequency=frequency,
                                    unit_amount=money_of(entry["UnitPrice"], currency, "UnitPrice"),
                                    active=active and bool(entry["IsActive"]),
                                    external_ids={System.CRM: str(entry["Id"])}))
            except ValueError as exc:  # a negative list price
                raise IncompleteCrmRecord(f"Salesforce price book entry {entry['Id']} ({sku}) has no valid list "
                                          f"price: {exc}", code="product_incomplete") from None
        return CatalogItemV1(product=product, prices=sorted(prices, key=lambda p: p.currency))
