"""Deals: opportunities, their lines, amendments to a booked deal, and the customer contract a won deal produced.

Service periods are ``datetime.date`` pairs with an **inclusive** end: a one-year subscription starting
2025-01-01 has ``service_start=2025-01-01`` and ``service_end=2025-12-31``; a one-day delivery has
``service_start == service_end``. Line prices are per unit; the line amount is ``sale_price * quantity`` and
the line discount is derived from list and sale price, so the two can never disagree. Contract version: 1.
"""

from __future__ import annotations

import enum
from datetime import date
from fractions import Fraction
from typing import Annotated

import msgspec

from contracts.catalog import BillingFrequency
from contracts.common import (
    ExternalIds,
    Id,
    Instant,
    Quantity,
    Sku,
    check_non_negative,
    check_period,
    check_same_currency,
    check_unique,
)
from contracts.money import CurrencyCode, Money, exponent

__all__ = [
    "Amendment",
    "AmendmentAction",
    "ContractStatus",
    "CustomerContract",
    "DealLine",
    "LineChange",
    "Opportunity",
    "OpportunityStage",
]


class OpportunityStage(enum.StrEnum):
    PROSPECTING = "prospecting"
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"

    @property
    def is_closed(self) -> bool:
        return self in (OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST)


class DealLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of an opportunity or quote: what is sold, how many, at what price, for which period."""

    id: Id | None = None
    product_sku: Sku
    description: str | None = None
    quantity: Quantity
    list_price: Money
    """Catalogue price per unit per billing period."""
    sale_price: Money
    """Negotiated price per unit per billing period, after every discount."""
    service_start: date
    service_end: date
    """Last day of service, inclusive."""
    billing_frequency: BillingFrequency
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError(f"quantity: must be an int, got {type(self.quantity).__name__}")
        check_non_negative("quantity", self.quantity)
        check_same_currency(self.list_price.currency, [("sale_price", self.sale_price)])
        check_non_negative("list_price", self.list_price)
        check_non_negative("sale_price", self.sale_price)
        check_period(self.service_start, self.service_end, "service_end")

    @property
    def amount(self) -> Money:
        """Net amount of the line per billing period: ``sale_price * quantity``."""
        return self.sale_price * self.quantity

    @property
    def discount(self) -> Money:
        """Total discount of the line per billing period: ``(list_price - sale_price) * quantity``.

        Negative for a line sold above list (an uplift): revenue allocates that premium by relative SSP.
        """
        return (self.list_price - self.sale_price) * self.quantity

    @property
    def discount_rate(self) -> Fraction:
        """Discount as an exact fraction of list price (0 when the list price is zero)."""
        if self.list_price.is_zero:
            return Fraction(0)
        return Fraction((self.list_price - self.sale_price).amount_minor, self.list_price.amount_minor)


def _line_amounts(lines: list[tuple[str, DealLine]]) -> list[tuple[str, Money | None]]:
    pairs: list[tuple[str, Money | None]] = []
    for path, line in lines:
        pairs += [(f"{path}.list_price", line.list_price), (f"{path}.sale_price", line.sale_price)]
    return pairs


class Opportunity(msgspec.Struct, frozen=True, kw_only=True):
    """A deal in the CRM. All lines are in the opportunity's currency."""

    id: Id | None = None
    """The CRM opportunity id."""
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    customer_id: Id
    """The CRM account id of the buyer."""
    stage: OpportunityStage
    close_date: date
    currency: CurrencyCode
    lines: list[DealLine] = []
    closed_at: Instant | None = None
    renews_opportunity_id: Id | None = None
    """Set on a renewal: the opportunity whose term this one continues."""
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        check_same_currency(self.currency, _line_amounts([(f"lines[{i}]", x) for i, x in enumerate(self.lines)]))
        check_unique("lines[].id", (line.id for line in self.lines))

    @property
    def amount(self) -> Money:
        """Sum of line amounts per billing period."""
        return Money.total((line.amount for line in self.lines), self.currency)


class AmendmentAction(enum.StrEnum):
    ADD = "add"
    UPDATE = "update"
    REMOVE = "remove"


class LineChange(msgspec.Struct, frozen=True, kw_only=True):
    """One change to a booked deal: add a line, replace a line's terms, or remove a line."""

    action: AmendmentAction
    line_id: Id | None = None
    """The booked line changed or removed; required for ``update`` and ``remove``."""
    line: DealLine | None = None
    """The line's new terms; required for ``add`` and ``update``."""

    def __post_init__(self) -> None:
        if self.action is not AmendmentAction.ADD and self.line_id is None:
            raise ValueError(f"line_id: required when action is {self.action.value!r}")
        if self.action is not AmendmentAction.REMOVE and self.line is None:
            raise ValueError(f"line: required when action is {self.action.value!r}")


class Amendment(msgspec.Struct, frozen=True, kw_only=True):
    """A change to a closed-won deal, effective from ``effective_date`` (mid-term upgrade, downgrade, removal)."""

    id: Id | None = None
    opportunity_id: Id
    """The booked opportunity being amended."""
    effective_date: date
    currency: CurrencyCode
    changed_lines: Annotated[list[LineChange], msgspec.Meta(min_length=1)]
    reason: str | None = None
    signed_at: Instant | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        if not self.changed_lines:
            raise ValueError("changed_lines: an amendment changes at least one line")
        lines = [(i, c.line) for i, c in enumerate(self.changed_lines) if c.line is not None]
        for i, line in lines:
            check_same_currency(self.currency, _line_amounts([(f"changed_lines[{i}].line", line)]))
            if line.service_end < self.effective_date:
                raise ValueError(f"changed_lines[{i}].line.service_end: ends before the effective_date")
        check_unique("changed_lines[].line_id", (c.line_id for c in self.changed_lines))


class ContractStatus(enum.StrEnum):
    """Where a customer contract stands in the CRM: drafted, awaiting approval, or in force."""

    DRAFT = "draft"
    IN_APPROVAL = "in_approval"
    ACTIVATED = "activated"


class CustomerContract(msgspec.Struct, frozen=True, kw_only=True):
    """The contract with a customer that a won deal produced, with the signed amendments that change it.

    The term runs from ``start_date`` to ``end_date`` inclusive; a contract without a fixed term (evergreen) has
    neither ``end_date`` nor ``term_months``. The amendments are those of the booked opportunity, in the order they
    take effect.
    """

    id: Id | None = None
    """The CRM's contract id."""
    number: str | None = None
    """The contract number people quote, when the CRM numbers contracts."""
    customer_id: Id
    """The business key of the customer's account (its CRM id when revflow holds no key for it)."""
    opportunity_id: Id | None = None
    """The won (booked) opportunity that produced the contract; ``None`` for a contract entered without a deal."""
    status: ContractStatus
    start_date: date
    end_date: date | None = None
    """Last day of the term, inclusive."""
    term_months: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Length of the term in whole months, when it is whole months."""
    currency: CurrencyCode
    amendments: list[Amendment] = []
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        check_period(self.start_date, self.end_date, "end_date")
        for i, amendment in enumerate(self.amendments):
            if amendment.opportunity_id != self.opportunity_id:
                raise ValueError(f"amendments[{i}].opportunity_id: amends {amendment.opportunity_id}, not the "
                                 f"contract's opportunity {self.opportunity_id}")
        check_unique("amendments[].id", (a.id for a in self.amendments))
