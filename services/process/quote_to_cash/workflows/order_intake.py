"""Order intake: an order submitted outside the CRM (a partner's) becomes a won deal in the CRM.

account in the CRM -> closed-won opportunity in the CRM. From there the ordinary path takes over: the CRM
announces the close (push and pull) and the activation runs, so a partner's order is booked, billed and
recognised exactly like a deal sales closed, and the CRM stays the system of record for bookings.

Input: ``tenant``, ``order_id``, the canonical ``customer``, ``currency``, ``lines`` (canonical deal lines) and
``close_date``. The CRM account key is ``<tenant>.<customer id or order id>``; the opportunity's external id is
the workflow id, so a retried create finds the first one.
"""

from __future__ import annotations

from typing import Any

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition
from services.process.quote_to_cash.systems import call

__all__ = ["ORDER_INTAKE", "account_key_of", "order_workflow_id"]


def order_workflow_id(tenant: str, order_id: str) -> str:
    return f"order:{tenant}:{order_id}"


def account_key_of(data: dict[str, Any]) -> str:
    customer = data["customer"]
    return f"{data['tenant']}.{customer.get('id') or data['order_id']}"[:80]


async def crm_account(ctx: StepContext) -> dict[str, Any]:
    key = account_key_of(ctx.input)
    customer = {**ctx.input["customer"], "id": None}
    await call(ctx.systems.crm, "PUT", f"/v1/accounts/{key}", json={k: v for k, v in customer.items()
                                                                    if v is not None}, key=ctx.key)
    return {"account_key": key}


async def crm_opportunity(ctx: StepContext) -> dict[str, Any]:
    data = ctx.input
    body = {"name": f"{data['tenant']} order {data['order_id']}"[:255], "customer_id": ctx.output("crm_account")[
        "account_key"], "stage": "closed_won", "close_date": data["close_date"], "currency": data["currency"],
        "lines": data["lines"], "external_ids": {"revflow": ctx.workflow.id}}
    created = await call(ctx.systems.crm, "POST", "/v1/opportunities", json=body, key=ctx.key)
    if not created or not created.get("id"):
        raise StepFailed("the CRM accepted the order but returned no opportunity id", retryable=False,
                         owner=ExceptionOwner.INTEGRATION, code="crm_no_id")
    return {"opportunity_id": created["id"]}


ORDER_INTAKE = WorkflowDefinition(
    kind="order",
    description="An order submitted outside the CRM becomes a closed-won opportunity in the CRM (then activation).",
    steps=(
        Step("crm_account", crm_account, BusinessStatus.PENDING_VALIDATION),
        Step("crm_opportunity", crm_opportunity, BusinessStatus.PENDING_VALIDATION),
    ),
    ids=lambda step, output: {"opportunity_id": output["opportunity_id"]} if output.get("opportunity_id") else {},
)
