"""Opportunities: created, read with lines and signed amendments, listed by stage, finance status written back.

Also the pulls of closed deals. Creating one books an order from outside the CRM as a deal in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, Parameter

from contracts.deals import Opportunity, OpportunityStage
from contracts.problems import FieldError
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError
from services.system.crm.api import _examples
from services.system.crm.api._common import SERVICE, OpportunityId, actor_of, body
from services.system.crm.schemas import (
    AmendmentListV1,
    ClosedLostSyncV1,
    ClosedWonSyncV1,
    FinanceStatusResultV1,
    FinanceStatusV1,
    OpportunityListV1,
)
from services.system.crm.service import CrmService

__all__ = ["OpportunityController", "SyncController"]

# The field ranges ``datetime.fromisoformat`` accepts (no year 0000; an offset under a day, minutes may pass 59).
_SINCE = Parameter(pattern=r"^([1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
                           r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-](([01]\d|2[0-2]):\d{2}|23:[0-5]\d))$",
                   max_length=40,
                   description="Only deals the CRM modified at or after this instant (ISO 8601 with an offset)")


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ServiceError("since is not a valid instant.", slug="validation", errors=[
            FieldError(field="since", source="query", message="an instant with an offset, like 2024-04-01T00:00Z")
        ]) from None


class OpportunityController(Controller):
    """Opportunities (deals) with their lines."""

    path = "/opportunities"
    tags = ["opportunities"]
    dependencies = SERVICE

    @get("/", operation_id="listOpportunitiesV1", guards=[requires("crm:read")],
         summary="Opportunities in a stage, optionally modified since an instant (every CRM page read)")
    async def list_opportunities(self, service: NamedDependency[CrmService],
                                 stage: FromQuery[OpportunityStage] = OpportunityStage.CLOSED_WON,
                                 since: FromQuery[Annotated[str | None, _SINCE]] = None) -> OpportunityListV1:
        return OpportunityListV1(data=await service.list_opportunities(stage, _instant(since)))

    @post("/", operation_id="createOpportunityV1", guards=[requires("crm:write")], status_code=201,
          summary="Create a deal with its lines in the CRM (an order booked outside it), then set its stage",
          description="The CRM stays the system of record for bookings: the deal is created there and, once it is "
                      "at a closed-won stage, announced by the ordinary path (push and pull) as "
                      "`revflow.crm.opportunity.closed_won.v1`, exactly once. `customer_id` is the business key of "
                      "an account already upserted (`PUT /v1/accounts/{key}`). The stage is set after every line "
                      "is in place, so the announcement never sees a partial deal. `id` and `closed_at` are the "
                      "CRM's to assign. Idempotent at the CRM: the record is keyed by `external_ids.revflow` "
                      "(else by the caller's `Idempotency-Key`), so a repeat, or a retry after the CRM committed "
                      "but the answer was lost, leaves one opportunity with one set of lines and answers 200 "
                      "with it. Lines the CRM cannot hold as given (a currency or billing frequency it has no "
                      "place for, a list price other than its price book's) are refused with a 422 naming them, "
                      "before anything is written.",
          responses={200: ResponseSpec(data_container=Opportunity,
                                       description="The CRM already held the opportunity of this key; as it is now")})
    async def create(self, data: Annotated[Opportunity, body("Opportunity", _examples.OPPORTUNITY,
                                                             "OpportunityCreate")],
                     service: NamedDependency[CrmService], request: Request[Any, Any, Any]) -> Response[Opportunity]:
        result = await service.create_opportunity(data, request.headers.get("idempotency-key"), actor_of(request))
        return Response(result.opportunity, status_code=201 if result.created else 200)

    @get("/{opportunity_id:str}", operation_id="getOpportunityV1", guards=[requires("crm:read")],
         summary="An opportunity with every line")
    async def read(self, opportunity_id: OpportunityId, service: NamedDependency[CrmService]) -> Opportunity:
        return await service.get_opportunity(opportunity_id)

    @get("/{opportunity_id:str}/amendments", operation_id="listAmendmentsV1", guards=[requires("crm:read")],
         summary="The signed amendments of a booked opportunity, in the order they take effect",
         description="Each is an amendment opportunity linked to this one and won (signed) in the CRM, as the "
                     "canonical `Amendment`: the booked opportunity, the effective date and every changed line "
                     "(`add`, `update` or `remove`, with the line's terms from the effective date). The same "
                     "amendment is announced once as `revflow.crm.opportunity.amended.v1`.")
    async def amendments(self, opportunity_id: OpportunityId, service: NamedDependency[CrmService]) -> AmendmentListV1:
        return AmendmentListV1(data=await service.list_amendments(opportunity_id))

    @put("/{opportunity_id:str}/finance-status", operation_id="writeFinanceStatusV1", guards=[requires("crm:write")],
         summary="Write invoice status, subscription id and revenue recognised to date onto the CRM record",
         description="Naturally idempotent (it sets fields). Fields the CRM org has no place for are listed in "
                     "`unsupported` and not written.")
    async def finance_status(self, opportunity_id: OpportunityId,
                             data: Annotated[FinanceStatusV1, body("Finance status", _examples.FINANCE_STATUS)],
                             service: NamedDependency[CrmService],
                             request: Request[Any, Any, Any]) -> FinanceStatusResultV1:
        return await service.write_finance_status(opportunity_id, data, actor_of(request))


class SyncController(Controller):
    """The pull path of closed deals."""

    path = "/sync"
    tags = ["sync"]
    dependencies = SERVICE

    @post("/closed-won", operation_id="syncClosedWonV1", guards=[requires("crm:write")], status_code=200,
          summary="Pull closed-won deals modified since the watermark and announce each new close once",
          description="Each new close is announced as `closed_won`, or as `renewed` (a renewal, instead of "
                      "`closed_won`) or `amended` (a signed amendment). Deals whose record is incomplete are "
                      "listed in `incomplete` and tried again on every later pull.")
    async def closed_won(self, service: NamedDependency[CrmService]) -> ClosedWonSyncV1:
        return await service.sync_closed_won()

    @post("/closed-lost", operation_id="syncClosedLostV1", guards=[requires("crm:write")], status_code=200,
          summary="Pull closed-lost deals modified since the watermark and announce each new loss once")
    async def closed_lost(self, service: NamedDependency[CrmService]) -> ClosedLostSyncV1:
        return await service.sync_closed_lost()
