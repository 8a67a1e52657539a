"""Measured obligations (usage, progress by input or output, milestones) on stored contracts (pure).

A measurement is appended to the contract; the obligation's schedule is then recomputed by the engine from
*all* its measurements (``usage_schedule``, ``progress_schedule``, ``milestone_schedule``), so a changed
estimate of total work or a re-estimated allocation lands as a cumulative catch-up in the period it is
made. The result passes ``lock``: a measurement dated in a closed period posts in the first open one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import msgspec

from contracts.revenue import RecognitionPattern
from services.system.revrec import engine as eng
from services.system.revrec.connectors._book import from_engine, lock, record_calendar
from services.system.revrec.connectors._convert import check_date, engine_convention
from services.system.revrec.connectors._store import ContractRecord, ObligationRecord
from services.system.revrec.errors import RevrecConflict, engine_problem, field_error
from services.system.revrec.schemas import MeasurementKindV1, MeasurementRecordV1, MeasurementV1, ObligationTermsV1

__all__ = ["apply_measurement", "rescheduled", "usage_price_changes"]

_PROGRESS = (RecognitionPattern.PROGRESS_INPUT, RecognitionPattern.PROGRESS_OUTPUT)
_KINDS = {
    RecognitionPattern.USAGE: {MeasurementKindV1.USAGE},
    RecognitionPattern.PROGRESS_INPUT: {MeasurementKindV1.PROGRESS, MeasurementKindV1.REESTIMATE},
    RecognitionPattern.PROGRESS_OUTPUT: {MeasurementKindV1.PROGRESS, MeasurementKindV1.REESTIMATE},
    RecognitionPattern.MILESTONE: {MeasurementKindV1.MILESTONE, MeasurementKindV1.REESTIMATE},
}
_NEEDS = {
    MeasurementKindV1.USAGE: ("quantity",),
    MeasurementKindV1.PROGRESS: ("done", "expected_total"),
    MeasurementKindV1.MILESTONE: ("milestone_id",),
    MeasurementKindV1.REESTIMATE: ("allocation",),
}


def _target(record: ContractRecord, oid: str) -> tuple[int, ObligationRecord]:
    for i, o in enumerate(record.obligations):
        if o.obligation.id == oid:
            return i, o
    raise field_error("obligation_id", f"no obligation {oid!r} in contract {record.id}", rule=True)


def _check(record: ContractRecord, o: ObligationRecord, req: MeasurementV1) -> None:
    pattern = o.obligation.pattern
    if req.kind not in _KINDS.get(pattern, set()):
        raise field_error("kind", f"a {pattern.value} obligation takes no {req.kind.value} measurement", rule=True)
    for name in _NEEDS[req.kind]:
        if getattr(req, name) is None:
            raise field_error(name, f"a {req.kind.value} measurement needs {name}")
    check_date(req.on, "on")
    if record.exchange_rates and req.on < record.exchange_rates[0].on:
        raise field_error("on", f"is before the first exchange rate ({record.exchange_rates[0].on})", rule=True)
    if req.allocation is not None:
        if req.allocation.currency != record.currency:
            raise field_error("allocation.currency", f"must be the contract currency {record.currency}")
        if req.allocation.amount_minor < 0:
            raise field_error("allocation", "must not be negative")


def _record(oid: str, req: MeasurementV1) -> MeasurementRecordV1:
    return MeasurementRecordV1(obligation_id=oid, kind=req.kind, on=req.on, quantity=req.quantity, done=req.done,
                               expected_total=req.expected_total, milestone_id=req.milestone_id,
                               allocation=req.allocation, recorded_at=datetime.now(UTC))


def _by_date(measurements: list[MeasurementRecordV1]) -> list[MeasurementRecordV1]:
    return sorted(measurements, key=lambda m: m.on)  # stable: same-day reports keep their order


def _progress(o: ObligationRecord, ms: list[MeasurementRecordV1], currency: str, conv: eng.Convention,
              ) -> eng.Schedule:
    measures: list[eng.ProgressMeasure] = []
    done, expected = Fraction(0), Fraction(1)
    for m in _by_date(ms):
        if m.kind is MeasurementKindV1.PROGRESS:
            assert m.done is not None and m.expected_total is not None
            done, expected = Fraction(m.done), Fraction(m.expected_total)
        allocated = m.allocation.amount_minor if m.allocation is not None else None
        measures.append(eng.ProgressMeasure(on=m.on, done=done, expected_total=expected, allocated=allocated))
    return eng.progress_schedule(obligation_id=o.obligation.id, allocated=o.allocation.amount.amount_minor,
                                 currency=currency, measures=measures, calendar=conv.calendar, unit=conv.unit,
                                 mode=conv.rounding)


def _milestones(o: ObligationRecord, terms: ObligationTermsV1, ms: list[MeasurementRecordV1], currency: str,
                conv: eng.Convention) -> eng.Schedule:
    reached: dict[str, date] = {}
    for m in _by_date(ms):
        if m.kind is MeasurementKindV1.MILESTONE:
            assert m.milestone_id is not None
            reached.setdefault(m.milestone_id, m.on)
    milestones = [eng.Milestone(id=t.id, weight=Fraction(t.weight), reached=reached.get(t.id))
                  for t in terms.milestones]
    reestimates = [eng.Reestimate(on=m.on, allocated=m.allocation.amount_minor)
                   for m in _by_date(ms) if m.kind is MeasurementKindV1.REESTIMATE and m.allocation is not None]
    return eng.milestone_schedule(obligation_id=o.obligation.id, allocated=o.allocation.amount.amount_minor,
                                  currency=currency, milestones=milestones, calendar=conv.calendar,
                                  reestimates=reestimates, unit=conv.unit, mode=conv.rounding)


def _current_allocation(o: ObligationRecord, ms: list[MeasurementRecordV1], schedule: eng.Schedule) -> int:
    if o.obligation.pattern is RecognitionPattern.USAGE:
        return schedule.total
    allocated = o.allocation.amount.amount_minor
    for m in _by_date(ms):
        if m.allocation is not None:
            allocated = m.allocation.amount_minor
    return allocated


def usage_price_changes(record: ContractRecord, oid: str) -> list[tuple[date, Fraction]]:
    """The unit prices modifications gave usage obligation ``oid``: (effective date, price), oldest first."""
    return [(m.effective_date, Fraction(m.unit_price_minor)) for m in record.modifications
            if m.obligation_id == oid and m.unit_price_minor is not None]


def _price_on(changes: list[tuple[date, Fraction]], on: date) -> Fraction | None:
    """The price of the latest change effective on or before ``on`` (``None``: the registered price)."""
    price = None
    for effective, changed in changes:
        if effective <= on:
            price = changed
    return price


def _schedule(record: ContractRecord, o: ObligationRecord, ms: list[MeasurementRecordV1]) -> eng.Schedule:
    conv = engine_convention(record.convention)
    terms = next((t for t in record.obligation_terms if t.obligation_id == o.obligation.id), None)
    oid, pattern = o.obligation.id, o.obligation.pattern
    if pattern is RecognitionPattern.USAGE:
        assert terms is not None and terms.unit_price_minor is not None
        changes = usage_price_changes(record, oid)
        usage = [eng.UsageRecord(on=m.on, quantity=Fraction(m.quantity or 0), unit_price=_price_on(changes, m.on))
                 for m in _by_date(ms)]
        return eng.usage_schedule(obligation_id=oid, unit_price=Fraction(terms.unit_price_minor),
                                  currency=record.currency, usage=usage, calendar=conv.calendar, unit=conv.unit,
                                  mode=conv.rounding)
    if pattern in _PROGRESS:
        return _progress(o, ms, record.currency, conv)
    assert terms is not None
    return _milestones(o, terms, ms, record.currency, conv)


def apply_measurement(record: ContractRecord, oid: str, req: MeasurementV1, first_open: str | None) -> ContractRecord:
    """The next version of ``record`` with the measurement recorded and the obligation rescheduled."""
    i, o = _target(record, oid)
    _check(record, o, req)
    if req.kind is MeasurementKindV1.MILESTONE:
        terms = next(t for t in record.obligation_terms if t.obligation_id == oid)
        if req.milestone_id not in {m.id for m in terms.milestones}:
            raise field_error("milestone_id", f"no milestone {req.milestone_id!r} on obligation {oid!r}", rule=True)
        if any(m.milestone_id == req.milestone_id for m in record.measurements if m.obligation_id == oid):
            raise RevrecConflict(f"Milestone {req.milestone_id!r} of obligation {oid!r} was already reported")
    entry = _record(oid, req)
    updated, _ = rescheduled(msgspec.structs.replace(record, measurements=[*record.measurements, entry]), i,
                             first_open)
    return updated


def rescheduled(record: ContractRecord, i: int, first_open: str | None) -> tuple[ContractRecord, int]:
    """The next version of ``record`` with obligation ``i`` rescheduled from its measurements (and usage prices).

    What the new schedule would change in closed periods posts in the first open one (``lock``); that amount is
    returned beside the record.
    """
    o = record.obligations[i]
    oid = o.obligation.id
    mine = [m for m in record.measurements if m.obligation_id == oid]
    try:
        schedule = _schedule(record, o, mine)
    except eng.EngineError as exc:
        where = {f"measures[{k}].{name}": name for k in range(len(mine)) for name in ("done", "expected_total")}
        raise engine_problem(exc, where) from None
    lines, adjustment = lock(o.lines, from_engine(schedule), oid, record.currency, first_open,
                             record_calendar(record))
    before = o.allocated if o.allocated is not None else o.allocation.amount.amount_minor
    allocated = _current_allocation(o, mine, schedule)
    obligations = list(record.obligations)
    obligations[i] = msgspec.structs.replace(o, lines=lines, allocated=allocated)
    return msgspec.structs.replace(record, version=record.version + 1, obligations=obligations,
                                   transaction_price=record.transaction_price - before + allocated,
                                   updated_at=datetime.now(UTC)), adjustment
