"""Orders submitted outside the CRM (partners): intake, then the deal's status as the activation reports it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, Parameter

from contracts.deals import DealLine
from contracts.money import CurrencyCode
from contracts.parties import Customer
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.api._workflows import workflows_of
from services.process.quote_to_cash.engine import UnknownWorkflowError
from services.process.quote_to_cash.saga import WorkflowRecord
from services.process.quote_to_cash.workflows.order_intake import order_workflow_id
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError

__all__ = ["OrderController", "OrderStatusV1", "OrderV1"]

_Key = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", description="A short key")]
_PathKey = Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", max_length=40)]


class OrderV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An order to book: who buys what, for which tenant (the partner that submits it)."""

    tenant: _Key
    order_id: _Key
    """The submitter's id of the order; submitting the same order twice books it once."""
    customer: Customer
    currency: CurrencyCode
    lines: Annotated[list[DealLine], msgspec.Meta(min_length=1, max_length=50)]
    close_date: date


class OrderStatusV1(msgspec.Struct, frozen=True, kw_only=True):
    """Where an order stands: intake into the CRM, then the activation of the deal it became."""

    tenant: str
    order_id: str
    workflow_id: str
    opportunity_id: str | None = None
    """The CRM deal the order became (once the CRM has it)."""
    status: BusinessStatus
    owner: ExceptionOwner | None = None
    reason: str | None = None


async def _status(request: Request[Any, Any, Any], intake: WorkflowRecord) -> OrderStatusV1:
    """The activation's status once it runs; before that, the intake's.

    Between the two (the CRM has the deal, its close is on its way) the order is ``pending_validation``.
    """
    opportunity = intake.external_ids.get("opportunity_id")
    current, status = intake, intake.business_status
    if opportunity:
        try:
            current = await workflows_of(request).get(f"activation:{opportunity}")
            status = current.business_status
        except UnknownWorkflowError:
            status = BusinessStatus.PENDING_VALIDATION
    exc = current.exception
    return OrderStatusV1(tenant=intake.input["tenant"], order_id=intake.input["order_id"], workflow_id=intake.id,
                         opportunity_id=opportunity, status=status, owner=exc.owner if exc else None,
                         reason=exc.reason if exc else None)


class OrderController(Controller):
    """Order intake."""

    path = "/orders"
    tags = ["orders"]

    @post("/", operation_id="submitOrderV1", guards=[requires("quote_to_cash:write")], status_code=202,
          summary="Book an order: it becomes a closed-won deal in the CRM, then an activation")
    async def submit(self, data: JSONBody[OrderV1], request: Request[Any, Any, Any]) -> Response[OrderStatusV1]:
        body = msgspec.to_builtins(data)
        workflow_id = order_workflow_id(data.tenant, data.order_id)
        record, _ = await workflows_of(request).start("order", workflow_id, body, workflow_id=workflow_id)
        if record.input != body:
            raise ServiceError(f"Order {data.order_id} of {data.tenant} was submitted before with other content.",
                               slug="conflict", code="order_changed")
        return Response(await _status(request, record), status_code=202)

    @get("/{tenant:str}/{order_id:str}", operation_id="getOrderV1", guards=[requires("quote_to_cash:read")],
         summary="Where an order stands")
    async def read(self, tenant: FromPath[_PathKey], order_id: FromPath[_PathKey],
                   request: Request[Any, Any, Any]) -> OrderStatusV1:
        try:
            record = await workflows_of(request).get(order_workflow_id(tenant, order_id))
        except UnknownWorkflowError:
            raise ServiceError(f"No order {order_id} of {tenant}.", slug="not-found") from None
        return await _status(request, record)
