"""Routes of the revrec system API (v1): thin — parse, call the service, return a contract.

Writes need ``revrec:write`` and an ``Idempotency-Key``; reads, previews and verifications need
``revrec:read`` and touch no state (previews and verifications run with idempotency off, so not even an
idempotency record is written for them).

Periods are named ``YYYY-MM`` under ``/periods`` (in a fiscal book: the fiscal year and period number) and by
their fiscal label under ``/fiscal-periods`` (``FY2026-P01``); ``GET /calendar`` states the book's calendar.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from services.runtime.app import links_to
from services.runtime.auth.guards import requires
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.system.revrec.errors import field_error
from services.system.revrec.schemas import (
    FISCAL_PERIOD_PATTERN,
    AllocationV1,
    BalancesV1,
    BillingLinkV1,
    CalendarViewV1,
    ContractTermsV1,
    ContractViewV1,
    ExchangeRatesV1,
    JournalBasisV1,
    JournalPageV1,
    JournalTargetV1,
    MeasurementV1,
    ModificationV1,
    ObligationScheduleV1,
    PeriodCloseV1,
    PostingV1,
    RegisterContractV1,
    RollForwardV1,
    SchedulePreviewV1,
    VerificationRequestV1,
    VerificationV1,
    WaterfallV1,
)
from services.system.revrec.service import RevrecService

__all__ = ["CalendarController", "ContractController", "FiscalPeriodController", "PeriodController",
           "PreviewController", "VerificationController"]

ContractId = FromPath[Annotated[str, Parameter(pattern=r"^rc_[0-9a-f]{20}$", max_length=23,
                                               description="Revenue contract id")]]
ObligationId = FromPath[Annotated[str, Parameter(min_length=1, max_length=255, description="Obligation id")]]
PERIOD_PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"
"""An accounting period ``YYYY-MM`` from 1900-01 to 2199-12 (the dates the API accepts)."""
PeriodKey = FromPath[Annotated[str, Parameter(pattern=PERIOD_PATTERN, max_length=7,
                                              description="Accounting period YYYY-MM")]]
FiscalPeriodKey = FromPath[Annotated[str, Parameter(pattern=FISCAL_PERIOD_PATTERN, max_length=10,
                                                    description="Fiscal period FY<year>-P<01-12>")]]
_FISCAL_QUERY = {"pattern": FISCAL_PERIOD_PATTERN, "max_length": 10}
Basis = FromQuery[Annotated[JournalBasisV1, Parameter(
    description="transaction: each contract's own currency; functional: its functional currency, with FX "
                "remeasurement")]]
Target = FromQuery[Annotated[JournalTargetV1, Parameter(
    description="book: every entry of the subledger; erp: what the GL still needs when the ERP posts invoices, "
                "credit memos and payments itself (recognition and the contract-asset share of billings)")]]
_READ, _WRITE = [requires("revrec:read")], [requires("revrec:write")]
_IDEMPOTENT = {IDEMPOTENCY_OPT: "required"}
_CONTRACT_ID = "$response.body#/contract/id"
"""Where a contract's id is in a ``ContractViewV1`` (the value OpenAPI links pass on)."""
_STATELESS = {IDEMPOTENCY_OPT: "off"}


def provide_service(request: Request[Any, Any, Any]) -> RevrecService:
    state = request.app.state
    return RevrecService(state.revrec_connector, state.event_bus, state.audit_log)


_SERVICE = {"service": Provide(provide_service, sync_to_thread=False)}


def _period_param(value: str | None, fiscal: str | None, names: tuple[str, str], *,
                  required: bool) -> tuple[str | None, str]:
    """The period a request named by one of two query parameters (``YYYY-MM`` or a fiscal label), and which."""
    if value is not None and fiscal is not None:
        raise field_error(names[1], f"give {names[0]} or {names[1]}, not both", source="query")
    if required and value is None and fiscal is None:
        raise field_error(names[0], f"give {names[0]} (YYYY-MM) or {names[1]} (FY<year>-P<nn>)", source="query")
    return (fiscal, names[1]) if fiscal is not None else (value, names[0])


class ContractController(Controller):
    path = "/contracts"
    tags = ["contracts"]
    dependencies = _SERVICE

    @post("/", operation_id="registerContractV1", guards=_WRITE,
          opt={**_IDEMPOTENT, **links_to("getContractV1", "modifyContractV1", contract_id=_CONTRACT_ID)},
          summary="Register a contract: allocate the price and schedule every obligation")
    async def register(self, data: JSONBody[RegisterContractV1], service: NamedDependency[RevrecService],
                       request: Request[Any, Any, Any]) -> ContractViewV1:
        return await service.register(data, actor=request.user.client_id)

    @get("/{contract_id:str}", operation_id="getContractV1", guards=_READ,
         opt=links_to("modifyContractV1", contract_id=_CONTRACT_ID))
    async def read(self, contract_id: ContractId, service: NamedDependency[RevrecService]) -> ContractViewV1:
        return await service.get(contract_id)

    @get("/{contract_id:str}/allocation", operation_id="getContractAllocationV1", guards=_READ)
    async def allocation(self, contract_id: ContractId, service: NamedDependency[RevrecService]) -> AllocationV1:
        return await service.allocation(contract_id)

    @get("/{contract_id:str}/schedules", operation_id="listContractSchedulesV1", guards=_READ)
    async def schedules(self, contract_id: ContractId,
                        service: NamedDependency[RevrecService]) -> list[ObligationScheduleV1]:
        return await service.schedules(contract_id)

    @post("/{contract_id:str}/modifications", operation_id="modifyContractV1", guards=_WRITE, opt=_IDEMPOTENT,
          summary="Apply a modification (separate contract, prospective or cumulative catch-up)")
    async def modify(self, contract_id: ContractId, data: JSONBody[ModificationV1],
                     service: NamedDependency[RevrecService], request: Request[Any, Any, Any]) -> ContractViewV1:
        return await service.modify(contract_id, data, actor=request.user.client_id)

    @post("/{contract_id:str}/billings", operation_id="linkBillingV1", guards=_WRITE, opt=_IDEMPOTENT,
          summary="Link an invoice, credit note or payment to the contract")
    async def link_billing(self, contract_id: ContractId, data: JSONBody[BillingLinkV1],
                           service: NamedDependency[RevrecService], request: Request[Any, Any, Any],
                           ) -> ContractViewV1:
        return await service.link_billing(contract_id, data, actor=request.user.client_id)

    @post("/{contract_id:str}/obligations/{obligation_id:str}/measurements", operation_id="measureObligationV1",
          guards=_WRITE, opt=_IDEMPOTENT,
          summary="Report usage, progress or a milestone (or re-estimate the allocation) of a measured obligation")
    async def measure(self, contract_id: ContractId, obligation_id: ObligationId, data: JSONBody[MeasurementV1],
                      service: NamedDependency[RevrecService], request: Request[Any, Any, Any]) -> ContractViewV1:
        return await service.measure(contract_id, obligation_id, data, actor=request.user.client_id)

    @post("/{contract_id:str}/exchange-rates", operation_id="addExchangeRatesV1", guards=_WRITE, opt=_IDEMPOTENT,
          summary="Add later spot or closing rates to a foreign-currency contract (in date order; a repeat is a no-op)")
    async def add_exchange_rates(self, contract_id: ContractId, data: JSONBody[ExchangeRatesV1],
                                 service: NamedDependency[RevrecService], request: Request[Any, Any, Any],
                                 ) -> ContractViewV1:
        return await service.add_exchange_rates(contract_id, data, actor=request.user.client_id)

    @get("/{contract_id:str}/waterfall", operation_id="getContractWaterfallV1", guards=_READ)
    async def waterfall(self, contract_id: ContractId, service: NamedDependency[RevrecService],
                        after_period: FromQuery[Annotated[str | None, Parameter(
                            pattern=PERIOD_PATTERN, description="Only periods after this one")]] = None,
                        after_fiscal_period: FromQuery[Annotated[str | None, Parameter(
                            **_FISCAL_QUERY, description="Only periods after this fiscal period")]] = None,
                        ) -> WaterfallV1:
        after, field = _period_param(after_period, after_fiscal_period, ("after_period", "after_fiscal_period"),
                                     required=False)
        return await service.waterfall(contract_id, after, field)

    @get("/{contract_id:str}/roll-forward", operation_id="getContractRollForwardV1", guards=_READ)
    async def roll_forward(self, contract_id: ContractId, service: NamedDependency[RevrecService]) -> RollForwardV1:
        return await service.roll_forward(contract_id)

    @get("/{contract_id:str}/balances", operation_id="getContractBalancesV1", guards=_READ)
    async def balances(self, contract_id: ContractId, service: NamedDependency[RevrecService],
                       as_of: FromQuery[Annotated[str | None, Parameter(
                           pattern=PERIOD_PATTERN, description="Reporting period YYYY-MM (or as_of_fiscal_period)")]]
                       = None,
                       as_of_fiscal_period: FromQuery[Annotated[str | None, Parameter(
                           **_FISCAL_QUERY, description="Reporting fiscal period FY<year>-P<nn> (or as_of)")]] = None,
                       ) -> BalancesV1:
        period, field = _period_param(as_of, as_of_fiscal_period, ("as_of", "as_of_fiscal_period"), required=True)
        assert period is not None
        return await service.balances(contract_id, period, field)


class PeriodController(Controller):
    path = "/periods"
    tags = ["periods"]
    dependencies = _SERVICE

    @post("/{period:str}/recognition-runs", operation_id="runRecognitionV1", guards=_WRITE, opt=_IDEMPOTENT,
          status_code=200, summary="Recognise the period's revenue over the book (a repeat returns the same posting)")
    async def run(self, period: PeriodKey, service: NamedDependency[RevrecService],
                  request: Request[Any, Any, Any]) -> PostingV1:
        return await service.run_period(period, actor=request.user.client_id)

    @post("/{period:str}/close", operation_id="closePeriodV1", guards=_WRITE, opt=_IDEMPOTENT, status_code=200,
          summary="Close the period (and every earlier one): later changes land in the first open period")
    async def close(self, period: PeriodKey, service: NamedDependency[RevrecService],
                    request: Request[Any, Any, Any]) -> PeriodCloseV1:
        return await service.close_period(period, actor=request.user.client_id)

    @get("/{period:str}/journal-entries", operation_id="listJournalEntriesV1", guards=_READ)
    async def journal_entries(self, period: PeriodKey, service: NamedDependency[RevrecService],
                              basis: Basis = JournalBasisV1.TRANSACTION,
                              target: Target = JournalTargetV1.BOOK) -> JournalPageV1:
        return await service.journal_entries(period, basis is JournalBasisV1.FUNCTIONAL,
                                             erp=target is JournalTargetV1.ERP)


class FiscalPeriodController(Controller):
    """The period routes by fiscal label, for a book kept on a fiscal calendar (422 in a calendar-month book)."""

    path = "/fiscal-periods"
    tags = ["periods"]
    dependencies = _SERVICE

    @post("/{fiscal_period:str}/recognition-runs", operation_id="runFiscalRecognitionV1", guards=_WRITE,
          opt=_IDEMPOTENT, status_code=200, summary="Recognise a fiscal period's revenue over the book")
    async def run(self, fiscal_period: FiscalPeriodKey, service: NamedDependency[RevrecService],
                  request: Request[Any, Any, Any]) -> PostingV1:
        return await service.run_period(fiscal_period, actor=request.user.client_id, field="fiscal_period")

    @post("/{fiscal_period:str}/close", operation_id="closeFiscalPeriodV1", guards=_WRITE, opt=_IDEMPOTENT,
          status_code=200, summary="Close the fiscal period (and every earlier one)")
    async def close(self, fiscal_period: FiscalPeriodKey, service: NamedDependency[RevrecService],
                    request: Request[Any, Any, Any]) -> PeriodCloseV1:
        return await service.close_period(fiscal_period, actor=request.user.client_id, field="fiscal_period")

    @get("/{fiscal_period:str}/journal-entries", operation_id="listFiscalJournalEntriesV1", guards=_READ)
    async def journal_entries(self, fiscal_period: FiscalPeriodKey, service: NamedDependency[RevrecService],
                              basis: Basis = JournalBasisV1.TRANSACTION,
                              target: Target = JournalTargetV1.BOOK) -> JournalPageV1:
        return await service.journal_entries(fiscal_period, basis is JournalBasisV1.FUNCTIONAL, field="fiscal_period",
                                             erp=target is JournalTargetV1.ERP)


class CalendarController(Controller):
    path = "/calendar"
    tags = ["periods"]
    dependencies = _SERVICE

    @get("/", operation_id="getCalendarV1", guards=_READ,
         summary="The book's period calendar, and the periods of one (fiscal) year")
    async def read(self, service: NamedDependency[RevrecService],
                   year: FromQuery[Annotated[int | None, Parameter(
                       ge=1900, le=2199, description="List this (fiscal) year's periods")]] = None,
                   ) -> CalendarViewV1:
        return await service.calendar(year)


class PreviewController(Controller):
    path = "/previews"
    tags = ["previews"]
    dependencies = _SERVICE

    @post("/allocation", operation_id="previewAllocationV1", guards=_READ, opt=_STATELESS, status_code=200,
          summary="Allocate a transaction price from the request alone (stores nothing)")
    async def allocation(self, data: JSONBody[ContractTermsV1], service: NamedDependency[RevrecService],
                         ) -> AllocationV1:
        return service.preview_allocation(data)

    @post("/schedule", operation_id="previewScheduleV1", guards=_READ, opt=_STATELESS, status_code=200,
          summary="Allocate and schedule from the request alone (stores nothing)")
    async def schedule(self, data: JSONBody[ContractTermsV1], service: NamedDependency[RevrecService],
                       ) -> SchedulePreviewV1:
        return service.preview_schedule(data)


class VerificationController(Controller):
    path = "/verifications"
    tags = ["verifications"]
    dependencies = _SERVICE

    @post("/", operation_id="verifyScheduleV1", guards=_READ, opt=_STATELESS, status_code=200,
          summary="Recompute a vendor schedule under its claimed convention and explain every difference")
    async def verify(self, data: JSONBody[VerificationRequestV1],
                     service: NamedDependency[RevrecService]) -> VerificationV1:
        return service.verify(data)
