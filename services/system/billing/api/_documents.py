"""Invoices, credit notes, refunds and usage."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter

from contracts.billing import CreditNote, Invoice, Refund, UsageRecord
from contracts.problems import FieldError
from services.runtime.auth.guards import requires
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.problems import ServiceError
from services.system.billing.api import _examples
from services.system.billing.api._common import CUSTOMER_QUERY, SERVICE, DocumentId, body, caller_of
from services.system.billing.schemas import (
    CreditNoteCreateV1,
    InvoiceCreateV1,
    InvoiceListV1,
    RefundCreateV1,
    UsageReportV1,
)
from services.system.billing.service import BillingService

__all__ = ["CreditNoteController", "InvoiceController", "RefundController", "UsageController"]

InvoiceId = FromPath[DocumentId]
_KEYED = {IDEMPOTENCY_OPT: "required"}
_SUBSCRIPTION = Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$", max_length=255,
                          description="Billing id of the subscription")
_OPPORTUNITY = Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$", max_length=255,
                         description="Only the one-off invoices issued for this CRM opportunity (deal) id")


class InvoiceController(Controller):
    """Invoices as the billing system holds them."""

    path = "/invoices"
    tags = ["invoices"]
    dependencies = SERVICE

    @post("/", operation_id="createInvoiceV1", guards=[requires("billing:write")], opt=_KEYED, status_code=201,
          summary="Issue a one-off invoice of one-time charges, outside any subscription (requires Idempotency-Key)")
    async def create(self, data: Annotated[InvoiceCreateV1, body("New one-off invoice", _examples.INVOICE)],
                     service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> Invoice:
        return await service.create_invoice(data, caller_of(request))

    @post("/{invoice_id:str}/void", operation_id="voidInvoiceV1", guards=[requires("billing:write")], opt=_KEYED,
          status_code=200, summary="Void an unpaid invoice (a draft is finalized first; a void one is answered as "
                                   "is; a paid one is 409 invoice_paid: credit it instead)")
    async def void(self, invoice_id: InvoiceId, service: NamedDependency[BillingService],
                   request: Request[Any, Any, Any]) -> Invoice:
        return await service.void_invoice(invoice_id, caller_of(request))

    @get("/", operation_id="listInvoicesV1", guards=[requires("billing:read")],
         summary="Every invoice of a customer and/or subscription (all vendor pages), newest first")
    async def list_invoices(self, service: NamedDependency[BillingService],
                            customer: FromQuery[Annotated[str | None, CUSTOMER_QUERY]] = None,
                            subscription: FromQuery[Annotated[str | None, _SUBSCRIPTION]] = None,
                            opportunity: FromQuery[Annotated[str | None, _OPPORTUNITY]] = None) -> InvoiceListV1:
        if customer is None and subscription is None:
            raise ServiceError("Filter by customer, subscription or both.", slug="validation", errors=[
                FieldError(field="customer", source="query", message="customer or subscription is required")])
        return InvoiceListV1(data=await service.list_invoices(customer, subscription, opportunity))

    @get("/{invoice_id:str}", operation_id="getInvoiceV1", guards=[requires("billing:read")], summary="An invoice")
    async def read(self, invoice_id: InvoiceId, service: NamedDependency[BillingService]) -> Invoice:
        return await service.get_invoice(invoice_id)

    @post("/{invoice_id:str}/finalization", operation_id="finalizeInvoiceV1", guards=[requires("billing:write")],
          opt=_KEYED, status_code=200, summary="Finalize a draft invoice (an invoice already final is answered as is)")
    async def finalize(self, invoice_id: InvoiceId, service: NamedDependency[BillingService],
                       request: Request[Any, Any, Any]) -> Invoice:
        return await service.finalize_invoice(invoice_id, caller_of(request))


class CreditNoteController(Controller):
    """Credit notes against invoices."""

    path = "/credit-notes"
    tags = ["credit notes"]
    dependencies = SERVICE

    @post("/", operation_id="createCreditNoteV1", guards=[requires("billing:write")], opt=_KEYED,
          summary="Issue a credit note against an invoice")
    async def create(self, data: Annotated[CreditNoteCreateV1, body("Credit note", _examples.CREDIT_NOTE)],
                     service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> CreditNote:
        return await service.create_credit_note(data, caller_of(request))


class RefundController(Controller):
    """Refunds of payments."""

    path = "/refunds"
    tags = ["refunds"]
    dependencies = SERVICE

    @post("/", operation_id="createRefundV1", guards=[requires("billing:write")], opt=_KEYED,
          summary="Refund (part of) the payment of an invoice")
    async def create(self, data: Annotated[RefundCreateV1, body("Refund", _examples.REFUND)],
                     service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> Refund:
        return await service.create_refund(data, caller_of(request))


class UsageController(Controller):
    """Usage (meter events) on usage-priced subscription items."""

    path = "/usage"
    tags = ["usage"]
    dependencies = SERVICE

    @post("/", operation_id="reportUsageV1", guards=[requires("billing:write")], opt=_KEYED,
          summary="Report usage; the report id deduplicates at the vendor")
    async def report(self, data: Annotated[UsageReportV1, body("Usage report", _examples.USAGE)],
                     service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> UsageRecord:
        return await service.report_usage(data, caller_of(request))
