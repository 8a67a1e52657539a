"""The revflow ASC 606 / IFRS 15 revenue engine: pure, exact and explicit.

What it owns: identifying a contract's obligations, determining and allocating the transaction price
by relative standalone selling price (discount to a subset, residual approach, SSP ranges, variable
consideration to specific obligations), recognition schedules under an explicit convention (calendar,
day count, method, rounding unit, rounding mode, remainder policy), point-in-time, usage and progress
recognition, contract modifications (separate contract, prospective, cumulative catch-up) and closed
period adjustments, contract balances and the deferred-revenue roll-forward, the waterfall, balanced
journal entries, and verification of a vendor's schedule with the cause of every difference.

What it must never do: any I/O (network, files, clocks, environment) or import a framework
(litestar, httpx, redis, ``services.runtime``) or ``contracts``. Money is integer minor units plus an
ISO 4217 code; arithmetic is exact (``Fraction`` or integer numerators over a common denominator)
until a line is written; bad input raises a typed :class:`EngineError` naming the field, never a
wrong number. The revrec API reaches the engine through ``connectors/builtin.py`` like any vendor.
"""

from .allocation import (
    AllocatedLine,
    Allocation,
    AllocationLine,
    AllocationRounding,
    DiscountEvidence,
    VariableAllocation,
    allocate,
)
from .balances import BillingEvent, BillingKind, PeriodBalance, contract_balances, current_split, period_balance
from .calendars import CalendarMonths, Fiscal445, Fiscal5253, Period, PeriodCalendar, YearEnd, periods_between
from .combining import CombinationCriteria, combine_contracts
from .daycount import DayCount
from .errors import (
    CurrencyMismatchError,
    EngineError,
    InvalidConventionError,
    InvalidInputError,
    InvalidPeriodError,
    NegativeSSPError,
    OverlappingModificationError,
    ResidualApproachError,
    UnknownCurrencyError,
    ZeroSSPTotalError,
)
from .fx import Rate, RateTable
from .fxledger import FX, FxEvent, FxEventKind, FxLedger, functional_ledger, recognition_events
from .instants import instant_amounts, instant_schedule, milliseconds
from .journals import JournalEntry, JournalLine, aggregate, journal_entries
from .milestones import Milestone, Reestimate, milestone_schedule
from .modifications import (
    Modification,
    ModificationKind,
    ModificationResult,
    modify_point_in_time,
    modify_ratable,
    post_to_open_periods,
    validate_modifications,
)
from .money import Money, exponent, major_unit
from .obligations import Contract, Obligation, Pattern, allocate_contract, schedule_contract
from .patterns import ProgressMeasure, UsageRecord, point_in_time_schedule, progress_schedule, usage_schedule
from .pricing import (
    Outcome,
    catch_up_adjustment,
    constrained_amount,
    expected_value,
    most_likely_amount,
    transaction_price,
)
from .rounding import RemainderPolicy, RoundingMode, distribute
from .schedules import Convention, Method, Schedule, ScheduleLine, ratable_amounts, ratable_schedule
from .ssp import (
    OutsideRangePolicy,
    PercentOfList,
    PointSSP,
    RangeSSP,
    cost_plus_margin,
    material_right_ssp,
    resolve_ssp,
)
from .verify import Cause, VerifyResult, verify_schedule
from .waterfall import Waterfall, waterfall

__all__ = [
    "FX",
    "AllocatedLine",
    "Allocation",
    "AllocationLine",
    "AllocationRounding",
    "BillingEvent",
    "BillingKind",
    "CalendarMonths",
    "Cause",
    "CombinationCriteria",
    "Contract",
    "Convention",
    "CurrencyMismatchError",
    "DayCount",
    "DiscountEvidence",
    "EngineError",
    "Fiscal445",
    "Fiscal5253",
    "FxEvent",
    "FxEventKind",
    "FxLedger",
    "InvalidConventionError",
    "InvalidInputError",
    "InvalidPeriodError",
    "JournalEntry",
    "JournalLine",
    "Method",
    "Milestone",
    "Modification",
    "ModificationKind",
    "ModificationResult",
    "Money",
    "NegativeSSPError",
    "Obligation",
    "Outcome",
    "OutsideRangePolicy",
    "OverlappingModificationError",
    "Pattern",
    "PercentOfList",
    "Period",
    "PeriodBalance",
    "PeriodCalendar",
    "PointSSP",
    "ProgressMeasure",
    "RangeSSP",
    "Rate",
    "RateTable",
    "Reestimate",
    "RemainderPolicy",
    "ResidualApproachError",
    "RoundingMode",
    "Schedule",
    "ScheduleLine",
    "UnknownCurrencyError",
    "UsageRecord",
    "VariableAllocation",
    "VerifyResult",
    "Waterfall",
    "YearEnd",
    "ZeroSSPTotalError",
    "aggregate",
    "allocate",
    "allocate_contract",
    "catch_up_adjustment",
    "combine_contracts",
    "constrained_amount",
    "contract_balances",
    "cost_plus_margin",
    "current_split",
    "distribute",
    "expected_value",
    "exponent",
    "functional_ledger",
    "instant_amounts",
    "instant_schedule",
    "journal_entries",
    "major_unit",
    "material_right_ssp",
    "milestone_schedule",
    "milliseconds",
    "modify_point_in_time",
    "modify_ratable",
    "most_likely_amount",
    "period_balance",
    "periods_between",
    "point_in_time_schedule",
    "post_to_open_periods",
    "progress_schedule",
    "ratable_amounts",
    "ratable_schedule",
    "recognition_events",
    "resolve_ssp",
    "schedule_contract",
    "transaction_price",
    "usage_schedule",
    "validate_modifications",
    "verify_schedule",
    "waterfall",
]
