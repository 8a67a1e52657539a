"""Building blocks every canonical object shares: identifiers, cross-system references, instants, periods.

Identity across systems: every business object carries ``external_ids: dict[System, str]``. The key is the
*role* of a system (``crm``, ``billing``, ``erp``, ``revrec``, or ``revflow`` for revflow's own ids), not a
vendor name: which vendor plays a role is deployment configuration, and the canonical contract must not change
when Salesforce is swapped for HubSpot. The value is the object's id in that system. An object's ``id`` is its
id in the system that owns it (an opportunity's CRM id, an invoice's billing id), so ``external_ids`` only
needs the *other* systems.

Periods are ``datetime.date`` pairs with an **inclusive** end: a January service period is
``2025-01-01 .. 2025-01-31`` and a one-day period has ``start == end``. Instants are timezone-aware.
Contract version: 1.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated

import msgspec

from contracts.money import CurrencyMismatchError, Money

__all__ = [
    "ExternalIds",
    "Id",
    "Instant",
    "Period",
    "Quantity",
    "Sku",
    "System",
    "check_non_negative",
    "check_period",
    "check_positive",
    "check_same_currency",
    "check_unique",
]


class System(enum.StrEnum):
    """The role of a system an object is mirrored in; the key of ``external_ids``."""

    CRM = "crm"
    BILLING = "billing"
    ERP = "erp"
    REVREC = "revrec"
    REVFLOW = "revflow"


Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255, description="An identifier")]
# msgspec's JSON Schema leaves dict keys undescribed, so the accepted systems are stated for it.
ExternalIds = Annotated[
    dict[System, Id], msgspec.Meta(extra_json_schema={"propertyNames": {"enum": [s.value for s in System]}})
]
Instant = Annotated[datetime, msgspec.Meta(tz=True, description="A timezone-aware instant (UTC preferred)")]
Sku = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$", description="Stock-keeping unit", examples=["PLAT-SEAT"]
    ),
]
Quantity = Annotated[int, msgspec.Meta(ge=0, description="A whole, non-negative number of units")]
Period = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Accounting period YYYY-MM")
]


def check_period(start: date | None, end: date | None, field: str) -> None:
    """Refuse a period whose inclusive end lies before its start.

    Args:
        start: First day of the period.
        end: Last day of the period (inclusive).
        field: The name of the end field, for the error message.

    Raises:
        ValueError: When ``end < start``.
    """
    if start is not None and end is not None and end < start:
        raise ValueError(f"{field}: {end.isoformat()} is before the period start {start.isoformat()}")


def check_same_currency(currency: str, amounts: Iterable[tuple[str, Money | None]]) -> None:
    """Refuse any named amount whose currency differs from ``currency``.

    Args:
        currency: The currency of the document.
        amounts: ``(field path, amount)`` pairs; ``None`` amounts are skipped.

    Raises:
        CurrencyMismatchError: Naming the first field in another currency.
    """
    for field, amount in amounts:
        if amount is not None and amount.currency != currency:
            raise CurrencyMismatchError(
                f"{field}: currency {amount.currency} differs from the document currency {currency}"
            )


def check_non_negative(field: str, value: int | Money | None) -> None:
    """Refuse a negative quantity or amount, naming the field."""
    number = value.amount_minor if isinstance(value, Money) else value
    if number is not None and number < 0:
        raise ValueError(f"{field}: must not be negative, got {value}")


def check_positive(field: str, value: Money) -> None:
    """Refuse a zero or negative amount, naming the field."""
    if value.amount_minor <= 0:
        raise ValueError(f"{field}: must be greater than zero, got {value}")


def check_unique(field: str, values: Iterable[str | None]) -> None:
    """Refuse duplicate ids in a list of children (``None`` ids are ignored)."""
    seen: set[str] = set()
    for value in values:
        if value is not None and value in seen:
            raise ValueError(f"{field}: duplicate id {value!r}")
        if value is not None:
            seen.add(value)
