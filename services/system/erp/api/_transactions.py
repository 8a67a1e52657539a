"""Sales orders, invoices, credit memos and customer payments (POST writes require ``Idempotency-Key``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter

from contracts.billing import CreditNote, Invoice, Payment
from services.runtime.auth.guards import requires
from services.system.erp.api import _examples
from services.system.erp.api._common import KEYED, SERVICE, ErpIdParam, body, caller_of
from services.system.erp.schemas import (
    CreditMemoCreateV1,
    CustomerPaymentCreateV1,
    InvoiceCreateV1,
    SalesOrderCreateV1,
    SalesOrderListV1,
    SalesOrderV1,
)
from services.system.erp.service import ErpService

__all__ = ["CreditMemoController", "CustomerPaymentController", "InvoiceController", "SalesOrderController"]


class SalesOrderController(Controller):
    """Sales orders."""

    path = "/sales-orders"
    tags = ["sales orders"]
    dependencies = SERVICE

    @post("/", operation_id="createSalesOrderV1", guards=[requires("erp:write")], opt=KEYED,
          summary="Create a sales order (requires Idempotency-Key; a retry never makes a second order)")
    async def create(self, data: Annotated[SalesOrderCreateV1, body("New sales order", _examples.SALES_ORDER)],
                     service: NamedDependency[ErpService], request: Request[Any, Any, Any]) -> SalesOrderV1:
        return await service.create_sales_order(data, caller_of(request))

    @get("/", operation_id="listSalesOrdersV1", guards=[requires("erp:read")],
         summary="The sales orders made for a CRM opportunity, newest first",
         description="How a caller whose create was never answered finds whether the ERP made the order anyway.")
    async def list_sales_orders(self, service: NamedDependency[ErpService],
                                opportunity: FromQuery[Annotated[str, Parameter(
                                    pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$", max_length=255,
                                    description="The CRM opportunity (deal) id the orders were made for")]],
                                ) -> SalesOrderListV1:
        return SalesOrderListV1(data=await service.sales_orders_of(opportunity))

    @get("/{order_id:str}", operation_id="getSalesOrderV1", guards=[requires("erp:read")], summary="A sales order")
    async def read(self, order_id: ErpIdParam, service: NamedDependency[ErpService]) -> SalesOrderV1:
        return await service.get_sales_order(order_id)

    @post("/{order_id:str}/closure", operation_id="closeSalesOrderV1", guards=[requires("erp:write")], opt=KEYED,
          status_code=200, summary="Close a sales order (requires Idempotency-Key; closing a closed order is a no-op)",
          description="Closes every open line, as NetSuite's Close button does: nothing more is fulfilled or billed "
                      "from the order and its status becomes `Closed`. Invoices already posted are untouched.")
    async def close(self, order_id: ErpIdParam, service: NamedDependency[ErpService],
                    request: Request[Any, Any, Any]) -> SalesOrderV1:
        return await service.close_sales_order(order_id, caller_of(request))


class InvoiceController(Controller):
    """Invoices posted to receivables."""

    path = "/invoices"
    tags = ["invoices"]
    dependencies = SERVICE

    @post("/", operation_id="createInvoiceV1", guards=[requires("erp:write")], opt=KEYED,
          summary="Post an invoice, billing a sales order or standalone (requires Idempotency-Key)",
          description="Announces `revflow.erp.invoice.posted.v1` once per ERP invoice.")
    async def create(self, data: Annotated[InvoiceCreateV1, body("New invoice", _examples.INVOICE)],
                     service: NamedDependency[ErpService], request: Request[Any, Any, Any]) -> Invoice:
        return await service.create_invoice(data, caller_of(request))

    @get("/{invoice_id:str}", operation_id="getInvoiceV1", guards=[requires("erp:read")], summary="An invoice")
    async def read(self, invoice_id: ErpIdParam, service: NamedDependency[ErpService]) -> Invoice:
        return await service.get_invoice(invoice_id)


class CreditMemoController(Controller):
    """Credit memos against invoices."""

    path = "/credit-memos"
    tags = ["credit memos"]
    dependencies = SERVICE

    @post("/", operation_id="createCreditMemoV1", guards=[requires("erp:write")], opt=KEYED,
          summary="Credit (part of) an invoice (requires Idempotency-Key)")
    async def create(self, data: Annotated[CreditMemoCreateV1, body("New credit memo", _examples.CREDIT_MEMO)],
                     service: NamedDependency[ErpService], request: Request[Any, Any, Any]) -> CreditNote:
        return await service.create_credit_memo(data, caller_of(request))


class CustomerPaymentController(Controller):
    """Payments received from customers."""

    path = "/customer-payments"
    tags = ["customer payments"]
    dependencies = SERVICE

    @post("/", operation_id="createCustomerPaymentV1", guards=[requires("erp:write")], opt=KEYED,
          summary="Record a customer payment, applied to an open invoice (requires Idempotency-Key)")
    async def create(self, data: Annotated[CustomerPaymentCreateV1, body("New payment", _examples.PAYMENT)],
                     service: NamedDependency[ErpService], request: Request[Any, Any, Any]) -> Payment:
        return await service.create_customer_payment(data, caller_of(request))
