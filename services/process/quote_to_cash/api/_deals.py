"""Changes to a booked deal started by hand: an amendment, a renewal, a cancellation.

The CRM's events start the amendment and the renewal on their own (``triggers.py``); these routes start the same
workflows, under the same ids, for a change signed outside the CRM or one the CRM never announced, and start
cancellations, which no CRM event announces. Each answers 202 with the workflow (a repeat with the same change
answers the first run); the workflow does the work. A deal revflow has never seen (no ids, no workflow queued)
answers 404.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from contracts.deals import Amendment
from contracts.event_payloads import OpportunityRenewed
from contracts.problems import FieldError
from services.process.quote_to_cash.api._workflows import workflows_of
from services.process.quote_to_cash.saga import WorkflowRecord
from services.process.quote_to_cash.workflows.amendment import amendment_key
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError

__all__ = ["DealCancellationV1", "DealChangeController"]

_WRITE = [requires("quote_to_cash:write")]
_KEY = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_KEY_RE = re.compile(_KEY)
DealId = FromPath[Annotated[str, Parameter(pattern=_KEY, max_length=100,
                                           description="The booked deal (CRM opportunity) id")]]
Proration = Literal["always_invoice", "create_prorations"]
Treatment = Literal["prospective", "cumulative_catch_up"]


class DealCancellationV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cancel a deal's subscription at the end of its term, or now (optionally crediting the unused time)."""

    at: Literal["now", "term_end"]
    credit: bool = False
    """With ``at="now"``: credit the unused part of the period already billed (ERP credit memo, revenue)."""
    revenue_treatment: Treatment | None = None
    """How shortened obligations are re-spread; ``prospective`` when absent."""
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(f"{field}: {message}", slug="validation",
                        errors=[FieldError(field=field, source="body", message=message)])


async def _start(request: Request[Any, Any, Any], deal: str, kind: str, subject: str, data: dict[str, Any],
                 workflow_id: str) -> Response[WorkflowRecord]:
    """Start the workflow of a change to ``deal``, which revflow must know (activated, or its activation queued)."""
    workflows = workflows_of(request)
    if not await workflows.knows_deal(deal):
        raise ServiceError(f"No deal {deal} has reached revflow: it must be activated before it can change.",
                           slug="not-found")
    record, _ = await workflows.start(kind, subject, data, workflow_id=workflow_id)
    return Response(record, status_code=202)


class DealChangeController(Controller):
    """Amendments, renewals and cancellations of booked deals."""

    path = "/deals"
    tags = ["deals"]

    @post("/{opportunity_id:str}/amendments", operation_id="amendDealV1", guards=_WRITE, status_code=202,
          summary="Amend a booked deal mid-term (the canonical amendment; idempotent by its id)",
          description="Starts the `amendment` workflow `amendment:<amendment id>`: billing change with proration, "
                      "ERP invoice adjustment, revenue modification, CRM status. `proration` defaults to "
                      "`always_invoice`, `revenue_treatment` to `prospective`. Without an `id`, the amendment's id "
                      "is a digest of its content and of these two options, so the same amendment sent again (here "
                      "or by the CRM) is the same amendment.")
    async def amend(self, opportunity_id: DealId, data: JSONBody[Amendment], request: Request[Any, Any, Any],
                    proration: FromQuery[Proration | None] = None,
                    revenue_treatment: FromQuery[Treatment | None] = None) -> Response[WorkflowRecord]:
        if data.opportunity_id != opportunity_id:
            raise _invalid("opportunity_id", f"must be the deal in the path ({opportunity_id})")
        if data.id is not None and not _KEY_RE.fullmatch(data.id):
            raise _invalid("id", "letters, digits and ._- only (it makes the start idempotent)")
        if data.id is None:
            data = msgspec.structs.replace(data, id=amendment_key(data, proration=proration,
                                                                   treatment=revenue_treatment))
        body: dict[str, Any] = {"amendment": msgspec.to_builtins(data)}
        if proration:
            body["proration"] = proration
        if revenue_treatment:
            body["revenue_treatment"] = revenue_treatment
        return await _start(request, opportunity_id, "amendment", opportunity_id, body, f"amendment:{data.id}")

    @post("/{opportunity_id:str}/renewals", operation_id="renewDealV1", guards=_WRITE, status_code=202,
          summary="Renew a booked deal for a new term (the renewed event's payload; idempotent by the renewal's id)",
          description="Starts the `renewal` workflow `renewal:<renewal opportunity id>`: billing term, ERP sales order "
                      "and a new revenue contract; the renewal takes the subscription over at the turn of the term.")
    async def renew(self, opportunity_id: DealId, data: JSONBody[OpportunityRenewed],
                    request: Request[Any, Any, Any]) -> Response[WorkflowRecord]:
        renewal = data.opportunity
        if renewal.renews_opportunity_id not in (None, opportunity_id):
            raise _invalid("opportunity.renews_opportunity_id", f"must be the deal in the path ({opportunity_id})")
        if renewal.id is None or not _KEY_RE.fullmatch(renewal.id):
            raise _invalid("opportunity.id", "required, letters, digits and ._- (the renewal opportunity)")
        if renewal.id == opportunity_id:
            raise _invalid("opportunity.id", "a deal cannot renew itself")
        body = msgspec.to_builtins(data)
        body["opportunity"]["renews_opportunity_id"] = opportunity_id
        return await _start(request, opportunity_id, "renewal", opportunity_id, body, f"renewal:{renewal.id}")

    @post("/{opportunity_id:str}/cancellations", operation_id="cancelDealV1", guards=_WRITE, status_code=202,
          summary="Cancel a deal's subscription at term end or now (with credit); idempotent per deal and timing",
          description="Starts the `cancellation` workflow `cancellation:<deal>:<at>`. A cancellation at term end "
                      "waits for the term's last billing period outside the deal's queue (subject "
                      "`<deal>:term-end`), so the deal's other workflows are not held meanwhile.")
    async def cancel(self, opportunity_id: DealId, data: JSONBody[DealCancellationV1],
                     request: Request[Any, Any, Any]) -> Response[WorkflowRecord]:
        if data.credit and data.at != "now":
            raise _invalid("credit", "only a cancellation now credits unused time")
        body = {"opportunity_id": opportunity_id, **msgspec.to_builtins(data)}
        subject = opportunity_id if data.at == "now" else f"{opportunity_id}:term-end"
        return await _start(request, opportunity_id, "cancellation", subject, body,
                            f"cancellation:{opportunity_id}:{data.at}")
