"""Steps 1-2: a revenue contract, its performance obligations and the contract pipeline.

Steps 1-2: a revenue contract and its performance obligations, and the contract-level pipeline
that allocates the price (step 4) and schedules each obligation (step 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from .allocation import Allocation, AllocationLine, AllocationRounding, DiscountEvidence, VariableAllocation, allocate
from .errors import InvalidInputError
from .patterns import point_in_time_schedule
from .schedules import Convention, Schedule, ratable_schedule
from .ssp import PointSSP, SSPSpec, resolve_ssp

__all__ = ["Contract", "Obligation", "Pattern", "allocate_contract", "schedule_contract"]


class Pattern(StrEnum):
    """How an obligation is satisfied."""

    RATABLE = "ratable"
    POINT_IN_TIME = "point_in_time"


@dataclass(frozen=True, kw_only=True, slots=True)
class Obligation:
    """A performance obligation (a material right is one too, with an estimated SSP).

    Attributes:
        id: Unique within the contract.
        pattern: Ratable over ``start``..``end`` or at a point in time (``start``).
        ssp: SSP specification; ignored when ``residual``.
        stated_price: The price stated in the contract for this line (used by SSP ranges).
        start: Service start (or transfer date for point in time).
        end: Last service day for ratable obligations.
        residual: Use the residual approach for this obligation.
    """

    id: str
    pattern: Pattern
    ssp: SSPSpec = field(default_factory=lambda: PointSSP(amount=0))
    stated_price: int | None = None
    start: date
    end: date | None = None
    residual: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Contract:
    """A revenue contract.

    Attributes:
        id: Contract id.
        currency: ISO 4217 transaction currency.
        transaction_price: Minor units, including constrained variable consideration.
        obligations: Its performance obligations.
        discount: Evidence that the discount belongs to a subset.
        variable: Variable consideration that belongs to specific obligations.
    """

    id: str
    currency: str
    transaction_price: int
    obligations: tuple[Obligation, ...]
    discount: DiscountEvidence | None = None
    variable: VariableAllocation | None = None


def allocate_contract(contract: Contract, rounding: AllocationRounding | None = None) -> Allocation:
    """Resolve SSPs and allocate the contract's transaction price."""
    lines = [
        AllocationLine(
            obligation_id=o.id,
            ssp=0 if o.residual else resolve_ssp(o.ssp, stated_price=o.stated_price, field=f"obligations[{i}].ssp"),
            residual=o.residual,
        )
        for i, o in enumerate(contract.obligations)
    ]
    return allocate(
        transaction_price=contract.transaction_price,
        currency=contract.currency,
        lines=lines,
        discount=contract.discount,
        variable=contract.variable,
        rounding=rounding,
    )


def schedule_contract(
    contract: Contract, convention: Convention, rounding: AllocationRounding | None = None
) -> tuple[Schedule, ...]:
    """Allocate, then schedule every obligation under ``convention``."""
    amounts = allocate_contract(contract, rounding).amounts()
    out = []
    for i, o in enumerate(contract.obligations):
        if o.pattern is Pattern.POINT_IN_TIME:
            out.append(
                point_in_time_schedule(
                    obligation_id=o.id,
                    amount=amounts[o.id],
                    currency=contract.currency,
                    on=o.start,
                    calendar=convention.calendar,
                )
            )
            continue
        if o.end is None:
            raise InvalidInputError(f"obligations[{i}].end", "a ratable obligation needs an end date")
        out.append(
            ratable_schedule(
                obligation_id=o.id,
                amount=amounts[o.id],
                currency=contract.currency,
                start=o.start,
                end=o.end,
                convention=convention,
            )
        )
    return tuple(out)
