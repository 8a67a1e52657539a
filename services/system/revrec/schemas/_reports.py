"""Reports (waterfall, roll-forward, contract balances) and vendor-schedule verification of the revrec API (v1)."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import msgspec

from contracts.common import Id, Period
from contracts.money import CurrencyCode, Money
from services.system.revrec.schemas._calendar import FiscalPeriod
from services.system.revrec.schemas._contracts import ConventionV1
from services.system.revrec.schemas._terms import FunctionalBalancesV1

__all__ = [
    "BalancesV1",
    "CauseV1",
    "LineStatusV1",
    "ObligationVerificationV1",
    "RollForwardRowV1",
    "RollForwardV1",
    "VendorLineV1",
    "VerificationLineV1",
    "VerificationRequestV1",
    "VerificationV1",
    "VerifyObligationV1",
    "WaterfallRowV1",
    "WaterfallV1",
]


class WaterfallRowV1(msgspec.Struct, frozen=True, kw_only=True):
    obligation_id: Id
    amounts: list[Money]
    """Aligned with ``WaterfallV1.periods``."""


class WaterfallV1(msgspec.Struct, frozen=True, kw_only=True):
    """Revenue still to be recognised after ``after_period``, by obligation and period."""

    contract_id: Id
    after_period: Period | None = None
    periods: list[Period]
    rows: list[WaterfallRowV1]
    totals: list[Money]
    after_fiscal_period: FiscalPeriod | None = None
    fiscal_periods: list[FiscalPeriod] = []
    """Aligned with ``periods`` under a fiscal calendar; empty under calendar months."""


class RollForwardRowV1(msgspec.Struct, frozen=True, kw_only=True):
    """One period: ``opening + billed - credited - recognized + reclassified == closing``."""

    accounting_period: Period
    opening_deferred: Money
    billed: Money
    credited: Money
    recognized: Money
    reclassified: Money
    """Movement against the contract asset (revenue recognised before billing, or billing consuming it)."""
    closing_deferred: Money
    contract_asset: Money
    receivable: Money
    fiscal_period: FiscalPeriod | None = None


class RollForwardV1(msgspec.Struct, frozen=True, kw_only=True):
    contract_id: Id
    rows: list[RollForwardRowV1]


class BalancesV1(msgspec.Struct, frozen=True, kw_only=True):
    """Contract balances at the end of ``as_of``, the liability split at a twelve-month horizon."""

    contract_id: Id
    as_of: Period
    receivable: Money
    contract_asset: Money
    contract_liability: Money
    current_liability: Money
    non_current_liability: Money
    functional: FunctionalBalancesV1 | None = None
    """The same balances in the functional currency, for a contract that has one."""
    as_of_fiscal_period: FiscalPeriod | None = None


class VendorLineV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    accounting_period: Period
    amount: Money


class VerifyObligationV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One obligation of a vendor's schedule and the allocation and dates it was spread from."""

    obligation_id: Id
    allocation: Money
    start_date: date
    end_date: date
    vendor_schedule: Annotated[list[VendorLineV1], msgspec.Meta(max_length=1200)]


class VerificationRequestV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A vendor's schedule and the convention the vendor claims to use."""

    currency: CurrencyCode
    convention: ConventionV1
    obligations: Annotated[list[VerifyObligationV1], msgspec.Meta(min_length=1, max_length=100)]


class CauseV1(enum.StrEnum):
    MATCH = "match"
    DIFFERENT_DAY_COUNT = "different_day_count"
    REMAINDER_PLACEMENT = "remainder_placement"
    ROUNDING_MODE = "rounding_mode"
    STALE_PRICE = "stale_price"
    MISSING_MODIFICATION = "missing_modification"
    UNEXPLAINED = "unexplained"


class LineStatusV1(enum.StrEnum):
    MATCH = "match"
    DIFFERENCE = "difference"


class VerificationLineV1(msgspec.Struct, frozen=True, kw_only=True):
    accounting_period: Period
    vendor: Money
    engine: Money
    difference: Money
    """Vendor minus engine."""
    status: LineStatusV1
    fiscal_period: FiscalPeriod | None = None


class ObligationVerificationV1(msgspec.Struct, frozen=True, kw_only=True):
    obligation_id: Id
    status: LineStatusV1
    cause: CauseV1
    explained_by: str | None = None
    """The convention (or description) that reproduces the vendor's lines, when one was found."""
    lines: list[VerificationLineV1]


class VerificationV1(msgspec.Struct, frozen=True, kw_only=True):
    matched: bool
    obligations: list[ObligationVerificationV1]
