"""Between the v1 API's types and the engine's: conventions, contract terms, allocations, schedule lines.

Everything the engine cannot check from its own inputs is checked here, naming the request field: the
obligation patterns the built-in platform schedules, dates inside the supported range, currencies that
agree, ids that exist. Engine errors raised while allocating or scheduling are translated by
``errors.engine_problem`` with the obligation's index, so a client always learns which field to fix.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from contracts.money import Money
from contracts.revenue import AllocationMethod, PerformanceObligation, RecognitionPattern
from services.system.revrec import engine as eng
from services.system.revrec.connectors._calendar import Calendar, convention_calendar
from services.system.revrec.connectors._terms import (
    check_exchange_rates,
    check_obligation_terms,
    residual_range,
    resolve_ssp,
    terms_by_obligation,
    variable_estimate,
)
from services.system.revrec.errors import engine_problem, field_error
from services.system.revrec.schemas import (
    AllocationLineV1,
    AllocationV1,
    ContractTermsV1,
    ConventionV1,
    LineKindV1,
    ObligationScheduleV1,
    ScheduleLineV1,
)

__all__ = [
    "EARLIEST",
    "LATEST",
    "MEASURED",
    "allocate_terms",
    "check_date",
    "earliest_date",
    "engine_convention",
    "obligation_schedule",
    "schedule_lines",
    "schedule_obligation",
    "service_dates",
]

EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
"""Dates the API accepts: far beyond any contract, and far from the calendar's limits."""
MAX_TERM_DAYS = 100 * 366
"""Longest service period scheduled (a hundred years), so one request cannot ask for millions of lines."""


def engine_convention(convention: ConventionV1) -> eng.Convention:
    """The engine convention a resolved v1 convention states (its calendar included)."""
    return eng.Convention(calendar=convention_calendar(convention).engine,
                          day_count=eng.DayCount(convention.day_count.value),
                          method=eng.Method(convention.method.value), unit=convention.rounding_unit_minor,
                          rounding=eng.RoundingMode(convention.rounding_mode.value),
                          remainder=eng.RemainderPolicy(convention.remainder_policy.value))


def check_date(value: date, field: str) -> None:
    """Refuse dates outside ``EARLIEST`` .. ``LATEST``, naming ``field``."""
    if not EARLIEST <= value <= LATEST:
        raise field_error(field, f"must be between {EARLIEST} and {LATEST}")


MEASURED = frozenset({RecognitionPattern.USAGE, RecognitionPattern.PROGRESS_INPUT, RecognitionPattern.PROGRESS_OUTPUT,
                      RecognitionPattern.MILESTONE})
"""Patterns recognised from measurements reported after registration (no schedule up front)."""


def service_dates(o: PerformanceObligation, i: int) -> tuple[date, date | None]:
    """``(start, end)`` of an obligation: the service period, or the transfer day of a point-in-time one."""
    path = f"obligations.{i}"
    if o.pattern is RecognitionPattern.RATABLE:
        assert o.start_date is not None and o.end_date is not None  # the canonical Struct guarantees both
        check_date(o.start_date, f"{path}.start_date")
        check_date(o.end_date, f"{path}.end_date")
        if (o.end_date - o.start_date).days > MAX_TERM_DAYS:
            raise field_error(f"{path}.end_date", "service periods longer than a hundred years are not scheduled")
        return o.start_date, o.end_date
    if o.pattern is RecognitionPattern.POINT_IN_TIME:
        on = o.satisfied_on or o.start_date
        if on is None:
            raise field_error(f"{path}.satisfied_on", "a point-in-time obligation needs the day control transferred")
        check_date(on, f"{path}.satisfied_on")
        return on, None
    raise field_error(f"{path}.pattern", f"{o.pattern.value!r} obligations are recognised from measurements, "
                      "not scheduled up front", rule=True)


def earliest_date(o: PerformanceObligation) -> date | None:
    """The first date an obligation can recognise revenue on, when the request states one."""
    dates = [d for d in (o.start_date, o.satisfied_on) if d is not None]
    return min(dates) if dates else None


def _check_terms(terms: ContractTermsV1) -> None:
    if terms.transaction_price.currency != terms.currency:
        raise field_error("transaction_price.currency", f"must be the contract currency {terms.currency}")
    ids = [o.id for o in terms.obligations]
    for i, o in enumerate(terms.obligations):
        if o.standalone_selling_price.currency != terms.currency:
            raise field_error(f"obligations.{i}.standalone_selling_price.currency",
                              f"must be the contract currency {terms.currency}")
        if o.id in ids[:i]:
            raise field_error(f"obligations.{i}.id", f"duplicate obligation id {o.id!r}")
        if o.pattern in MEASURED:
            for name in ("start_date", "end_date", "satisfied_on"):
                value = getattr(o, name)
                if value is not None:
                    check_date(value, f"obligations.{i}.{name}")
        else:
            service_dates(o, i)
    for name, wanted in (("residual_obligation_ids", terms.residual_obligation_ids),
                         ("discount_obligation_ids", terms.discount_obligation_ids)):
        unknown = sorted(set(wanted) - set(ids))
        if unknown:
            raise field_error(name, f"unknown obligation ids {unknown}")
    check_obligation_terms(terms)
    check_exchange_rates(terms, [earliest_date(o) for o in terms.obligations])


def _allocation_inputs(terms: ContractTermsV1) -> tuple[list[eng.AllocationLine], eng.VariableAllocation | None]:
    """Allocation lines with resolved SSPs; usage obligations take the usage fees (ASC 606-10-32-40)."""
    _check_terms(terms)
    residual = set(terms.residual_obligation_ids)
    extra = terms_by_obligation(terms)
    lines = [eng.AllocationLine(obligation_id=o.id, ssp=0 if o.id in residual else resolve_ssp(terms, i),
                                residual=o.id in residual, residual_range=residual_range(extra.get(o.id)))
             for i, o in enumerate(terms.obligations)]
    usage = tuple(o.id for o in terms.obligations if o.pattern is RecognitionPattern.USAGE)
    if not usage:
        return lines, None
    if len(usage) == len(lines) and terms.transaction_price.amount_minor:
        raise field_error("transaction_price", "every obligation is usage-based: usage fees are recognised as "
                          "measured, so the fixed transaction price must be zero", rule=True)
    return lines, eng.VariableAllocation(amount=0, obligation_ids=usage)


def _method(oid: str, terms: ContractTermsV1) -> AllocationMethod:
    if oid in terms.residual_obligation_ids:
        return AllocationMethod.RESIDUAL
    if oid in terms.discount_obligation_ids:
        return AllocationMethod.DISCOUNT_TO_SUBSET
    return AllocationMethod.RELATIVE_SSP


def allocate_terms(terms: ContractTermsV1, contract_id: str | None = None, version: int = 1) -> AllocationV1:
    """Allocate the transaction price by relative SSP (or residual / discount to a subset), to the minor unit.

    With ``variable_consideration``, the price allocated is the fixed ``transaction_price`` plus the constrained
    estimate, and the allocation shows both.
    """
    lines, variable = _allocation_inputs(terms)
    included = variable_estimate(terms)
    price = terms.transaction_price.amount_minor + (included or 0)
    bundle = terms.discount_bundle_price
    if bundle is not None and (bundle.currency != terms.currency or not terms.discount_obligation_ids):
        raise field_error("discount_bundle_price", "needs discount_obligation_ids and the contract currency")
    discount = eng.DiscountEvidence(obligation_ids=tuple(terms.discount_obligation_ids),
                                    bundle_price=bundle.amount_minor if bundle else None) \
        if terms.discount_obligation_ids else None
    try:
        allocation = eng.allocate(transaction_price=price, currency=terms.currency, lines=lines, discount=discount,
                                  variable=variable)
    except eng.EngineError as exc:
        raise engine_problem(exc) from None
    cur = terms.currency
    out = [AllocationLineV1(obligation_id=line.obligation_id, amount=Money(amount_minor=line.amount, currency=cur),
                            standalone_selling_price=_ssp_money(line.ssp, o, cur, line.obligation_id in
                                                                terms.residual_obligation_ids),
                            method=_method(line.obligation_id, terms), exact_share=str(Fraction(line.exact)),
                            exact_standalone_selling_price=str(line.ssp))
           for line, o in zip(allocation.lines, terms.obligations, strict=True)]
    estimate = None if included is None else Money(amount_minor=included, currency=cur)
    return AllocationV1(contract_id=contract_id, version=version,
                        transaction_price=Money(amount_minor=price, currency=cur), lines=out,
                        variable_consideration=estimate)


def _ssp_money(ssp: Fraction, o: PerformanceObligation, currency: str, residual: bool) -> Money:
    if residual:
        return o.standalone_selling_price
    return Money(amount_minor=eng.rounding.round_fraction(ssp), currency=currency)


def schedule_obligation(o: PerformanceObligation, i: int, amount: int, currency: str,
                        convention: ConventionV1) -> eng.Schedule:
    """The engine schedule of one allocated obligation under ``convention``."""
    start, end = service_dates(o, i)
    where = {"end": f"obligations.{i}.end_date", "start": f"obligations.{i}.start_date"}
    try:
        conv = engine_convention(convention)
        if end is None:
            return eng.point_in_time_schedule(obligation_id=o.id, amount=amount, currency=currency, on=start,
                                              calendar=conv.calendar)
        return eng.ratable_schedule(obligation_id=o.id, amount=amount, currency=currency, start=start, end=end,
                                    convention=conv)
    except eng.EngineError as exc:
        raise engine_problem(exc, where) from None


def schedule_lines(rows: list[tuple[str, int, str]], currency: str, closed_through: str | None, cal: Calendar,
                   ) -> list[ScheduleLineV1]:
    """Wire lines from ``(period key, amount, kind)`` rows."""
    out = []
    for key, amount, kind in rows:
        period = cal.period(key)
        out.append(ScheduleLineV1(accounting_period=cal.wire(key), fiscal_period=cal.label(key),
                                  period_start=period.start,
                                  period_end=period.end - timedelta(days=1),
                                  amount=Money(amount_minor=amount, currency=currency), kind=LineKindV1(kind),
                                  closed=closed_through is not None and key <= closed_through))
    return out


def obligation_schedule(oid: str, rows: list[tuple[str, int, str]], currency: str,
                        closed_through: str | None, cal: Calendar) -> ObligationScheduleV1:
    """One obligation's wire schedule; its allocation is the exact sum of its lines."""
    return ObligationScheduleV1(obligation_id=oid,
                                allocation=Money(amount_minor=sum(r[1] for r in rows), currency=currency),
                                lines=schedule_lines(rows, currency, closed_through, cal))
