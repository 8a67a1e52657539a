"""Combining contracts (ASC 606-10-25-9 / IFRS 15.17), with the criteria as explicit inputs.

Two or more contracts entered into at or near the same time with the same customer (or its related
parties) are accounted for as one contract if at least one of: (a) they are negotiated as a package
with a single commercial objective; (b) the consideration of one depends on the price or performance
of the other; (c) the goods or services promised are a single performance obligation. The engine does
not guess these facts: the caller states them, and the combined contract is allocated as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .allocation import DiscountEvidence, VariableAllocation
from .errors import CurrencyMismatchError, InvalidInputError
from .obligations import Contract

__all__ = ["CombinationCriteria", "combine_contracts"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CombinationCriteria:
    """The facts ASC 606-10-25-9 asks about, as judged by the preparer."""

    same_customer: bool
    """Same customer or related parties of the customer."""
    same_time: bool
    """Entered into at or near the same time."""
    single_commercial_objective: bool = False
    """25-9(a): negotiated as a package with a single commercial objective."""
    price_interdependent: bool = False
    """25-9(b): the consideration in one contract depends on the price or performance of the other."""
    single_performance_obligation: bool = False
    """25-9(c): the promised goods or services are a single performance obligation."""

    @property
    def met(self) -> bool:
        """Whether the contracts must be combined."""
        any_of = self.single_commercial_objective or self.price_interdependent or self.single_performance_obligation
        return self.same_customer and self.same_time and any_of


def combine_contracts(
    contracts: Sequence[Contract],
    criteria: CombinationCriteria,
    *,
    id: str | None = None,
    discount: DiscountEvidence | None = None,
    variable: VariableAllocation | None = None,
) -> Contract:
    """One contract from several: the prices add up and the obligations are pooled for allocation.

    Args:
        contracts: Two or more contracts in one currency, with distinct obligation ids.
        criteria: The 25-9 facts; they must be met.
        id: Id of the combined contract (default: the ids joined by ``+``).
        discount: Discount evidence restated for the combined contract, if any.
        variable: Variable-consideration allocation restated for the combined contract, if any.

    Raises:
        InvalidInputError: Fewer than two contracts, criteria not met, duplicate obligation ids, or a
            contract carrying its own discount or variable evidence (restate it on the combination).
        CurrencyMismatchError: The contracts are in different currencies.
    """
    if len(contracts) < 2:
        raise InvalidInputError("contracts", "combining needs at least two contracts")
    if not criteria.met:
        raise InvalidInputError("criteria", "ASC 606-10-25-9 criteria are not met; account for them separately")
    currency = contracts[0].currency
    seen: set[str] = set()
    for i, c in enumerate(contracts):
        if c.currency != currency:
            raise CurrencyMismatchError(f"contracts[{i}].currency", f"{c.currency} next to {currency}")
        if c.discount is not None or c.variable is not None:
            raise InvalidInputError(f"contracts[{i}]", "restate discount or variable evidence on the combination")
        for o in c.obligations:
            if o.id in seen:
                raise InvalidInputError(f"contracts[{i}].obligations", f"duplicate obligation id {o.id!r}")
            seen.add(o.id)
    return Contract(
        id=id or "+".join(c.id for c in contracts),
        currency=currency,
        transaction_price=sum(c.transaction_price for c in contracts),
        obligations=tuple(o for c in contracts for o in c.obligations),
        discount=discount,
        variable=variable,
    )
