"""Deals as finance sees them: the pipeline by business status, and one deal with everything about it.

A deal's business status is the status of its oldest unfinished workflow (the one everything after it waits
for), or of its latest workflow when all have finished. The deal view reads the revenue contract and the
invoices live from the systems of record (revrec, billing) through the system APIs.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, Parameter

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.api._workflows import workflows_of
from services.process.quote_to_cash.pipeline import NOT_ABOUT_A_DEAL, DealSummaryV1, deal_of, deal_rows
from services.process.quote_to_cash.reconciliation import deal_billing
from services.process.quote_to_cash.saga import StepFailed, Summary
from services.process.quote_to_cash.systems import call
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError

__all__ = ["DealController", "DealSummaryV1", "DealViewV1", "deal_rows"]

_READ = [requires("quote_to_cash:read")]
DealId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                           description="The deal (CRM opportunity) id")]]


class DealListV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[DealSummaryV1]
    counts: dict[str, int]
    """Deals per business status (over the filters other than ``business_status``)."""
    total: int
    next_cursor: str | None = None


class DealViewV1(msgspec.Struct, frozen=True, kw_only=True):
    """Everything about one deal: its workflows, the ids it has in each system, revenue and invoices."""

    opportunity_id: str
    business_status: BusinessStatus
    ids: dict[str, str]
    """The deal's ids in each system (customer key, subscription, sales order, revenue contract...)."""
    workflows: list[Summary]
    revenue_contract: dict[str, Any] | None = None
    """The revenue contract as revrec holds it (allocation, schedules, billings), when one exists."""
    invoices: list[dict[str, Any]] = []
    """The billing system's invoices of the deal's subscription, newest first."""
    unavailable: list[str] = []
    """Systems that could not be read just now (the rest of the view is still right)."""


class DealController(Controller):
    """The pipeline of deals and the deal view."""

    path = "/deals"
    tags = ["deals"]

    @get("/", operation_id="listDealsV1", guards=_READ, summary="Deals by business status, owner or customer")
    async def list_deals(self, request: Request[Any, Any, Any],
                         business_status: FromQuery[BusinessStatus | None] = None,
                         owner: FromQuery[ExceptionOwner | None] = None,
                         q: FromQuery[Annotated[str | None, Parameter(max_length=100)]] = None,
                         limit: FromQuery[Annotated[int, Parameter(ge=1, le=500)]] = 100,
                         cursor: FromQuery[Annotated[str | None, Parameter(pattern=r"^[0-9]{1,9}$")]] = None,
                         ) -> DealListV1:
        deals = await workflows_of(request).deals.rows()
        needle = q.lower() if q else None
        deals = [d for d in deals if (owner is None or d.owner == owner)
                 and (needle is None or needle in f"{d.opportunity_id} {d.customer or ''}".lower())]
        counts: dict[str, int] = {}
        for d in deals:
            counts[d.business_status.value] = counts.get(d.business_status.value, 0) + 1
        if business_status is not None:
            deals = [d for d in deals if d.business_status == business_status]
        deals.sort(key=lambda d: (d.updated_at, d.opportunity_id), reverse=True)
        start = int(cursor or 0)
        more = start + limit < len(deals)
        return DealListV1(data=deals[start:start + limit], counts=counts, total=len(deals),
                          next_cursor=str(start + limit) if more else None)

    @get("/{opportunity_id:str}", operation_id="getDealV1", guards=_READ,
         summary="One deal: its workflows, ids in each system, revenue contract and invoices")
    async def read(self, opportunity_id: DealId, request: Request[Any, Any, Any]) -> DealViewV1:
        workflows = workflows_of(request)
        rows = [r for r in await workflows.store.summaries()
                if r.kind not in NOT_ABOUT_A_DEAL and deal_of(r.subject) == opportunity_id]
        if not rows:
            raise ServiceError(f"No deal {opportunity_id} has reached revflow.", slug="not-found")
        [summary] = deal_rows(rows)
        ids = await workflows.links.of(opportunity_id)
        systems = workflows.runner.systems
        contract, invoices, unavailable = None, [], []
        if systems is not None and ids.get("revenue_contract_id"):
            try:
                contract = await call(systems.revrec, "GET", f"/v1/contracts/{ids['revenue_contract_id']}")
            except StepFailed:  # the view degrades, it does not fail: it says which system was not read
                unavailable.append("revrec")
        if systems is not None and (ids.get("subscription_id") or ids.get("one_off_invoice_id")):
            try:
                _, invoices = await deal_billing(systems, ids)
            except StepFailed:
                unavailable.append("billing")
        rows.sort(key=lambda r: (r.created_at, r.id))
        return DealViewV1(opportunity_id=opportunity_id, business_status=summary.business_status, ids=ids,
                          workflows=rows, revenue_contract=contract, invoices=invoices, unavailable=unavailable)
