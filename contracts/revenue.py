"""Revenue recognition (ASC 606 / IFRS 15): contracts, performance obligations, allocations, schedules.

A ``RevenueContract`` holds the transaction price, the ``PerformanceObligation`` s it is allocated to
(``Allocation``, one per obligation, summing exactly to the transaction price) and the recognition schedule
(``ScheduleLine``). Schedule periods are ``datetime.date`` pairs with an inclusive end. A schedule line may be
negative: a cumulative catch-up after a modification can reverse revenue. Contract version: 1.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import msgspec

from contracts.common import (
    ExternalIds,
    Id,
    Instant,
    Period,
    Sku,
    check_non_negative,
    check_period,
    check_same_currency,
    check_unique,
)
from contracts.money import CurrencyCode, Money, exponent

__all__ = [
    "Allocation",
    "AllocationMethod",
    "PerformanceObligation",
    "RecognitionPattern",
    "RevenueContract",
    "RevenueContractStatus",
    "ScheduleLine",
    "ScheduleLineStatus",
]


class RecognitionPattern(enum.StrEnum):
    """How an obligation's allocated price turns into revenue."""

    RATABLE = "ratable"
    """Evenly over the service period (subscriptions, support)."""
    POINT_IN_TIME = "point_in_time"
    """All at once when control transfers (licences, hardware)."""
    USAGE = "usage"
    """As the customer consumes (metered units)."""
    PROGRESS_INPUT = "progress_input"
    """By an input measure such as hours or cost incurred."""
    PROGRESS_OUTPUT = "progress_output"
    """By an output measure such as units delivered."""
    MILESTONE = "milestone"
    """When named milestones are accepted."""


class AllocationMethod(enum.StrEnum):
    """How the transaction price reached an obligation."""

    RELATIVE_SSP = "relative_ssp"
    RESIDUAL = "residual"
    DISCOUNT_TO_SUBSET = "discount_to_subset"


class ScheduleLineStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    RECOGNIZED = "recognized"


class RevenueContractStatus(enum.StrEnum):
    ACTIVE = "active"
    MODIFIED = "modified"
    TERMINATED = "terminated"
    COMPLETED = "completed"


class PerformanceObligation(msgspec.Struct, frozen=True, kw_only=True):
    """A distinct promise to the customer and how its revenue is recognised."""

    id: Id
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    pattern: RecognitionPattern
    standalone_selling_price: Money
    """SSP of the whole obligation (not per unit), the basis of relative-SSP allocation."""
    product_skus: list[Sku] = []
    deal_line_ids: list[Id] = []
    """The opportunity lines this obligation came from."""
    start_date: date | None = None
    end_date: date | None = None
    """Last day of service, inclusive."""
    satisfied_on: date | None = None
    """For point-in-time obligations: the day control transferred."""
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        check_non_negative("standalone_selling_price", self.standalone_selling_price)
        check_period(self.start_date, self.end_date, "end_date")
        if self.pattern is RecognitionPattern.RATABLE and (self.start_date is None or self.end_date is None):
            raise ValueError("start_date: a ratable obligation needs start_date and end_date")


class Allocation(msgspec.Struct, frozen=True, kw_only=True):
    """The share of the transaction price assigned to one obligation."""

    obligation_id: Id
    amount: Money
    method: AllocationMethod = AllocationMethod.RELATIVE_SSP

    def __post_init__(self) -> None:
        check_non_negative("amount", self.amount)


class ScheduleLine(msgspec.Struct, frozen=True, kw_only=True):
    """Revenue of one obligation in one period (inclusive ``period_start`` .. ``period_end``)."""

    obligation_id: Id
    period_start: date
    period_end: date
    """Last day of the period, inclusive."""
    amount: Money
    """May be negative (a catch-up reversal)."""
    accounting_period: Period | None = None
    """The ``YYYY-MM`` period the line posts to, when it differs from the period's month."""
    status: ScheduleLineStatus = ScheduleLineStatus.SCHEDULED
    recognized_at: Instant | None = None
    id: Id | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        check_period(self.period_start, self.period_end, "period_end")


class RevenueContract(msgspec.Struct, frozen=True, kw_only=True):
    """One customer contract under ASC 606: price, obligations, allocation and schedule."""

    id: Id | None = None
    """The rev-rec system's contract id; ``None`` before registration."""
    customer_id: Id
    opportunity_id: Id | None = None
    currency: CurrencyCode
    transaction_price: Money
    obligations: Annotated[list[PerformanceObligation], msgspec.Meta(min_length=1)]
    allocations: list[Allocation] = []
    """Empty until allocated; then exactly one per obligation, summing to ``transaction_price``."""
    schedule: list[ScheduleLine] = []
    status: RevenueContractStatus = RevenueContractStatus.ACTIVE
    version: Annotated[int, msgspec.Meta(ge=1)] = 1
    """Bumped by every modification."""
    booked_on: date | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        if not self.obligations:
            raise ValueError("obligations: a revenue contract needs at least one obligation")
        check_same_currency(self.currency, self._amounts())
        check_non_negative("transaction_price", self.transaction_price)
        check_unique("obligations[].id", (o.id for o in self.obligations))
        known = {o.id for o in self.obligations}
        for i, line in enumerate(self.schedule):
            if line.obligation_id not in known:
                raise ValueError(f"schedule[{i}].obligation_id: unknown obligation {line.obligation_id!r}")
        if self.allocations:
            self._check_allocations(known)

    def _amounts(self) -> list[tuple[str, Money | None]]:
        pairs: list[tuple[str, Money | None]] = [("transaction_price", self.transaction_price)]
        pairs += [(f"obligations[{i}].standalone_selling_price", o.standalone_selling_price)
                  for i, o in enumerate(self.obligations)]
        pairs += [(f"allocations[{i}].amount", a.amount) for i, a in enumerate(self.allocations)]
        pairs += [(f"schedule[{i}].amount", s.amount) for i, s in enumerate(self.schedule)]
        return pairs

    def _check_allocations(self, known: set[str]) -> None:
        ids = [a.obligation_id for a in self.allocations]
        check_unique("allocations[].obligation_id", ids)
        if set(ids) != known:
            missing, extra = sorted(known - set(ids)), sorted(set(ids) - known)
            raise ValueError(f"allocations: must cover each obligation once (missing {missing}, unknown {extra})")
        allocated = Money.total((a.amount for a in self.allocations), self.currency)
        if allocated != self.transaction_price:
            raise ValueError(
                f"allocations: sum {allocated} differs from transaction_price {self.transaction_price}"
            )

    def scheduled_total(self, obligation_id: str | None = None) -> Money:
        """Sum of schedule lines, for one obligation or for the whole contract."""
        lines = (s.amount for s in self.schedule if obligation_id in (None, s.obligation_id))
        return Money.total(lines, self.currency)
