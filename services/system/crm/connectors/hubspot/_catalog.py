"""The HubSpot product library as the canonical catalogue.

A product's SKU is its ``hs_sku``. ``hs_sku`` is not unique in HubSpot: when several products share one, the
catalogue shows the one deals are booked with, the lowest id, as ``_create`` picks it. Products without a SKU, or
with one that is no canonical SKU, cannot be sold through revflow and are not listed. HubSpot archives products
instead of deactivating them, and archived products are not in the library, so every listed product is active.

HubSpot keeps a product's list price on the product itself (``price``, in the portal's currency: the configured
one), so a product has at most one price, without an id of its own; a product without a ``price`` has none. Its
billing frequency is ``recurringbillingfrequency``, else the configured default, as for line items; a frequency
revflow has no name for (``weekly``, ``per_two_years``...) is refused for sales ops to fix, as on a line item.
"""

from __future__ import annotations

from typing import Any

from contracts.catalog import BillingFrequency, Price, Product
from contracts.common import System
from services.system.crm.connectors._shared import is_sku, money_of
from services.system.crm.connectors.hubspot._mapping import FREQUENCIES
from services.system.crm.connectors.hubspot._wire import HubSpotApi
from services.system.crm.errors import CrmNotFound, IncompleteCrmRecord
from services.system.crm.schemas import CatalogItemV1

__all__ = ["HubSpotCatalog"]

PROPERTIES = ["hs_sku", "name", "description", "price", "recurringbillingfrequency"]


class HubSpotCatalog:
    """Reads the product library (see the module docstring).

    Args:
        api: The HubSpot client.
        currency: The portal's currency (the configured one).
        frequency: The configured billing frequency of a product that names none.
    """

    def __init__(self, api: HubSpotApi, currency: str, frequency: BillingFrequency) -> None:
        self.api, self.currency, self.frequency = api, currency, frequency

    async def items(self) -> list[CatalogItemV1]:
        """Every product with a SKU, by SKU, with its list price."""
        return self._items(await self.api.list_all("products", PROPERTIES))

    async def item(self, sku: str) -> CatalogItemV1:
        """The product of ``sku`` (``CrmNotFound`` when the library has none)."""
        found = self._items(await self.api.search_all("products", {
            "filterGroups": [{"filters": [{"propertyName": "hs_sku", "operator": "EQ", "value": sku}]}],
            "properties": PROPERTIES, "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]}))
        # Search compares text case-insensitively; a SKU is matched exactly.
        exact = [item for item in found if item.product.sku == sku]
        if not exact:
            raise CrmNotFound(f"No product with SKU {sku!r} in the HubSpot product library (hs_sku).",
                              code="product_missing")
        return exact[0]

    def _items(self, records: list[dict[str, Any]]) -> list[CatalogItemV1]:
        chosen: dict[str, dict[str, Any]] = {}
        for record in sorted(records, key=lambda r: int(r["id"])):
            sku = (record.get("properties") or {}).get("hs_sku")
            if is_sku(sku):
                chosen.setdefault(str(sku), record)
        return [self._item(sku, chosen[sku]) for sku in sorted(chosen)]

    def _item(self, sku: str, record: dict[str, Any]) -> CatalogItemV1:
        props = record.get("properties") or {}
        given = props.get("recurringbillingfrequency")
        frequency = FREQUENCIES.get(given) if given else self.frequency
        if frequency is None:
            raise IncompleteCrmRecord(f"HubSpot product {record['id']} ({sku}) bills {given!r}, which has no revflow "
                                      f"billing frequency (expected one of {', '.join(FREQUENCIES)}).",
                                      code="product_incomplete")
        product = Product(id=str(record["id"]), sku=sku, name=str(props.get("name") or sku),
                          description=props.get("description") or None, external_ids={System.CRM: str(record["id"])})
        try:
            prices = [] if props.get("price") in (None, "") else [Price(
                product_sku=sku, currency=self.currency, billing_frequency=frequency,
                unit_amount=money_of(props["price"], self.currency, "price"))]
        except ValueError as exc:  # a negative price
            raise IncompleteCrmRecord(f"HubSpot product {record['id']} ({sku}) has no valid price: {exc}",
                                      code="product_incomplete") from None
        return CatalogItemV1(product=product, prices=prices)
