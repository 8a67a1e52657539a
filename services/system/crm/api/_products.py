"""The CRM's product catalogue, read by SKU (the CRM's users keep it; revflow only reads it)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from services.runtime.auth.guards import requires
from services.system.crm.api import _examples
from services.system.crm.api._common import SERVICE, ProductSku
from services.system.crm.schemas import CatalogItemV1, ProductListV1
from services.system.crm.service import CrmService

__all__ = ["ProductController"]

_PRICES = ("Salesforce: the product's entries in the standard price book, one per currency; HubSpot: the "
           "product's `price`, in the portal's currency.")


class ProductController(Controller):
    """Products of the CRM's catalogue with their list prices."""

    path = "/products"
    tags = ["products"]
    dependencies = SERVICE

    @get("/", operation_id="listProductsV1", guards=[requires("crm:read")],
         summary="The CRM's product catalogue, by SKU, with list prices (every CRM page read)",
         description="One product per SKU (Salesforce `ProductCode`, HubSpot `hs_sku`): where the CRM holds several "
                     "with one code, the one deals are booked with. Products without a SKU are not listed. "
                     f"List prices: {_PRICES}")
    async def list_products(self, service: NamedDependency[CrmService]) -> ProductListV1:
        return ProductListV1(data=await service.list_products())

    @get("/{sku:str}", operation_id="getProductV1", guards=[requires("crm:read")],
         summary="The product of a SKU with its list prices",
         description=f"404 (`product_missing`) when the catalogue has no product with the SKU. List prices: {_PRICES}",
         responses={200: ResponseSpec(CatalogItemV1, description="The product and its list prices",
                                      examples=[Example(summary="A Salesforce product with its standard price",
                                                        value=_examples.CATALOG_ITEM)])})
    async def read(self, sku: ProductSku, service: NamedDependency[CrmService]) -> CatalogItemV1:
        return await service.get_product(sku)
