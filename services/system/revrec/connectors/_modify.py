"""Contract modifications on stored contracts (pure): checks, the engine's treatment, and the period lock.

``prospective`` and ``cumulative_catch_up`` rewrite the obligation's schedule through the engine's
``modify_ratable`` (``modify_point_in_time`` for a point-in-time obligation: a price change only); the result
then passes ``lock`` so closed periods keep what they posted.
``separate_contract`` leaves the schedule alone and returns the terms of the new contract to register.
A usage obligation takes a new unit price (``prospective`` only): its usage from the effective date is repriced
from its measurements, like a new measurement would.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import msgspec

from contracts.money import Money
from contracts.revenue import PerformanceObligation, RecognitionPattern, RevenueContractStatus
from services.system.revrec import engine as eng
from services.system.revrec.connectors._book import engine_schedule, from_engine, lock, record_calendar
from services.system.revrec.connectors._convert import check_date, engine_convention
from services.system.revrec.connectors._measure import rescheduled
from services.system.revrec.connectors._store import ContractRecord, ObligationRecord
from services.system.revrec.errors import engine_problem, field_error
from services.system.revrec.schemas import (
    ModificationKindV1,
    ModificationRecordV1,
    ModificationV1,
    RegisterContractV1,
)

__all__ = ["apply_modification"]

_PRICE_LIMIT, _PRICE_STEP = Decimal(10) ** 15, Decimal(10) ** -12
"""A usage unit price's bounds: those of the terms a contract is registered with (``schemas.Decimal``)."""


def _target(record: ContractRecord, req: ModificationV1) -> tuple[int, ObligationRecord]:
    for i, o in enumerate(record.obligations):
        if o.obligation.id == req.obligation_id:
            pattern = o.obligation.pattern
            if pattern is RecognitionPattern.USAGE:
                _check_usage_change(req)
            elif req.unit_price_minor is not None:
                raise field_error("unit_price_minor", "only a usage obligation has a unit price", rule=True)
            elif pattern not in (RecognitionPattern.RATABLE, RecognitionPattern.POINT_IN_TIME):
                raise field_error("obligation_id", "only ratable, point-in-time and usage obligations can be "
                                                   "modified (progress and milestones follow their measurements)",
                                  rule=True)
            return i, o
    raise field_error("obligation_id", f"no obligation {req.obligation_id!r} in contract {record.id}", rule=True)


def _check_usage_change(req: ModificationV1) -> None:
    """A usage obligation's consideration is its usage: a modification changes its unit price, from a date."""
    if req.unit_price_minor is None:
        raise field_error("unit_price_minor", "a usage obligation is modified by a new unit price", rule=True)
    price = req.unit_price_minor
    if not price.is_finite() or price < 0 or price >= _PRICE_LIMIT or price != price.quantize(_PRICE_STEP):
        raise field_error("unit_price_minor", "must be an amount from 0 to 999999999999999 with at most 12 "
                                              "decimals, as a registered unit price is")
    if req.kind is not ModificationKindV1.PROSPECTIVE:
        raise field_error("kind", "a usage price applies to usage from effective_date on: the change is "
                                  "prospective", rule=True)
    if req.added_consideration.amount_minor != 0:
        raise field_error("added_consideration", "must be zero for a usage obligation (its consideration is what "
                                                 "is used, at unit_price_minor)", rule=True)
    if req.new_end_date is not None:
        raise field_error("new_end_date", "a usage obligation's term is not changed by a modification", rule=True)


def _check(record: ContractRecord, req: ModificationV1) -> None:
    if req.added_consideration.currency != record.currency:
        raise field_error("added_consideration.currency", f"must be the contract currency {record.currency}")
    check_date(req.effective_date, "effective_date")
    if req.new_end_date is not None:
        check_date(req.new_end_date, "new_end_date")
    if req.kind is ModificationKindV1.SEPARATE_CONTRACT and req.added_consideration.amount_minor <= 0:
        raise field_error("added_consideration", "a separate contract needs a positive consideration", rule=True)
    known = [eng.Modification(version=m.version, effective=m.effective_date, kind=eng.ModificationKind(m.kind.value),
                              obligation_id=m.obligation_id) for m in record.modifications]
    new = eng.Modification(version=record.version + 1, effective=req.effective_date,
                           kind=eng.ModificationKind(req.kind.value), obligation_id=req.obligation_id)
    try:
        eng.validate_modifications([*known, new])
    except eng.EngineError as exc:
        raise engine_problem(exc) from None


def _since(record: ContractRecord, oid: str) -> tuple[date, int] | None:
    """The obligation's latest change that rewrote its schedule, and its revenue before that change's date."""
    for m in reversed(record.modifications):
        if m.obligation_id == oid and m.kind is not ModificationKindV1.SEPARATE_CONTRACT:
            return (m.effective_date, m.recognised_before.amount_minor) if m.recognised_before else None
    return None


def _separate_terms(record: ContractRecord, o: PerformanceObligation, req: ModificationV1) -> RegisterContractV1:
    version = record.version + 1
    obligation = msgspec.structs.replace(
        o, id=f"{o.id}@v{version}", standalone_selling_price=req.added_consideration, start_date=req.effective_date,
        end_date=req.new_end_date or o.end_date, deal_line_ids=[], external_ids={})
    return RegisterContractV1(currency=record.currency, transaction_price=req.added_consideration,
                              obligations=[obligation], convention=record.convention, customer_id=record.customer_id,
                              opportunity_id=record.opportunity_id, booked_on=req.effective_date,
                              functional_currency=record.functional_currency, exchange_rates=record.exchange_rates)


def apply_modification(record: ContractRecord, req: ModificationV1, first_open: str | None,
                       ) -> tuple[ContractRecord, RegisterContractV1 | None]:
    """The next version of ``record`` and, for a separate contract, the terms of the contract to register."""
    _check(record, req)
    i, target = _target(record, req)
    o = target.obligation
    if o.pattern is RecognitionPattern.USAGE:
        return _reprice_usage(record, i, req, first_open), None
    cal = record_calendar(record)
    mod = eng.Modification(version=record.version + 1, effective=req.effective_date,
                           kind=eng.ModificationKind(req.kind.value), obligation_id=o.id,
                           added_consideration=req.added_consideration.amount_minor, new_end=req.new_end_date,
                           since=_since(record, o.id))
    original = engine_schedule(o.id, record.currency, target.lines, cal)
    convention = engine_convention(record.convention)
    try:
        if o.pattern is RecognitionPattern.POINT_IN_TIME:
            satisfied_on = o.satisfied_on or o.start_date
            assert satisfied_on is not None  # registration refuses a point-in-time obligation without either
            result = eng.modify_point_in_time(original=original, satisfied_on=satisfied_on,
                                              calendar=convention.calendar, modification=mod)
        else:
            assert o.start_date is not None and o.end_date is not None  # ratable obligations carry both
            result = eng.modify_ratable(original=original, start=o.start_date, end=o.end_date,
                                        convention=convention, modification=mod)
    except eng.EngineError as exc:
        raise engine_problem(exc, {"modification.effective": "effective_date", "end": "new_end_date",
                                   "modification.new_end": "new_end_date", "modification.kind": "kind"}) from None
    separate = _separate_terms(record, o, req) if req.kind is ModificationKindV1.SEPARATE_CONTRACT else None
    obligations = list(record.obligations)
    adjustment, price = 0, record.transaction_price
    if separate is None:
        revised = from_engine(result.schedules[0])
        if sum(x.amount for x in revised) < 0:
            raise field_error("added_consideration", "would leave the obligation with negative revenue", rule=True)
        lines, adjustment = lock(target.lines, revised, o.id, record.currency, first_open, cal)
        new_o = msgspec.structs.replace(o, end_date=req.new_end_date or o.end_date)
        obligations[i] = msgspec.structs.replace(target, obligation=new_o, lines=lines)
        price += req.added_consideration.amount_minor
    now = datetime.now(UTC)
    cur = record.currency
    entry = ModificationRecordV1(
        version=record.version + 1, kind=req.kind, obligation_id=o.id, effective_date=req.effective_date,
        added_consideration=req.added_consideration, new_end_date=req.new_end_date, reason=req.reason,
        catch_up=Money(amount_minor=result.catch_up, currency=cur),
        closed_period_adjustment=Money(amount_minor=adjustment, currency=cur),
        recognised_before=Money(amount_minor=result.recognised_before, currency=cur)
        if separate is None and o.pattern is RecognitionPattern.RATABLE else None, applied_at=now)
    updated = msgspec.structs.replace(record, version=record.version + 1, status=RevenueContractStatus.MODIFIED,
                                      transaction_price=price, obligations=obligations,
                                      modifications=[*record.modifications, entry], updated_at=now)
    return updated, separate



def _reprice_usage(record: ContractRecord, i: int, req: ModificationV1, first_open: str | None) -> ContractRecord:
    """Record the new unit price and reprice the usage dated from its effective date (earlier usage keeps its own)."""
    now, cur = datetime.now(UTC), record.currency
    entry = ModificationRecordV1(
        version=record.version + 1, kind=req.kind, obligation_id=req.obligation_id,
        effective_date=req.effective_date, added_consideration=req.added_consideration,
        unit_price_minor=req.unit_price_minor, reason=req.reason, catch_up=Money(amount_minor=0, currency=cur),
        closed_period_adjustment=Money(amount_minor=0, currency=cur), applied_at=now)
    with_entry = msgspec.structs.replace(record, modifications=[*record.modifications, entry])
    updated, adjustment = rescheduled(with_entry, i, first_open)
    entry = msgspec.structs.replace(entry, closed_period_adjustment=Money(amount_minor=adjustment, currency=cur))
    return msgspec.structs.replace(updated, status=RevenueContractStatus.MODIFIED,
                                   modifications=[*record.modifications, entry], updated_at=now)
