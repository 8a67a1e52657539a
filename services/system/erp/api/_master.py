"""Customers (upsert by business key, naturally idempotent) and items (lookup by SKU)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency

from contracts.catalog import Product
from contracts.parties import Customer
from services.runtime.app import links_to
from services.runtime.auth.guards import requires
from services.system.erp.api import _examples
from services.system.erp.api._common import SERVICE, BusinessKey, SkuList, SkuParam, body, caller_of
from services.system.erp.service import ErpService

__all__ = ["CustomerController", "ItemController"]


class CustomerController(Controller):
    """ERP customers, known by revflow's business key (their external id in the ERP)."""

    path = "/customers"
    tags = ["customers"]
    dependencies = SERVICE

    @put("/{key:str}", operation_id="upsertCustomerV1", guards=[requires("erp:write")],
         opt=links_to("getCustomerV1", key="$request.path.key"),
         summary="Create or update the ERP customer of a business key",
         description="Naturally idempotent: an upsert by external id, so a repeat leaves one ERP customer.")
    async def upsert(self, key: BusinessKey,
                     data: Annotated[Customer, body("Customer", _examples.CUSTOMER, "CustomerUpsert")],
                     service: NamedDependency[ErpService], request: Request[Any, Any, Any]) -> Customer:
        return await service.upsert_customer(key, data, caller_of(request))

    @get("/{key:str}", operation_id="getCustomerV1", guards=[requires("erp:read")],
         summary="The ERP customer of a business key")
    async def read(self, key: BusinessKey, service: NamedDependency[ErpService]) -> Customer:
        return await service.get_customer(key)


class ItemController(Controller):
    """Items (the ERP's catalogue), by SKU."""

    path = "/items"
    tags = ["items"]
    dependencies = SERVICE

    @get("/{sku:str}", operation_id="getItemV1", guards=[requires("erp:read")],
         summary="The active item of a SKU",
         description="A missing or inactive item is a master-data exception: a 422 problem with code "
                     "`sku_missing` or `sku_inactive`, naming the SKU, owned by `finance_ops`, the fix in `detail`.")
    async def read(self, sku: SkuParam, service: NamedDependency[ErpService]) -> Product:
        return await service.get_item(sku)

    @get("/", operation_id="listItemsV1", guards=[requires("erp:read")],
         summary="The active items of several SKUs, in one lookup",
         description="One item per distinct SKU asked, in the order asked (`?sku=A&sku=B`). If any SKU is missing "
                     "or inactive the answer is that SKU's master-data exception (a 422 problem with code "
                     "`sku_missing` or `sku_inactive`, owned by `finance_ops`), as for a single item.")
    async def read_many(self, sku: SkuList, service: NamedDependency[ErpService]) -> list[Product]:
        return await service.get_items(sku)
