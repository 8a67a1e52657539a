"""Catalogue: products (items) and their prices.

A ``Product`` is identified everywhere by its SKU; a ``Price`` is one way of charging for it in one currency
at one billing frequency, flat (``unit_amount``) or tiered (``tiers``). Contract version: 1.
"""

from __future__ import annotations

import enum
import itertools
from typing import Annotated

import msgspec

from contracts.common import ExternalIds, Id, Sku, check_non_negative, check_same_currency
from contracts.money import CurrencyCode, Money, exponent
from contracts.revenue import RecognitionPattern

__all__ = [
    "BillingFrequency",
    "Price",
    "PriceTier",
    "Product",
    "TierMode",
]


class BillingFrequency(enum.StrEnum):
    """How often a price is billed."""

    ONE_TIME = "one_time"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    USAGE = "usage"
    """Billed in arrears for the quantity used in each billing period."""

    @property
    def months(self) -> int | None:
        """Months per billing period, or ``None`` for one-time and usage prices."""
        return _MONTHS.get(self)


_MONTHS = {
    BillingFrequency.MONTHLY: 1,
    BillingFrequency.QUARTERLY: 3,
    BillingFrequency.SEMIANNUAL: 6,
    BillingFrequency.ANNUAL: 12,
}


class TierMode(enum.StrEnum):
    """How tiers apply.

    ``graduated`` prices each unit in its own tier; ``volume`` prices every unit at the tier the total
    quantity falls in.
    """

    GRADUATED = "graduated"
    VOLUME = "volume"


class Product(msgspec.Struct, frozen=True, kw_only=True):
    """A sellable item, known by its SKU in every system."""

    id: Id | None = None
    """The id in the system of record for the catalogue (usually the CRM)."""
    sku: Sku
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    description: str | None = None
    active: bool = True
    recognition: RecognitionPattern | None = None
    """The default revenue recognition pattern of the obligation this product creates."""
    external_ids: ExternalIds = {}


class PriceTier(msgspec.Struct, frozen=True, kw_only=True):
    """One tier of a tiered price."""

    up_to: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Inclusive upper bound of units in this tier; ``None`` means unbounded (only on the last tier)."""
    unit_amount: Money
    flat_amount: Money | None = None
    """A fixed fee charged once when the quantity reaches this tier."""


class Price(msgspec.Struct, frozen=True, kw_only=True):
    """How a product is charged: currency, amount per unit (or tiers) and billing frequency."""

    id: Id | None = None
    product_sku: Sku
    currency: CurrencyCode
    billing_frequency: BillingFrequency
    unit_amount: Money | None = None
    """Amount per unit per billing period; exactly one of ``unit_amount`` and ``tiers`` is set."""
    tiers: list[PriceTier] | None = None
    tier_mode: TierMode | None = None
    """Required with ``tiers``."""
    active: bool = True
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        if (self.unit_amount is None) == (self.tiers is None):
            raise ValueError("unit_amount: set exactly one of unit_amount and tiers")
        check_same_currency(self.currency, self._amounts())
        for field, amount in self._amounts():
            check_non_negative(field, amount)
        if self.tiers is not None:
            self._check_tiers(self.tiers)

    def _amounts(self) -> list[tuple[str, Money | None]]:
        pairs: list[tuple[str, Money | None]] = [("unit_amount", self.unit_amount)]
        for i, tier in enumerate(self.tiers or ()):
            pairs += [(f"tiers[{i}].unit_amount", tier.unit_amount), (f"tiers[{i}].flat_amount", tier.flat_amount)]
        return pairs

    def _check_tiers(self, tiers: list[PriceTier]) -> None:
        if not tiers:
            raise ValueError("tiers: must not be empty when given")
        if self.tier_mode is None:
            raise ValueError("tier_mode: required when tiers are given")
        bounds = [tier.up_to for tier in tiers]
        if None in bounds[:-1]:
            raise ValueError("tiers: only the last tier may be unbounded (up_to null)")
        finite = [b for b in bounds if b is not None]
        if any(a >= b for a, b in itertools.pairwise(finite)):
            raise ValueError("tiers: up_to must strictly increase")
