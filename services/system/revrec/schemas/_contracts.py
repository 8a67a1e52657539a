"""Contracts, conventions, schedules, modifications, billings and postings of the revrec API (v1)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from contracts.common import Id, Period
from contracts.ledger import JournalEntry
from contracts.money import CurrencyCode, Money
from contracts.revenue import AllocationMethod, PerformanceObligation, RevenueContract
from services.system.revrec.schemas._calendar import CalendarV1, FiscalPeriod, FiscalYearV1
from services.system.revrec.schemas._terms import (
    ExchangeRateV1,
    MeasurementRecordV1,
    ObligationTermsV1,
    VariableConsiderationV1,
)

__all__ = [
    "AllocationLineV1",
    "AllocationV1",
    "BillingKindV1",
    "BillingLinkV1",
    "BillingV1",
    "ContractTermsV1",
    "ContractViewV1",
    "ConventionV1",
    "DayCountV1",
    "JournalPageV1",
    "LineKindV1",
    "MethodV1",
    "ModificationKindV1",
    "ModificationRecordV1",
    "ModificationV1",
    "ObligationScheduleV1",
    "PeriodCloseV1",
    "PostingV1",
    "RegisterContractV1",
    "RemainderPolicyV1",
    "RoundingModeV1",
    "ScheduleLineV1",
    "SchedulePreviewV1",
]

Ids = Annotated[list[Id], msgspec.Meta(max_length=100)]
Obligations = Annotated[list[PerformanceObligation], msgspec.Meta(min_length=1, max_length=100)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class DayCountV1(enum.StrEnum):
    """How service days are counted; ``actual_half_open`` reads ``end_date`` as the first day not served."""

    ACTUAL_INCLUSIVE = "actual_inclusive"
    ACTUAL_HALF_OPEN = "actual_half_open"
    THIRTY_360 = "30/360"


class MethodV1(enum.StrEnum):
    """How an allocation is spread over the periods of its service period."""

    EXACT_DAYS = "exact_days"
    EVEN_PERIODS = "even_periods"
    PRORATE_FIRST_LAST = "prorate_first_last"
    DAILY_RATE = "daily_rate"
    EVEN_TERM_MONTHS = "even_term_months"


class RoundingModeV1(enum.StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"


class RemainderPolicyV1(enum.StrEnum):
    """Where the difference between the rounded lines and the exact total lands."""

    LARGEST_REMAINDER = "largest_remainder"
    LAST = "last"
    NEXT_TO_LAST = "next_to_last"
    FIRST = "first"


class ConventionV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every choice a ratable schedule depends on besides amount and dates, stated explicitly."""

    calendar: CalendarV1 = CalendarV1.CALENDAR_MONTHS
    """A contract registered in a book must state the book's calendar (``GET /v1/calendar``)."""
    fiscal_year: FiscalYearV1 | None = None
    """Where the fiscal year of a fiscal ``calendar`` ends; absent, the book's. Contracts show it resolved."""
    day_count: DayCountV1 = DayCountV1.ACTUAL_INCLUSIVE
    method: MethodV1 = MethodV1.EXACT_DAYS
    rounding_unit_minor: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 1
    """Lines are multiples of this many minor units (1 = cents for USD, 100 = whole dollars)."""
    rounding_mode: RoundingModeV1 = RoundingModeV1.HALF_UP
    remainder_policy: RemainderPolicyV1 = RemainderPolicyV1.LARGEST_REMAINDER


class ContractTermsV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything allocation and scheduling need: the price, the obligations and the convention."""

    currency: CurrencyCode
    transaction_price: Money
    """Total consideration, including constrained variable consideration; with ``variable_consideration``, the
    fixed consideration only (the API adds the constrained estimate)."""
    obligations: Obligations
    """Ratable obligations need ``start_date`` and ``end_date``; point-in-time ones ``satisfied_on``."""
    convention: ConventionV1 = ConventionV1()
    residual_obligation_ids: Ids = []
    """Obligations whose SSP is highly variable: they take what is left (residual approach)."""
    discount_obligation_ids: Ids = []
    """Observable evidence that the whole discount belongs to these obligations (discount to a subset)."""
    discount_bundle_price: Money | None = None
    """Observable price of the ``discount_obligation_ids`` sold together; values them when another obligation
    takes the residual (ASC 606 Example 34 Case B)."""
    obligation_terms: Annotated[list[ObligationTermsV1], msgspec.Meta(max_length=100)] = []
    """Per-obligation SSP specifications, residual ranges, usage prices and milestones."""
    functional_currency: CurrencyCode | None = None
    """The entity's functional currency, when it differs from ``currency`` (needs ``exchange_rates``)."""
    exchange_rates: Annotated[list[ExchangeRateV1], msgspec.Meta(max_length=5000)] = []
    """Spot rates ``currency`` -> ``functional_currency`` in increasing date order; the first on or before the
    earliest obligation date."""
    variable_consideration: VariableConsiderationV1 | None = None
    """Possible amounts of variable consideration, for the API to estimate, constrain and add to the price."""


class RegisterContractV1(ContractTermsV1, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A revenue contract to register, from a won deal."""

    customer_id: Id
    opportunity_id: Id | None = None
    booked_on: date | None = None


class LineKindV1(enum.StrEnum):
    RECOGNITION = "recognition"
    """Revenue of the period under the convention."""
    CATCH_UP = "catch_up"
    """A cumulative catch-up from a modification, shown on its own line."""
    ADJUSTMENT = "adjustment"
    """What a restatement of closed periods would have changed, posted in the first open period instead."""


class ScheduleLineV1(msgspec.Struct, frozen=True, kw_only=True):
    """One line of an obligation's schedule; ``period_end`` is inclusive."""

    accounting_period: Period
    fiscal_period: FiscalPeriod | None = None
    """The fiscal period label, under a fiscal calendar (``accounting_period`` is then its year and number)."""
    period_start: date
    period_end: date
    amount: Money
    kind: LineKindV1 = LineKindV1.RECOGNITION
    closed: bool = False
    """The period is closed: this line is final and will never be restated."""


class ObligationScheduleV1(msgspec.Struct, frozen=True, kw_only=True):
    obligation_id: Id
    allocation: Money
    """What the lines sum to, exactly."""
    lines: list[ScheduleLineV1]


class AllocationLineV1(msgspec.Struct, frozen=True, kw_only=True):
    obligation_id: Id
    standalone_selling_price: Money
    amount: Money
    method: AllocationMethod = AllocationMethod.RELATIVE_SSP
    exact_share: str
    """The exact allocated share in minor units as a fraction (``"40000"`` or ``"12000/7"``)."""
    exact_standalone_selling_price: str | None = None
    """The SSP used, exact (a range midpoint or a percentage of list may not be a whole minor unit)."""


class AllocationV1(msgspec.Struct, frozen=True, kw_only=True):
    """An allocated transaction price; the amounts sum exactly to ``transaction_price``."""

    contract_id: Id | None = None
    version: int = 1
    transaction_price: Money
    lines: list[AllocationLineV1]
    variable_consideration: Money | None = None
    """The constrained estimate of the request's ``variable_consideration`` included in ``transaction_price``."""


class SchedulePreviewV1(msgspec.Struct, frozen=True, kw_only=True):
    allocation: AllocationV1
    schedules: list[ObligationScheduleV1]


class ModificationKindV1(enum.StrEnum):
    SEPARATE_CONTRACT = "separate_contract"
    PROSPECTIVE = "prospective"
    CUMULATIVE_CATCH_UP = "cumulative_catch_up"


class ModificationV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An approved change to one obligation, effective from ``effective_date``.

    A point-in-time obligation takes a change of price only (no ``separate_contract``, no ``new_end_date``): once
    control has transferred it is revenue of the period it takes effect in, before that it changes what the
    transfer recognises. A usage obligation takes a new ``unit_price_minor`` only (``prospective``, zero
    ``added_consideration``): usage dated on or after ``effective_date`` is recognised at it, earlier usage keeps
    the price it had.
    """

    kind: ModificationKindV1
    obligation_id: Id
    effective_date: date
    added_consideration: Money
    """Change in consideration; negative for a price reduction (zero for a usage obligation)."""
    new_end_date: date | None = None
    """New last service day (extension or shortening); absent keeps the current end."""
    unit_price_minor: Decimal | None = None
    """For a usage obligation: its new price per unit consumed, in minor units (may be fractional)."""
    reason: Reason | None = None


class ModificationRecordV1(msgspec.Struct, frozen=True, kw_only=True):
    """A modification as applied: the version it created and what it moved."""

    version: int
    kind: ModificationKindV1
    obligation_id: Id
    effective_date: date
    added_consideration: Money
    new_end_date: date | None = None
    unit_price_minor: Decimal | None = None
    """A usage obligation's new unit price (minor units) for usage dated from ``effective_date``."""
    reason: str | None = None
    catch_up: Money
    """The cumulative catch-up (zero unless ``cumulative_catch_up``)."""
    closed_period_adjustment: Money
    """What the change would have restated in closed periods, posted in the first open period instead."""
    recognised_before: Money | None = None
    """A ratable obligation's revenue for service days before ``effective_date``, as the change left it."""
    separate_contract_id: Id | None = None
    applied_at: datetime


class BillingKindV1(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"


class BillingLinkV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An invoice, credit note or payment of the billing system, linked to the contract."""

    id: Id
    """The billing system's document id; linking the same document twice is refused."""
    kind: BillingKindV1
    document_date: date
    amount: Money
    """Positive; ``kind`` says which way it moves the balances."""


class BillingV1(msgspec.Struct, frozen=True, kw_only=True):
    id: Id
    kind: BillingKindV1
    document_date: date
    accounting_period: Period
    """Where it posts: its own period, or the first open period when that one is closed."""
    amount: Money
    fiscal_period: FiscalPeriod | None = None


class ContractViewV1(msgspec.Struct, frozen=True, kw_only=True):
    """A registered contract: the canonical object plus its convention, schedules, changes and billings."""

    contract: RevenueContract
    convention: ConventionV1
    allocation: AllocationV1
    schedules: list[ObligationScheduleV1]
    modifications: list[ModificationRecordV1] = []
    billings: list[BillingV1] = []
    related_contract_ids: list[Id] = []
    """Contracts created from this one by separate-contract modifications (and the reverse link)."""
    measurements: list[MeasurementRecordV1] = []
    """Usage, progress, milestones and re-estimates reported for measured obligations, in report order."""
    obligation_terms: list[ObligationTermsV1] = []
    functional_currency: CurrencyCode | None = None
    exchange_rates: list[ExchangeRateV1] = []
    variable_consideration: VariableConsiderationV1 | None = None
    """The variable consideration registered with the contract (its included estimate is in ``allocation``)."""


class PostingV1(msgspec.Struct, frozen=True, kw_only=True):
    """The recognition run of one period: what it recognised and the entries it posts."""

    id: Id
    accounting_period: Period
    posted_at: datetime
    recognized: list[Money]
    """Revenue of the period, one amount per currency."""
    contracts: int
    journal_entries: list[JournalEntry]
    closed: bool = False
    fiscal_period: FiscalPeriod | None = None


class PeriodCloseV1(msgspec.Struct, frozen=True, kw_only=True):
    accounting_period: Period
    closed_at: datetime
    recognized: list[Money]
    deferred_balance: list[Money]
    """Deferred revenue (contract liability) at period end, one amount per currency."""
    journal_entry_ids: list[Id]
    first_open_period: Period
    fiscal_period: FiscalPeriod | None = None
    first_open_fiscal_period: FiscalPeriod | None = None


class JournalPageV1(msgspec.Struct, frozen=True, kw_only=True):
    """Balanced journal entries of one period, one per currency and kind (billing, recognition, cash)."""

    accounting_period: Period
    closed: bool
    entries: list[JournalEntry]
    fiscal_period: FiscalPeriod | None = None
