"""The console's JSON API (``/v1``): the same data as the pages, for scripts and programs. Read-only.

A caller is either a person's browser (the session cookie of a signed-in person; the deal page's script
uses this) or a program with an access token for audience ``ops_console`` and scope ``ops_console:read``.
Changes are made through the pages, which check the person's role and CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter

from contracts.process import BusinessStatus, ExceptionOwner
from services.experience.ops_console.access import ACTIONS, Person
from services.experience.ops_console.clients import NotFoundError
from services.experience.ops_console.schemas import (
    CatalogueApiDetailV1,
    CatalogueV1,
    CloseV1,
    DealPageV1,
    DealStatusV1,
    ExceptionQueueV1,
    KpisV1,
    MeV1,
    PipelineV1,
    ReconciliationV1,
    RevenueV1,
    SlosV1,
    SystemOfRecordV1,
)
from services.experience.ops_console.service import MAX_PERIODS, periods_between
from services.experience.ops_console.views._governance import API_NAME, DEFAULT_DAYS
from services.experience.ops_console.views._web import console_of, session_of
from services.runtime.auth.middleware import EXCLUDE_OPT_KEY, REALM, bearer_challenge, enforce_scopes
from services.runtime.auth.verify import InvalidTokenError
from services.runtime.problems import ServiceError, problem_response

__all__ = ["READ_SCOPE", "api_router"]

READ_SCOPE = "ops_console:read"
_PERIOD = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"
DealId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                           description="The deal (CRM opportunity) id")]]
_Text = Annotated[str | None, Parameter(max_length=100)]
Days = FromQuery[Annotated[int, Parameter(ge=1, le=365, description="Consumers seen in the last N days")]]


async def provide_person(request: Request[Any, Any, Any]) -> Person:
    """The caller: a bearer token (``ops_console:read``) if one is sent, else the signed-in session."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException(detail="use a Bearer token",
                                         headers={"WWW-Authenticate": bearer_challenge(REALM)})
        try:
            verified = await request.app.state.token_verifier.verify_token(token.strip())
        except InvalidTokenError as exc:
            raise NotAuthorizedException(detail=exc.reason, headers={
                "WWW-Authenticate": bearer_challenge(REALM, "invalid_token", exc.reason)}) from None
        enforce_scopes(verified.principal, frozenset({READ_SCOPE}))
        client = verified.principal.client_id
        return Person(client, client, ("viewer",))
    _, session = await session_of(request)
    if session is None or not session.signed_in:
        raise NotAuthorizedException(detail="sign in to the console or send a bearer token",
                                     headers={"WWW-Authenticate": bearer_challenge(REALM)})
    return Person(session.username or "", session.name or "", tuple(session.roles))


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    return problem_response(request, slug="not-found", status=404, detail=str(exc))


class ConsoleApiController(Controller):
    """Pipeline, deals, exceptions, revenue, reconciliation, close, governance and service levels, as JSON."""

    path = "/"
    tags = ["console"]

    @get("/me", operation_id="getMeV1", summary="Who is calling, with their roles and the actions they may take")
    async def me(self, person: NamedDependency[Person]) -> MeV1:
        return MeV1(username=person.username, name=person.name, roles=list(person.roles),
                    may=sorted(a for a in ACTIONS if person.may(a)))

    @get("/pipeline", operation_id="getPipelineV1", summary="Deals by business status, with counts per status")
    async def pipeline(self, request: Request[Any, Any, Any], person: NamedDependency[Person],
                       business_status: FromQuery[BusinessStatus | None] = None,
                       owner: FromQuery[ExceptionOwner | None] = None,
                       customer: FromQuery[_Text] = None, q: FromQuery[_Text] = None,
                       cursor: FromQuery[Annotated[str | None, Parameter(pattern=r"^[0-9]{1,9}$")]] = None,
                       ) -> PipelineV1:
        return await console_of(request).pipeline(
            business_status=business_status.value if business_status else None,
            owner=owner.value if owner else None, customer=customer, q=q, cursor=cursor)

    @get("/deals/{opportunity_id:str}", operation_id="getDealTimelineV1",
         summary="One deal: each workflow's step timeline, ids per system, revenue contract and invoices")
    async def deal(self, opportunity_id: DealId, request: Request[Any, Any, Any],
                   person: NamedDependency[Person]) -> DealPageV1:
        return await console_of(request).deal(opportunity_id)

    @get("/deals/{opportunity_id:str}/status", operation_id="getDealStatusV1",
         summary="Where the deal's workflows stand (cheap to poll)")
    async def deal_status(self, opportunity_id: DealId, request: Request[Any, Any, Any],
                          person: NamedDependency[Person]) -> DealStatusV1:
        return await console_of(request).deal_status(opportunity_id)

    @get("/exceptions", operation_id="getExceptionQueueV1",
         summary="Workflows waiting for a person (age, SLA, fix) and dead letters")
    async def exceptions(self, request: Request[Any, Any, Any], person: NamedDependency[Person],
                         owner: FromQuery[ExceptionOwner | None] = None,
                         cursor: FromQuery[Annotated[str | None, Parameter(pattern=r"^[0-9]{1,9}$")]] = None,
                         assignee: FromQuery[Annotated[str | None, Parameter(
                             max_length=100, description="Only those assigned to this person")]] = None,
                         ) -> ExceptionQueueV1:
        return await console_of(request).exceptions(owner.value if owner else None, cursor, assignee)

    @get("/revenue", operation_id="getRevenueV1",
         summary="Bookings, billings, recognised and deferred revenue and ARR per period, with the roll-forward")
    async def revenue(self, request: Request[Any, Any, Any], person: NamedDependency[Person],
                      first: Annotated[str, QueryParameter(name="from", pattern=_PERIOD, max_length=7,
                                                           description="First accounting period YYYY-MM")],
                      last: Annotated[str, QueryParameter(name="to", pattern=_PERIOD, max_length=7,
                                                          description="Last accounting period YYYY-MM")]) -> RevenueV1:
        if first > last or len(list(periods_between(first, last))) > MAX_PERIODS:
            raise ServiceError(f"from..to must be an ordered range of at most {MAX_PERIODS} periods",
                               slug="validation")
        report = await console_of(request).revenue(first, last)
        if report is None:
            raise ServiceError("The process API does not offer metrics yet.", slug="upstream-unavailable")
        return report

    @get("/reconciliation", operation_id="getLatestReconciliationSummaryV1",
         summary="The latest finished reconciliation, per pair of systems, with the full report")
    async def reconciliation(self, request: Request[Any, Any, Any],
                             person: NamedDependency[Person]) -> ReconciliationV1:
        run = await console_of(request).reconciliation()
        if run is None:
            raise NotFoundError("No reconciliation has finished yet.")
        return run

    @get("/periods/{period:str}", operation_id="getPeriodCloseSummaryV1",
         summary="A period's close: checklist and status, with the latest reconciliation")
    async def period(self, request: Request[Any, Any, Any], person: NamedDependency[Person],
                     period: FromPath[Annotated[str, Parameter(pattern=_PERIOD, max_length=7)]]) -> CloseV1:
        return await console_of(request).close(period)

    @get("/system-of-record", operation_id="getSystemOfRecordMapV1",
         summary="Which system owns each canonical object (and field), its owning team and its followers")
    async def system_of_record(self, request: Request[Any, Any, Any],
                               person: NamedDependency[Person]) -> SystemOfRecordV1:
        return await console_of(request).system_of_record()

    @get("/catalogue", operation_id="getContractCatalogueV1",
         summary="Every API (service and major) and event type: owner, status, sunset, consumers seen, "
                 "deprecated-route callers")
    async def catalogue(self, request: Request[Any, Any, Any], person: NamedDependency[Person],
                        days: Days = DEFAULT_DAYS) -> CatalogueV1:
        return await console_of(request).catalogue(days)

    @get("/catalogue/apis/{name:str}", operation_id="getContractCatalogueApiV1",
         summary="One API of the catalogue with its changes between versions and its deprecated-route callers")
    async def catalogue_api(self, request: Request[Any, Any, Any], person: NamedDependency[Person],
                            name: FromPath[Annotated[str, Parameter(pattern=API_NAME, max_length=45,
                                                                    description="`service.vN`")]],
                            days: Days = DEFAULT_DAYS) -> CatalogueApiDetailV1:
        return await console_of(request).catalogue_api(name, days)

    @get("/slos", operation_id="getServiceLevelsV1",
         summary="Every SLO: target, events and burn rate per window (1h, 24h, 30d), error budget left, breach "
                 "and its open exception")
    async def slos(self, request: Request[Any, Any, Any], person: NamedDependency[Person]) -> SlosV1:
        return await console_of(request).slos()

    @get("/kpis", operation_id="getKpiReportV1",
         summary="One period's KPIs: failure rate, event latency, resolution time by owner, dead letters, days to "
                 "close, manual interventions, billing accuracy, revenue leakage")
    async def kpis(self, request: Request[Any, Any, Any], person: NamedDependency[Person],
                   period: FromQuery[Annotated[str | None, Parameter(
                       pattern=_PERIOD, max_length=7,
                       description="Accounting period YYYY-MM (this month when absent)")]] = None) -> KpisV1:
        return await console_of(request).kpis(period or datetime.now(UTC).strftime("%Y-%m"))


def api_router() -> Router:
    """``/v1``: checked by ``provide_person`` (session or token) instead of the runtime's token-only check."""
    return Router(path="/v1", route_handlers=[ConsoleApiController], security=[{"bearer": []}, {"session": []}],
                  dependencies={"person": Provide(provide_person)}, opt={EXCLUDE_OPT_KEY: True},
                  exception_handlers={NotFoundError: _not_found})
