"""Step 4: allocate the transaction price by relative standalone selling price.

Exact shares are computed with ``Fraction`` and rounded once, by :func:`rounding.distribute`, so
the allocated minor units sum *exactly* to the transaction price. Supported exceptions to the plain
relative-SSP rule: a discount allocated entirely to a subset (ASC 606-10-32-37), the residual
approach (32-34(c)) and variable consideration allocated entirely to some obligations (32-40).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .errors import InvalidInputError, NegativeSSPError, ResidualApproachError, ZeroSSPTotalError
from .money import require_currency
from .rounding import RemainderPolicy, RoundingMode, common_denominator, distribute

__all__ = [
    "AllocatedLine",
    "Allocation",
    "AllocationLine",
    "AllocationRounding",
    "DiscountEvidence",
    "VariableAllocation",
    "allocate",
    "relative_shares",
]

Number = int | Fraction


@dataclass(frozen=True, kw_only=True, slots=True)
class AllocationLine:
    """One obligation to allocate to.

    Attributes:
        obligation_id: Unique id within the contract.
        ssp: Exact SSP in minor units (see :mod:`ssp`); ignored for residual lines.
        residual: SSP is highly variable or uncertain: take what is left (residual approach).
        residual_range: Optional observable ``(low, high)`` the residual must fall in.
    """

    obligation_id: str
    ssp: Number = 0
    residual: bool = False
    residual_range: tuple[Number, Number] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DiscountEvidence:
    """Observable evidence that the discount belongs to a subset of obligations.

    Attributes:
        obligation_ids: The subset that bears the whole discount.
        bundle_price: Observable price of the subset sold together; needed only when a residual line
            must be valued (ASC 606 Example 34 Case B), otherwise the subset takes the price left over.
    """

    obligation_ids: tuple[str, ...]
    bundle_price: Number | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class VariableAllocation:
    """Variable consideration allocated entirely to some obligations (ASC 606-10-32-40).

    Attributes:
        amount: The (constrained) variable consideration included in the transaction price.
        obligation_ids: Obligations it relates to; split among them by relative SSP.
    """

    amount: Number
    obligation_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class AllocationRounding:
    """How exact allocations become minor units."""

    unit: int = 1
    mode: RoundingMode = RoundingMode.HALF_UP
    policy: RemainderPolicy = RemainderPolicy.LARGEST_REMAINDER


@dataclass(frozen=True, kw_only=True, slots=True)
class AllocatedLine:
    """The result for one obligation: the exact share and the written amount."""

    obligation_id: str
    ssp: Fraction
    exact: Fraction
    amount: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Allocation:
    """An allocated transaction price; ``sum(line.amount) == transaction_price`` always."""

    currency: str
    transaction_price: int
    lines: tuple[AllocatedLine, ...]

    def amounts(self) -> dict[str, int]:
        """Allocated minor units per obligation id."""
        return {line.obligation_id: line.amount for line in self.lines}


def relative_shares(pool: Fraction, ssps: dict[str, Fraction], field_name: str = "lines") -> dict[str, Fraction]:
    """Split ``pool`` over ``ssps`` in proportion to the SSPs.

    Raises:
        ZeroSSPTotalError: The SSPs sum to zero (and there is something to allocate).
    """
    total = sum(ssps.values(), Fraction(0))
    if total == 0:
        if pool == 0:
            return dict.fromkeys(ssps, Fraction(0))
        raise ZeroSSPTotalError(field_name, "standalone selling prices sum to zero; nothing to allocate by")
    return {key: pool * value / total for key, value in ssps.items()}


def _validate(price: int, currency: str, lines: Sequence[AllocationLine]) -> dict[str, Fraction]:
    require_currency(currency)
    if not lines:
        raise InvalidInputError("lines", "at least one obligation is required")
    if price < 0:
        raise InvalidInputError("transaction_price", "must not be negative")
    ssps: dict[str, Fraction] = {}
    for i, line in enumerate(lines):
        if line.obligation_id in ssps:
            raise InvalidInputError(f"lines[{i}].obligation_id", f"duplicate id {line.obligation_id!r}")
        if Fraction(line.ssp) < 0:
            raise NegativeSSPError(f"lines[{i}].ssp", "standalone selling price must not be negative")
        ssps[line.obligation_id] = Fraction(line.ssp)
    return ssps


def _subset(ids: Sequence[str], known: dict[str, Fraction], field_name: str) -> list[str]:
    unknown = [i for i in ids if i not in known]
    if unknown or not ids:
        raise InvalidInputError(field_name, f"unknown or empty obligation ids {unknown}")
    return list(ids)


def _with_discount(pool: Fraction, ssps: dict[str, Fraction], evidence: DiscountEvidence | None) -> dict[str, Fraction]:
    if evidence is None:
        return relative_shares(pool, ssps)
    subset = _subset(evidence.obligation_ids, ssps, "discount.obligation_ids")
    outside = {k: v for k, v in ssps.items() if k not in subset}
    subset_pool = pool - sum(outside.values(), Fraction(0))
    if subset_pool < 0:
        raise InvalidInputError("discount.obligation_ids", "the discount exceeds what the subset can bear")
    if not outside:
        return relative_shares(pool, ssps)
    return {**outside, **relative_shares(subset_pool, {k: ssps[k] for k in subset}, "discount.obligation_ids")}


def _residual_pool(
    pool: Fraction, lines: Sequence[AllocationLine], ssps: dict[str, Fraction], evidence: DiscountEvidence | None
) -> Fraction:
    valued = sum((ssps[x.obligation_id] for x in lines if not x.residual), Fraction(0))
    if evidence is not None and evidence.bundle_price is not None:
        valued -= sum((ssps[i] for i in evidence.obligation_ids), Fraction(0)) - Fraction(evidence.bundle_price)
    residual = pool - valued
    if residual <= 0:
        raise ResidualApproachError("transaction_price", f"nothing is left for the residual obligation ({residual})")
    for line in lines:
        if line.residual and line.residual_range is not None:
            low, high = (Fraction(v) for v in line.residual_range)
            share = residual / sum(1 for x in lines if x.residual)
            if not low <= share <= high:
                raise ResidualApproachError(
                    f"lines.{line.obligation_id}.residual_range",
                    f"residual {share} is outside the observable range [{low}, {high}]",
                )
    return residual


def _exact(
    price: Fraction, lines: Sequence[AllocationLine], ssps: dict[str, Fraction], evidence: DiscountEvidence | None
) -> dict[str, Fraction]:
    residual_ids = [x.obligation_id for x in lines if x.residual]
    if not residual_ids:
        return _with_discount(price, ssps, evidence)
    residual = _residual_pool(price, lines, ssps, evidence)
    priced = {k: v for k, v in ssps.items() if k not in residual_ids}
    out = _with_discount(price - residual, priced, evidence) if priced else {}
    out.update(dict.fromkeys(residual_ids, residual / len(residual_ids)))
    return out


def allocate(
    *,
    transaction_price: int,
    currency: str,
    lines: Sequence[AllocationLine],
    discount: DiscountEvidence | None = None,
    variable: VariableAllocation | None = None,
    rounding: AllocationRounding | None = None,
) -> Allocation:
    """Allocate ``transaction_price`` (minor units) to obligations.

    Args:
        transaction_price: Total consideration including constrained variable consideration.
        currency: ISO 4217 code.
        lines: Obligations with their exact SSPs.
        discount: Evidence that the whole discount belongs to a subset.
        variable: Variable consideration that belongs entirely to some obligations; the rest of the
            price is allocated to the other obligations.
        rounding: Rounding unit, mode and remainder policy (default: cents, largest remainder).

    Returns:
        The allocation; amounts sum exactly to ``transaction_price``.

    Raises:
        EngineError: Any invalid input (see :mod:`errors`); never a silently wrong number.
    """
    rounding = rounding or AllocationRounding()
    ssps = _validate(transaction_price, currency, lines)
    price = Fraction(transaction_price)
    if variable is None:
        exact = _exact(price, lines, ssps, discount)
    else:
        targets = _subset(variable.obligation_ids, ssps, "variable.obligation_ids")
        vc = Fraction(variable.amount)
        if not 0 <= vc <= price:
            raise InvalidInputError("variable.amount", "must be between zero and the transaction price")
        exact = relative_shares(vc, {k: ssps[k] for k in targets}, "variable.obligation_ids")
        rest = [x for x in lines if x.obligation_id not in targets]
        if rest:
            exact.update(_exact(price - vc, rest, {x.obligation_id: ssps[x.obligation_id] for x in rest}, discount))
    ordered = [exact[x.obligation_id] for x in lines]
    nums, den = common_denominator(ordered)
    amounts = distribute(nums, den, transaction_price, unit=rounding.unit, mode=rounding.mode, policy=rounding.policy)
    out = tuple(
        AllocatedLine(obligation_id=x.obligation_id, ssp=ssps[x.obligation_id], exact=e, amount=a)
        for x, e, a in zip(lines, ordered, amounts, strict=True)
    )
    return Allocation(currency=currency, transaction_price=transaction_price, lines=out)
