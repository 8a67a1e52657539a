"""Domain logic of the revrec API: the connector does the accounting, the service makes it accountable.

Every revenue-impacting write (register, modify, link a billing, add exchange rates, post or close a period)
is appended to the hash-chained audit log, and announced as a catalogue event where the catalogue has one. A
period's audit entry and event are keyed by its label (``FY2026-P01`` in a fiscal book, else ``2026-01``). The
service knows no platform: it depends on ``ports.RevrecConnector`` only, so the built-in engine and a vendor
platform are interchangeable.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from contracts.event_payloads import RevenueContractRegistered, RevenuePeriodClosed, RevenueScheduleUpdated
from contracts.events import build_event
from services.runtime.audit import AuditLog
from services.runtime.correlation import current_correlation_id
from services.runtime.events import EventBus
from services.system.revrec.ports import RevrecConnector
from services.system.revrec.schemas import (
    AllocationV1,
    BalancesV1,
    BillingLinkV1,
    CalendarViewV1,
    ContractTermsV1,
    ContractViewV1,
    ExchangeRatesV1,
    JournalPageV1,
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

__all__ = ["SOURCE", "RevrecService"]

SOURCE = "/services/system/revrec"


class RevrecService:
    """Contracts, schedules, periods, reports, previews and verifications of the revrec API."""

    def __init__(self, connector: RevrecConnector, bus: EventBus, audit: AuditLog) -> None:
        self.connector = connector
        self.bus = bus
        self.audit = audit

    async def register(self, data: RegisterContractV1, actor: str) -> ContractViewV1:
        view = await self.connector.register(data)
        await self._registered(view, actor)
        return view

    async def get(self, contract_id: str) -> ContractViewV1:
        return await self.connector.get(contract_id)

    async def allocation(self, contract_id: str) -> AllocationV1:
        return (await self.connector.get(contract_id)).allocation

    async def schedules(self, contract_id: str) -> list[ObligationScheduleV1]:
        return (await self.connector.get(contract_id)).schedules

    async def modify(self, contract_id: str, data: ModificationV1, actor: str) -> ContractViewV1:
        before = await self.connector.get(contract_id)
        view, separate = await self.connector.modify(contract_id, data)
        await self.audit.append(actor=actor, action="revrec.contract.modified", subject=contract_id,
                                before=msgspec.to_builtins(before), after=msgspec.to_builtins(view),
                                correlation_id=current_correlation_id())
        if separate is not None:
            await self._registered(separate, actor)
        else:
            await self.bus.publish(build_event(RevenueScheduleUpdated(
                contract_id=contract_id, contract_version=view.contract.version, schedule=view.contract.schedule,
                reason=data.reason or f"{data.kind.value} modification effective {data.effective_date}"),
                subject=contract_id, correlationid=current_correlation_id()))
        return view

    async def link_billing(self, contract_id: str, data: BillingLinkV1, actor: str) -> ContractViewV1:
        before = await self.connector.get(contract_id)
        view = await self.connector.link_billing(contract_id, data)
        if view.contract.version != before.contract.version:
            await self.audit.append(actor=actor, action=f"revrec.{data.kind.value}.linked", subject=contract_id,
                                    before=msgspec.to_builtins(before.billings),
                                    after=msgspec.to_builtins(view.billings), correlation_id=current_correlation_id())
        return view

    async def measure(self, contract_id: str, obligation_id: str, data: MeasurementV1, actor: str) -> ContractViewV1:
        before = await self.connector.get(contract_id)
        view = await self.connector.measure(contract_id, obligation_id, data)
        await self.audit.append(actor=actor, action=f"revrec.{data.kind.value}.measured", subject=contract_id,
                                before=msgspec.to_builtins(before.schedules), after=msgspec.to_builtins(view.schedules),
                                correlation_id=current_correlation_id())
        await self.bus.publish(build_event(RevenueScheduleUpdated(
            contract_id=contract_id, contract_version=view.contract.version, schedule=view.contract.schedule,
            reason=f"{data.kind.value} of {obligation_id} on {data.on}"),
            subject=contract_id, correlationid=current_correlation_id()))
        return view

    async def add_exchange_rates(self, contract_id: str, data: ExchangeRatesV1, actor: str) -> ContractViewV1:
        before = await self.connector.get(contract_id)
        view = await self.connector.add_exchange_rates(contract_id, data)
        if view.contract.version != before.contract.version:
            await self.audit.append(actor=actor, action="revrec.exchange_rates.added", subject=contract_id,
                                    before=msgspec.to_builtins(before.exchange_rates),
                                    after=msgspec.to_builtins(view.exchange_rates),
                                    correlation_id=current_correlation_id())
        return view

    async def run_period(self, period: str, actor: str, field: str = "period") -> PostingV1:
        posting = await self.connector.run_period(period, field)
        await self.audit.append(actor=actor, action="revrec.period.recognized",
                                subject=posting.fiscal_period or posting.accounting_period, before=None,
                                after=msgspec.to_builtins(posting), correlation_id=current_correlation_id())
        return posting

    async def close_period(self, period: str, actor: str, field: str = "period") -> PeriodCloseV1:
        closure = await self.connector.close_period(period, field)
        subject = closure.fiscal_period or closure.accounting_period
        await self.audit.append(actor=actor, action="revrec.period.closed", subject=subject, before=None,
                                after=msgspec.to_builtins(closure), correlation_id=current_correlation_id())
        await self.bus.publish(build_event(RevenuePeriodClosed(
            accounting_period=closure.accounting_period, closed_at=closure.closed_at, recognized=closure.recognized,
            deferred_balance=closure.deferred_balance, journal_entry_ids=closure.journal_entry_ids),
            subject=subject, correlationid=current_correlation_id()))
        return closure

    async def journal_entries(self, period: str, functional: bool = False, field: str = "period",
                              erp: bool = False) -> JournalPageV1:
        return await self.connector.journal_entries(period, functional, field, erp)

    async def waterfall(self, contract_id: str, after: str | None, field: str = "after_period") -> WaterfallV1:
        return await self.connector.waterfall(contract_id, after, field)

    async def roll_forward(self, contract_id: str) -> RollForwardV1:
        return await self.connector.roll_forward(contract_id)

    async def balances(self, contract_id: str, as_of: str, field: str = "as_of") -> BalancesV1:
        return await self.connector.balances(contract_id, as_of, field)

    async def calendar(self, year: int | None) -> CalendarViewV1:
        return await self.connector.calendar_view(year)

    def preview_allocation(self, data: ContractTermsV1) -> AllocationV1:
        return self.connector.preview_allocation(data)

    def preview_schedule(self, data: ContractTermsV1) -> SchedulePreviewV1:
        return self.connector.preview_schedule(data)

    def verify(self, data: VerificationRequestV1) -> VerificationV1:
        return self.connector.verify(data)

    async def _registered(self, view: ContractViewV1, actor: str) -> None:
        subject = view.contract.id or ""
        await self.audit.append(actor=actor, action="revrec.contract.registered", subject=subject, before=None,
                                after=msgspec.to_builtins(view), correlation_id=current_correlation_id())
        await self.bus.publish(build_event(RevenueContractRegistered(contract=view.contract), subject=subject,
                                           correlationid=current_correlation_id(),
                                           time=datetime.now(UTC)))
