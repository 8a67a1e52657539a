"""Finance routes: credits and refunds, usage, and period close: each starts its workflow and answers 202.

Workflow ids come from business keys (the credit's invoice and request, the usage record's id, the period),
so a repeated request finds the workflow the first one started instead of starting another.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, Parameter

from contracts.problems import FieldError
from services.process.quote_to_cash.api._workflows import workflows_of
from services.process.quote_to_cash.engine import Workflows
from services.process.quote_to_cash.saga import WorkflowRecord, WorkflowState
from services.process.quote_to_cash.workflows.credit_refund import CREDIT_REFUND, CreditRequestV1, credit_workflow_id
from services.process.quote_to_cash.workflows.period_close import (
    PERIOD_CLOSE,
    PeriodCloseStatusV1,
    close_status,
    close_subject,
    latest_close,
    period_close_id,
)
from services.process.quote_to_cash.workflows.usage import USAGE, UsageRecordV1, usage_workflow_id
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError

__all__ = ["CreditController", "PeriodCloseController", "UsageController"]

_READ, _WRITE = [requires("quote_to_cash:read")], [requires("quote_to_cash:write")]
PeriodKey = FromPath[Annotated[str, Parameter(pattern=r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$", max_length=7,
                                              description="Accounting period YYYY-MM")]]
UsageBatch = Annotated[list[UsageRecordV1], msgspec.Meta(min_length=1, max_length=1000)]


class UsageAcceptedV1(msgspec.Struct, frozen=True, kw_only=True):
    """The workflow of each usage record; a record reported before is answered with its first workflow."""

    workflow_id: str
    record_id: str
    state: WorkflowState
    created: bool
    """False when the record had been reported before (it is counted once)."""


class UsageReceiptV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[UsageAcceptedV1]
    created: int
    repeated: int


async def _require_deals(workflows: Workflows, deals: list[str], what: str) -> None:
    """Refuse (409, nothing started) a request for a deal that has not reached revflow.

    Its workflow would stand first in the deal's queue and hold the deal's activation when it came: so the caller
    is told to send it again once the deal's activation has started (``conflict``: the deal's state, not the
    request, is what is missing). A record reported before is answered as a repeat whatever its deal's state.
    """
    for deal in dict.fromkeys(deals):
        if not await workflows.knows_deal(deal):
            raise ServiceError(f"No deal {deal} has reached revflow (no activation has started): send the {what} "
                               "again once the deal is activated or its activation is under way.", slug="conflict",
                               code="deal_not_known",
                               errors=[FieldError(field="opportunity_id", source="body",
                                                  message=f"no deal {deal} has reached revflow")])


class CreditController(Controller):
    """Credits (and refunds) against billing invoices."""

    path = "/credits"
    tags = ["credits"]

    @post("/", operation_id="startCreditV1", guards=_WRITE, status_code=202,
          summary="Credit (and refund) part of an invoice: billing credit note, ERP credit memo, revenue reduction",
          description="Starts the `credit_refund` workflow of the deal. A credit of a deal that has not reached "
                      "revflow (no activation has run or started) is refused with 409 `deal_not_known`, and nothing "
                      "starts: send it again once the deal's activation is under way.")
    async def start(self, data: JSONBody[CreditRequestV1], request: Request[Any, Any, Any]) -> WorkflowRecord:
        workflows = workflows_of(request)
        await _require_deals(workflows, [data.opportunity_id], "credit")
        record, _ = await workflows.start(CREDIT_REFUND.kind, data.opportunity_id, msgspec.to_builtins(data),
                                          workflow_id=credit_workflow_id(data))
        return record


class UsageController(Controller):
    """Usage of usage-priced products, billed in arrears and recognised when used."""

    path = "/usage"
    tags = ["usage"]

    @post("/", operation_id="reportUsageV1", guards=_WRITE, status_code=202,
          summary="Report one usage record or a batch; each record's id makes reporting it again a no-op",
          description="Starts one `usage` workflow per new record. A new record of a deal that has not reached "
                      "revflow (no activation has run or started) is refused with 409 `deal_not_known`, and nothing "
                      "of the batch starts: send it again once the deal's activation is under way. A record "
                      "reported before is answered as a repeat.")
    async def report(self, data: JSONBody[UsageRecordV1 | UsageBatch],
                     request: Request[Any, Any, Any]) -> UsageReceiptV1:
        batch = data if isinstance(data, list) else [data]
        first: dict[str, UsageRecordV1] = {}
        for record in batch:
            if first.setdefault(record.id, record) != record:
                raise ServiceError(f"The batch reports record {record.id} twice with different values.",
                                   slug="validation")
        records = list(first.values())
        workflows = workflows_of(request)
        fresh = [r for r in records if await workflows.store.load(usage_workflow_id(r)) is None]
        await _require_deals(workflows, [r.opportunity_id for r in fresh], "usage")
        for record in records:  # nothing starts when one record contradicts what was reported before
            earlier = await workflows.store.load(usage_workflow_id(record))
            if earlier is not None and msgspec.convert(earlier.input, UsageRecordV1) != record:
                raise ServiceError(f"Usage record {record.id} was reported before with other values.",
                                   slug="conflict")
        accepted = []
        for record in records:
            run, created = await workflows.start(USAGE.kind, record.opportunity_id, msgspec.to_builtins(record),
                                                 workflow_id=usage_workflow_id(record))
            accepted.append(UsageAcceptedV1(workflow_id=run.id, record_id=record.id, state=run.state,
                                            created=created))
        made = sum(1 for a in accepted if a.created)
        return UsageReceiptV1(data=accepted, created=made, repeated=len(batch) - made)


class PeriodCloseController(Controller):
    """Closing accounting periods."""

    path = "/periods"
    tags = ["periods"]

    @post("/{period:str}/close", operation_id="startPeriodCloseV1", guards=_WRITE, status_code=202,
          summary="Close a period: checklist, recognition run, journals to the ERP (once), reconciliation, lock")
    async def close(self, period: PeriodKey, request: Request[Any, Any, Any]) -> WorkflowRecord:
        workflows = workflows_of(request)
        latest, attempt = await latest_close(workflows.store, period)
        if latest is not None and latest.state is WorkflowState.COMPENSATED:
            attempt += 1  # the last close was cancelled (and its journals reversed): this is a new one
        record, _ = await workflows.start(PERIOD_CLOSE.kind, close_subject(period), {"period": period},
                                          workflow_id=period_close_id(period, attempt))
        return record

    @get("/{period:str}", operation_id="getPeriodCloseV1", guards=_READ,
         summary="A period's close: status, checklist as of now, revenue recognised, journals posted")
    async def read(self, period: PeriodKey, request: Request[Any, Any, Any]) -> PeriodCloseStatusV1:
        return await close_status(workflows_of(request).store, period)
