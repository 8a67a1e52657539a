"""Wire views of stored contracts and engine results: contract, reports and verifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import msgspec

from contracts.money import Money
from contracts.revenue import Allocation, RevenueContract, ScheduleLine, ScheduleLineStatus
from services.system.revrec import engine as eng
from services.system.revrec.connectors._book import balances, billing_events, horizon, record_calendar, schedules_of
from services.system.revrec.connectors._calendar import Calendar
from services.system.revrec.connectors._convert import obligation_schedule
from services.system.revrec.connectors._fx import ledger_through
from services.system.revrec.connectors._store import ContractRecord, ObligationRecord
from services.system.revrec.schemas import (
    AllocationLineV1,
    AllocationV1,
    BalancesV1,
    CauseV1,
    ContractViewV1,
    FunctionalBalancesV1,
    LineStatusV1,
    ObligationVerificationV1,
    RollForwardRowV1,
    RollForwardV1,
    VerificationLineV1,
    WaterfallRowV1,
    WaterfallV1,
)

__all__ = ["balances_view", "canonical_contract", "contract_view", "roll_forward_view", "verification_view",
           "waterfall_view"]


def canonical_contract(record: ContractRecord, closed_through: str | None) -> RevenueContract:
    """The canonical ``RevenueContract``: allocations are the current obligation totals (they sum to the price)."""
    cur = record.currency
    cal = record_calendar(record)
    schedule = []
    for o in record.obligations:
        for x in o.lines:
            period = cal.period(x.period)
            closed = closed_through is not None and x.period <= closed_through
            schedule.append(ScheduleLine(
                obligation_id=o.obligation.id, period_start=period.start, period_end=period.end - timedelta(days=1),
                amount=Money(amount_minor=x.amount, currency=cur), accounting_period=cal.wire(x.period),
                status=ScheduleLineStatus.RECOGNIZED if closed else ScheduleLineStatus.SCHEDULED,
                id=f"{record.id}:{o.obligation.id}:{x.period}:{x.kind}"))
    allocations = [Allocation(obligation_id=o.obligation.id, method=o.allocation.method,
                              amount=Money(amount_minor=_allocated_now(o), currency=cur))
                   for o in record.obligations]
    return RevenueContract(id=record.id, customer_id=record.customer_id, opportunity_id=record.opportunity_id,
                           currency=cur, transaction_price=Money(amount_minor=record.transaction_price, currency=cur),
                           obligations=[o.obligation for o in record.obligations], allocations=allocations,
                           schedule=schedule, status=record.status, version=record.version, booked_on=record.booked_on)


def _allocated_now(o: ObligationRecord) -> int:
    """What the obligation holds of the price now.

    A measured one (usage, progress) holds what was measured; any other the sum of its schedule (a modification
    re-spreads it).
    """
    return o.allocated if o.allocated is not None else sum(x.amount for x in o.lines)


def _allocation_line_now(o: ObligationRecord) -> AllocationLineV1:
    """The obligation's allocation line as it stands.

    The registration's line, with the amount the obligation holds now (usage billed, a modification), so that the
    lines keep summing to the contract's current transaction price.
    """
    now = _allocated_now(o)
    if now == o.allocation.amount.amount_minor:
        return o.allocation
    return msgspec.structs.replace(o.allocation, amount=Money(amount_minor=now, currency=o.allocation.amount.currency),
                                   exact_share=str(now))


def contract_view(record: ContractRecord, closed_through: str | None) -> ContractViewV1:
    cur = record.currency
    allocation = AllocationV1(contract_id=record.id, version=record.version,
                              transaction_price=Money(amount_minor=record.transaction_price, currency=cur),
                              lines=[_allocation_line_now(o) for o in record.obligations],
                              variable_consideration=None if record.variable_included is None
                              else Money(amount_minor=record.variable_included, currency=cur))
    cal = record_calendar(record)
    schedules = [obligation_schedule(o.obligation.id, [(x.period, x.amount, x.kind) for x in o.lines], cur,
                                     closed_through, cal) for o in record.obligations]
    return ContractViewV1(contract=canonical_contract(record, closed_through), convention=record.convention,
                          allocation=allocation, schedules=schedules, modifications=record.modifications,
                          billings=record.billings, related_contract_ids=record.related,
                          measurements=record.measurements, obligation_terms=record.obligation_terms,
                          functional_currency=record.functional_currency, exchange_rates=record.exchange_rates,
                          variable_consideration=record.variable_consideration)


def _money(amounts: Sequence[int], currency: str) -> list[Money]:
    return [Money(amount_minor=a, currency=currency) for a in amounts]


def waterfall_view(record: ContractRecord, after: str | None) -> WaterfallV1:
    """Revenue after the period ``after`` (an internal key), by obligation and period."""
    cal = record_calendar(record)
    result = eng.waterfall(schedules_of(record), after_period=after or "0000-00")
    rows = [WaterfallRowV1(obligation_id=r.obligation_id, amounts=_money(r.amounts, r.currency)) for r in result.rows]
    totals = result.totals().get(record.currency, (0,) * len(result.periods))
    return WaterfallV1(contract_id=record.id, after_period=cal.wire(after) if after else None,
                       after_fiscal_period=cal.label(after) if after else None,
                       periods=[cal.wire(k) for k in result.periods], rows=rows,
                       totals=_money(totals, record.currency),
                       fiscal_periods=list(result.periods) if cal.fiscal else [])


def roll_forward_view(record: ContractRecord) -> RollForwardV1:
    cur = record.currency

    def m(amount: int) -> Money:
        return Money(amount_minor=amount, currency=cur)

    cal = record_calendar(record)
    rows = [RollForwardRowV1(accounting_period=cal.wire(b.period), fiscal_period=cal.label(b.period),
                             opening_deferred=m(b.opening_liability), billed=m(b.billed),
                             credited=m(b.credited), recognized=m(b.recognised), reclassified=m(b.reclassified),
                             closing_deferred=m(b.closing_liability), contract_asset=m(b.contract_asset),
                             receivable=m(b.receivable)) for b in balances(record)]
    return RollForwardV1(contract_id=record.id, rows=rows)


def balances_view(record: ContractRecord, as_of: str) -> BalancesV1:
    """Balances at the end of the period ``as_of`` (an internal key)."""
    cal = record_calendar(record)
    rows = [b for b in balances(record) if b.period <= as_of]
    last = rows[-1] if rows else None
    liability = last.closing_liability if last else 0
    current, non_current = eng.current_split(liability=liability, schedules=schedules_of(record), after_period=as_of,
                                             horizon_keys=horizon(as_of, cal))
    cur = record.currency
    return BalancesV1(contract_id=record.id, as_of=cal.wire(as_of), as_of_fiscal_period=cal.label(as_of),
                      receivable=Money(amount_minor=last.receivable if last else 0, currency=cur),
                      contract_asset=Money(amount_minor=last.contract_asset if last else 0, currency=cur),
                      contract_liability=Money(amount_minor=liability, currency=cur),
                      current_liability=Money(amount_minor=current, currency=cur),
                      non_current_liability=Money(amount_minor=non_current, currency=cur),
                      functional=_functional(record, as_of))


def _functional(record: ContractRecord, as_of: str) -> FunctionalBalancesV1 | None:
    if record.functional_currency is None:
        return None
    ledger = ledger_through(record, billing_events(record), as_of)
    fc = ledger.currency

    def m(amount: int) -> Money:
        return Money(amount_minor=amount, currency=fc)

    return FunctionalBalancesV1(currency=fc, receivable=m(ledger.receivable[1]),
                                contract_asset=m(ledger.contract_asset[1]), contract_liability=m(ledger.deferred[1]),
                                revenue_to_date=m(ledger.revenue), fx_gain_loss_to_date=m(ledger.fx_gain))


def verification_view(result: eng.VerifyResult, vendor: dict[str, int], currency: str, cal: Calendar,
                      ) -> ObligationVerificationV1:
    """Every period (internal keys) the vendor or the engine has, with the engine's figure and the difference."""
    differences = {d.period: d for d in result.differences}
    lines = []
    for key in sorted(set(vendor) | set(differences)):
        engine = differences[key].engine if key in differences else vendor[key]
        theirs = vendor.get(key, 0)
        lines.append(VerificationLineV1(
            accounting_period=cal.wire(key), fiscal_period=cal.label(key),
            vendor=Money(amount_minor=theirs, currency=currency),
            engine=Money(amount_minor=engine, currency=currency),
            difference=Money(amount_minor=theirs - engine, currency=currency),
            status=LineStatusV1.DIFFERENCE if key in differences else LineStatusV1.MATCH))
    matched = result.cause is eng.Cause.MATCH
    return ObligationVerificationV1(obligation_id=result.obligation_id,
                                    status=LineStatusV1.MATCH if matched else LineStatusV1.DIFFERENCE,
                                    cause=CauseV1(result.cause.value), explained_by=result.explained_by or None,
                                    lines=lines)
