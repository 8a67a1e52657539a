"""Customers and the catalogue: upserts by business key (``PUT``, naturally idempotent)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency

from contracts.parties import Customer
from services.runtime.app import links_to
from services.runtime.auth.guards import requires
from services.system.billing.api import _examples
from services.system.billing.api._common import SERVICE, BusinessKey, SkuParam, body, caller_of
from services.system.billing.schemas import CatalogItemSyncV1, CatalogItemV1
from services.system.billing.service import BillingService

__all__ = ["CatalogController", "CustomerController"]


class CustomerController(Controller):
    """Billing customers, known by revflow's business key."""

    path = "/customers"
    tags = ["customers"]
    dependencies = SERVICE

    @put("/{key:str}", operation_id="upsertCustomerV1", guards=[requires("billing:write")],
         opt=links_to("getCustomerV1", key="$request.path.key"),
         summary="Create or update the billing customer of a business key",
         description="Naturally idempotent: repeating it leaves one vendor customer with these details.")
    async def upsert(self, key: BusinessKey,
                     data: Annotated[Customer, body("Customer", _examples.CUSTOMER, "CustomerUpsert")],
                     service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> Customer:
        return await service.upsert_customer(key, data, caller_of(request))

    @get("/{key:str}", operation_id="getCustomerV1", guards=[requires("billing:read")],
         summary="The billing customer of a business key")
    async def read(self, key: BusinessKey, service: NamedDependency[BillingService]) -> Customer:
        return await service.get_customer(key)


class CatalogController(Controller):
    """Catalogue sync: product and list prices per SKU."""

    path = "/catalog/items"
    tags = ["catalog"]
    dependencies = SERVICE

    @put("/{sku:str}", operation_id="syncCatalogItemV1", guards=[requires("billing:write")],
         summary="Sync one catalogue item (product and one price per currency and frequency)",
         description="Idempotent. A changed amount creates a new vendor price and retires the old one "
                     "(vendor prices are immutable).")
    async def sync(self, sku: SkuParam, data: Annotated[CatalogItemV1, body("Catalogue item", _examples.CATALOG_ITEM)],
                   service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> CatalogItemSyncV1:
        return await service.sync_catalog_item(sku, data, caller_of(request))
