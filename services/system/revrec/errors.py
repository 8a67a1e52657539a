"""Domain errors of the revrec API and the mapping of engine errors onto RFC 9457 problems.

The engine raises an ``EngineError`` naming the engine's own field (``lines[2].ssp``) and a reason; a client
must see the field of *its* request (``obligations.2.standalone_selling_price``). ``engine_problem`` does the
translation and picks the status: malformed values are 400 ``validation``, well-formed input that breaks a
revenue rule (SSPs summing to zero, a residual with nothing left, overlapping modifications) is 422
``business-rule``. Never a 500, never a wrong number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from contracts.problems import FieldError
from services.runtime.problems import ServiceError
from services.system.revrec.engine import (
    EngineError,
    OverlappingModificationError,
    ResidualApproachError,
    ZeroSSPTotalError,
)

__all__ = [
    "ContractNotFound",
    "RevrecConflict",
    "RevrecInputError",
    "RevrecRuleError",
    "engine_problem",
    "field_error",
]


class ContractNotFound(ServiceError):
    slug = "not-found"


class RevrecConflict(ServiceError):
    """Concurrent change, a period already closed, or a billing document linked twice."""

    slug = "conflict"


class RevrecInputError(ServiceError):
    """A request value the engine cannot work with (400, naming the field)."""

    slug = "validation"


class RevrecRuleError(ServiceError):
    """Well-formed input that breaks a revenue-recognition rule (422, naming the field)."""

    slug = "business-rule"


_RULES = (ZeroSSPTotalError, ResidualApproachError, OverlappingModificationError)

# Engine field paths -> request field paths (dotted, like the runtime's validation errors).
_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"^lines\[(\d+)\]\.ssp.*$", r"obligations.\1.standalone_selling_price"),
    (r"^lines\[(\d+)\]\.obligation_id$", r"obligations.\1.id"),
    (r"^obligations\[(\d+)\]\.ssp.*$", r"obligations.\1.standalone_selling_price"),
    (r"^obligations\[(\d+)\]\.end$", r"obligations.\1.end_date"),
    (r"^lines$", "obligations"),
    (r"^lines\..+\.residual_range$", "residual_obligation_ids"),
    (r"^discount\.obligation_ids$", "discount_obligation_ids"),
    (r"^modifications?(\[\d+\])?\.(effective|version)$", "effective_date"),
    (r"^modification\.obligation_id$", "obligation_id"),
    (r"^convention\.unit$", "convention.rounding_unit_minor"),
    (r"^unit$", "convention.rounding_unit_minor"),
))


def _translate(field: str, where: Mapping[str, str]) -> str:
    if field in where:
        return where[field]
    for pattern, replacement in _TRANSLATIONS:
        if pattern.match(field):
            return pattern.sub(replacement, field)
    return field


def field_error(field: str, message: str, *, rule: bool = False, source: str = "body") -> ServiceError:
    """A problem naming one request ``field``: 422 ``business-rule`` when ``rule``, else 400 ``validation``.

    ``source`` says where the field lives (``body``, ``path`` or ``query``).
    """
    cls = RevrecRuleError if rule else RevrecInputError
    return cls(f"{field}: {message}", errors=[FieldError(field=field, source=source, message=message)])


def engine_problem(exc: EngineError, where: Mapping[str, str] | None = None) -> ServiceError:
    """Turn an engine error into a problem naming the request field.

    Args:
        exc: The engine's error (its ``field`` is an engine path, its ``reason`` is safe to show).
        where: Call-site translations of engine fields that depend on context (``{"end": "obligations.2.end_date"}``).
    """
    return field_error(_translate(exc.field, where or {}), exc.reason, rule=isinstance(exc, _RULES))
