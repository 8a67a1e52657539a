"""Optional contract terms, checked and turned into engine inputs.

SSP specifications, residual ranges, usage prices, milestones, the exchange-rate table of a
foreign-currency contract, and the constrained estimate of variable consideration.

Every refusal names the request field (``obligation_terms.0.ssp.low``, ``exchange_rates.2.on``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from contracts.money import Money
from contracts.revenue import RecognitionPattern
from services.system.revrec import engine as eng
from services.system.revrec.errors import engine_problem, field_error
from services.system.revrec.schemas import (
    ContractTermsV1,
    EstimateMethodV1,
    ExchangeRateV1,
    ObligationTermsV1,
    SSPKindV1,
)

__all__ = [
    "check_exchange_rates",
    "check_obligation_terms",
    "rate_table",
    "residual_range",
    "resolve_ssp",
    "terms_by_obligation",
    "variable_estimate",
]


def terms_by_obligation(terms: ContractTermsV1) -> dict[str, ObligationTermsV1]:
    return {t.obligation_id: t for t in terms.obligation_terms}


def _money_fields(t: ObligationTermsV1, j: int) -> list[tuple[str, Money | None]]:
    path = f"obligation_terms.{j}"
    out: list[tuple[str, Money | None]] = [(f"{path}.stated_price", t.stated_price),
                                           (f"{path}.residual_low", t.residual_low),
                                           (f"{path}.residual_high", t.residual_high)]
    if t.ssp is not None:
        out += [(f"{path}.ssp.low", t.ssp.low), (f"{path}.ssp.high", t.ssp.high),
                (f"{path}.ssp.list_price", t.ssp.list_price)]
    return out


def _check_pattern_terms(t: ObligationTermsV1, j: int, pattern: RecognitionPattern) -> None:
    path = f"obligation_terms.{j}"
    if pattern is RecognitionPattern.USAGE and t.unit_price_minor is None:
        raise field_error(f"{path}.unit_price_minor", "a usage obligation needs its unit price")
    if pattern is not RecognitionPattern.USAGE and t.unit_price_minor is not None:
        raise field_error(f"{path}.unit_price_minor", "only usage obligations have a unit price")
    if pattern is RecognitionPattern.MILESTONE:
        ids = [m.id for m in t.milestones]
        if len(set(ids)) != len(ids):
            raise field_error(f"{path}.milestones", "milestone ids must be unique")
        if not ids or sum(Fraction(m.weight) for m in t.milestones) == 0:
            raise field_error(f"{path}.milestones", "a milestone obligation needs milestones with positive weight")
    elif t.milestones:
        raise field_error(f"{path}.milestones", "only milestone obligations have milestones")


def check_obligation_terms(terms: ContractTermsV1) -> None:
    """Known, unique obligation ids; contract-currency amounts; the terms each pattern needs."""
    patterns = {o.id: o.pattern for o in terms.obligations}
    seen: set[str] = set()
    for j, t in enumerate(terms.obligation_terms):
        if t.obligation_id not in patterns:
            raise field_error(f"obligation_terms.{j}.obligation_id", f"no obligation {t.obligation_id!r}")
        if t.obligation_id in seen:
            raise field_error(f"obligation_terms.{j}.obligation_id", f"duplicate terms for {t.obligation_id!r}")
        seen.add(t.obligation_id)
        for field, money in _money_fields(t, j):
            if money is not None and money.currency != terms.currency:
                raise field_error(f"{field}.currency", f"must be the contract currency {terms.currency}")
        _check_pattern_terms(t, j, patterns[t.obligation_id])
    for i, o in enumerate(terms.obligations):
        if o.pattern in (RecognitionPattern.USAGE, RecognitionPattern.MILESTONE) and o.id not in seen:
            raise field_error("obligation_terms", f"obligation {i} ({o.id!r}) is {o.pattern.value} and needs terms")


def _spec(t: ObligationTermsV1, ssp: Money, path: str) -> eng.ssp.SSPSpec:
    spec = t.ssp
    assert spec is not None
    if spec.kind is SSPKindV1.RANGE:
        if spec.low is None or spec.high is None:
            raise field_error(f"{path}.ssp", "a range needs low and high")
        if t.stated_price is None:
            raise field_error(f"{path}.stated_price", "an SSP range tests the stated price; give it")
        return eng.RangeSSP(low=spec.low.amount_minor, high=spec.high.amount_minor,
                            policy=eng.OutsideRangePolicy(spec.policy.value))
    if spec.kind is SSPKindV1.PERCENT_OF_LIST:
        if spec.list_price is None or spec.percent is None:
            raise field_error(f"{path}.ssp", "a percentage of list needs list_price and percent")
        return eng.PercentOfList(list_price=spec.list_price.amount_minor, percent=Fraction(spec.percent) / 100)
    return eng.PointSSP(amount=ssp.amount_minor)


def resolve_ssp(terms: ContractTermsV1, i: int) -> Fraction:
    """The exact SSP of obligation ``i``: its point SSP, or what its SSP specification gives."""
    o = terms.obligations[i]
    for j, t in enumerate(terms.obligation_terms):
        if t.obligation_id == o.id and t.ssp is not None:
            path = f"obligation_terms.{j}"
            stated = t.stated_price.amount_minor if t.stated_price is not None else None
            try:
                return eng.resolve_ssp(_spec(t, o.standalone_selling_price, path), stated_price=stated,
                                       field=f"{path}.ssp")
            except eng.EngineError as exc:
                raise engine_problem(exc) from None
    return Fraction(o.standalone_selling_price.amount_minor)


def residual_range(t: ObligationTermsV1 | None) -> tuple[int, int] | None:
    """The observable range a residual must fall in, when both ends are given."""
    if t is None or t.residual_low is None or t.residual_high is None:
        return None
    return t.residual_low.amount_minor, t.residual_high.amount_minor


def rate_table(transaction: str, functional: str, rates: Sequence[ExchangeRateV1]) -> eng.RateTable:
    """The engine's rate table, refusals naming ``exchange_rates`` fields."""
    try:
        return eng.RateTable(transaction=transaction, functional=functional,
                             rates=tuple(eng.Rate(r.on, Fraction(r.rate)) for r in rates))
    except eng.EngineError as exc:
        field = exc.field.replace("rates[", "exchange_rates.").replace("]", "")
        if exc.field == "currency" or "currency" in exc.reason:
            field = "functional_currency"
        raise field_error(field, exc.reason) from None


def check_exchange_rates(terms: ContractTermsV1, earliest: Sequence[date | None]) -> None:
    """A functional currency needs rates from the earliest obligation date on; rates need a functional currency."""
    if terms.functional_currency is None:
        if terms.exchange_rates:
            raise field_error("exchange_rates", "rates need a functional_currency")
        return
    if terms.functional_currency == terms.currency:
        raise field_error("functional_currency", "is the transaction currency; leave it out")
    rate_table(terms.currency, terms.functional_currency, terms.exchange_rates)
    dates = [d for d in earliest if d is not None]
    if dates and terms.exchange_rates[0].on > min(dates):
        raise field_error("exchange_rates.0.on", f"the first rate must be on or before {min(dates)}")


def variable_estimate(terms: ContractTermsV1) -> int | None:
    """The constrained estimate of the terms' variable consideration in minor units (``None`` without any).

    Raises:
        ServiceError: Naming the ``variable_consideration`` field at fault.
    """
    vc = terms.variable_consideration
    if vc is None:
        return None
    if all(o.pattern is RecognitionPattern.USAGE for o in terms.obligations):
        raise field_error("variable_consideration", "every obligation is usage-based: its fees are the variable "
                          "consideration, recognised as measured", rule=True)
    for i, outcome in enumerate(vc.outcomes):
        if outcome.amount.currency != terms.currency:
            raise field_error(f"variable_consideration.outcomes.{i}.amount.currency",
                              f"must be the contract currency {terms.currency}")
    outcomes = [eng.Outcome(amount=o.amount.amount_minor, probability=Fraction(o.probability)) for o in vc.outcomes]
    try:
        estimate = (eng.expected_value(outcomes) if vc.method is EstimateMethodV1.EXPECTED_VALUE
                    else eng.most_likely_amount(outcomes))
        constrained = eng.constrained_amount(estimate, outcomes, confidence=Fraction(vc.confidence))
    except eng.EngineError as exc:
        field = exc.field.replace("[", ".").replace("]", "")
        raise field_error(f"variable_consideration.{field}", exc.reason) from None
    return eng.rounding.round_fraction(constrained)
