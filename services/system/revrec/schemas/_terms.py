"""Optional terms the revrec API (v1) added after its first publication.

SSP specifications, measured obligations (usage, progress, milestones), foreign-currency contracts and their
reports, and variable consideration for the API to estimate and constrain.

Every field here is optional on the wire, so a client written against the first v1 keeps working. Quantities,
weights, unit prices and exchange rates are exact decimal strings (``"0.125"``), never floats.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

import msgspec

from contracts.common import Id
from contracts.money import CurrencyCode, Money

__all__ = [
    "Decimal",
    "EstimateMethodV1",
    "ExchangeRateV1",
    "FunctionalBalancesV1",
    "JournalBasisV1",
    "MeasurementKindV1",
    "MeasurementRecordV1",
    "MeasurementV1",
    "MilestoneTermV1",
    "ObligationTermsV1",
    "OutcomeV1",
    "OutsideRangePolicyV1",
    "Probability",
    "SSPKindV1",
    "SSPSpecV1",
    "VariableConsiderationV1",
]

Decimal = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,15}(\.[0-9]{1,12})?$", max_length=28,
                                      description="A non-negative exact decimal, e.g. \"0.125\"")]
Probability = Annotated[str, msgspec.Meta(pattern=r"^(0(\.[0-9]{1,12})?|1(\.0{1,12})?)$", max_length=14,
                                          description="An exact decimal from 0 to 1, e.g. \"0.97\"")]


class SSPKindV1(enum.StrEnum):
    """Where an obligation's standalone selling price comes from."""

    POINT = "point"
    """The obligation's ``standalone_selling_price``."""
    RANGE = "range"
    """A range: a stated price inside it is the SSP; outside it, ``policy`` decides."""
    PERCENT_OF_LIST = "percent_of_list"
    """A percentage of a list price."""


class OutsideRangePolicyV1(enum.StrEnum):
    NEAREST_BOUND = "nearest_bound"
    MIDPOINT = "midpoint"


class SSPSpecV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An SSP specification.

    ``range`` needs ``low``, ``high`` and the obligation's ``stated_price``; ``percent_of_list`` needs
    ``list_price`` and ``percent`` (``"85"`` for 85%).
    """

    kind: SSPKindV1 = SSPKindV1.POINT
    low: Money | None = None
    high: Money | None = None
    policy: OutsideRangePolicyV1 = OutsideRangePolicyV1.NEAREST_BOUND
    list_price: Money | None = None
    percent: Decimal | None = None


class MilestoneTermV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One milestone of a ``milestone`` obligation and its relative weight (standalone value or output)."""

    id: Id
    weight: Decimal


class ObligationTermsV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What one obligation needs beyond the canonical ``PerformanceObligation``."""

    obligation_id: Id
    ssp: SSPSpecV1 | None = None
    stated_price: Money | None = None
    """The obligation's price in this contract (an SSP range tests it)."""
    residual_low: Money | None = None
    """For a residual obligation: the observable range its residual must fall in (low end)."""
    residual_high: Money | None = None
    unit_price_minor: Decimal | None = None
    """For a ``usage`` obligation: minor units per unit consumed (may be fractional)."""
    milestones: Annotated[list[MilestoneTermV1], msgspec.Meta(max_length=100)] = []
    """For a ``milestone`` obligation: its milestones."""


class ExchangeRateV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A spot rate from ``on`` until the next one: functional major units per transaction major unit."""

    on: date
    rate: Decimal


class MeasurementKindV1(enum.StrEnum):
    USAGE = "usage"
    """``quantity`` consumed on ``on`` (a ``usage`` obligation)."""
    PROGRESS = "progress"
    """Cumulative ``done`` of ``expected_total`` at ``on`` (``progress_input`` / ``progress_output``)."""
    MILESTONE = "milestone"
    """``milestone_id`` reached on ``on``."""
    REESTIMATE = "reestimate"
    """A new ``allocation`` for a progress or milestone obligation from ``on``, taken by cumulative catch-up."""


class MeasurementV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Usage, progress or a milestone reported for one obligation (or a re-estimate of its allocation)."""

    kind: MeasurementKindV1
    on: date
    quantity: Decimal | None = None
    done: Decimal | None = None
    expected_total: Decimal | None = None
    milestone_id: Id | None = None
    allocation: Money | None = None
    """For ``reestimate`` (or with ``progress``): the obligation's new allocated amount."""


class MeasurementRecordV1(msgspec.Struct, frozen=True, kw_only=True):
    """A measurement as recorded."""

    obligation_id: Id
    kind: MeasurementKindV1
    on: date
    quantity: str | None = None
    done: str | None = None
    expected_total: str | None = None
    milestone_id: Id | None = None
    allocation: Money | None = None
    recorded_at: datetime


class JournalBasisV1(enum.StrEnum):
    TRANSACTION = "transaction"
    """Each contract in its own (transaction) currency."""
    FUNCTIONAL = "functional"
    """Each contract in its functional currency, with FX remeasurement (IAS 21 / IFRIC 22, ASC 830)."""


class JournalTargetV1(enum.StrEnum):
    BOOK = "book"
    """Every entry of the revenue subledger: billings, recognition, collections (and remeasurement)."""
    ERP = "erp"
    """What the GL still needs when the ERP posts invoices, credit memos and payments itself: recognition, and
    the contract-asset share of billings and credits (Dr deferred revenue / Cr contract asset); no receivable or
    cash lines."""


class FunctionalBalancesV1(msgspec.Struct, frozen=True, kw_only=True):
    """Contract balances in the functional currency.

    The receivable and contract asset at the closing rate, the contract liability at the historical rates of
    the advances (non-monetary).
    """

    currency: CurrencyCode
    receivable: Money
    contract_asset: Money
    contract_liability: Money
    revenue_to_date: Money
    fx_gain_loss_to_date: Money
    """Net exchange difference to date; negative is a loss."""


class EstimateMethodV1(enum.StrEnum):
    """How variable consideration is estimated (ASC 606-10-32-8, IFRS 15.53)."""

    EXPECTED_VALUE = "expected_value"
    """The sum of the probability-weighted amounts."""
    MOST_LIKELY_AMOUNT = "most_likely_amount"
    """The single most likely amount (of two equally likely amounts, the smaller)."""


class OutcomeV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One possible amount of variable consideration (negative for a penalty) and its probability."""

    amount: Money
    probability: Probability


class VariableConsiderationV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Variable consideration for the API to estimate and constrain (ASC 606-10-32-5 to 32-14, IFRS 15.50-59).

    The estimate by ``method`` is constrained to the largest outcome that is at least ``confidence`` likely to
    be reached (never more than the estimate), rounded half up to the minor unit, and added to the fixed
    ``transaction_price``; the outcomes' probabilities must sum to exactly 1.
    """

    method: EstimateMethodV1
    outcomes: Annotated[list[OutcomeV1], msgspec.Meta(min_length=1, max_length=100)]
    confidence: Probability
    """The policy's reading of "highly probable" (IFRS) or "probable" (US GAAP), e.g. ``"0.75"``."""
