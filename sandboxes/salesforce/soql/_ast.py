"""The SOQL syntax tree: what the parser builds and the evaluator walks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["And", "Comparison", "Condition", "Count", "FieldRef", "Literal", "Not", "Or", "OrderItem", "Query",
           "SelectItem", "SubQuery"]


@dataclass(frozen=True)
class FieldRef:
    """A field path: ``("Name",)`` or ``("Account", "Owner", "Name")``; ``offset`` points into the source."""

    path: tuple[str, ...]
    offset: int = 0

    @property
    def text(self) -> str:
        """The path as written (``Account.Name``)."""
        return ".".join(self.path)


@dataclass(frozen=True)
class Count:
    """``COUNT()`` (``field`` None) or ``COUNT(field) [alias]``."""

    field: FieldRef | None = None
    alias: str | None = None


@dataclass(frozen=True)
class SubQuery:
    """A child relationship sub-query in the select list."""

    query: Query


SelectItem = FieldRef | Count | SubQuery


@dataclass(frozen=True)
class Literal:
    """A value in a condition.

    ``kind`` is string, number, boolean, null, date, datetime or date_literal (``value`` then holds
    ``(name, n)``, e.g. ``("LAST_N_DAYS", 30)``).
    """

    kind: str
    value: Any
    offset: int = 0


@dataclass(frozen=True)
class Comparison:
    """``field op value``.

    ``op`` is one of ``= != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES``; for IN the value is a tuple.
    """

    field: FieldRef
    op: str
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class And:
    """All of ``items``."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """Any of ``items``."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The negation of ``item``."""

    item: Condition


Condition = Comparison | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    """One ``ORDER BY`` key; ``nulls_first`` None means the default (first for ASC, last for DESC)."""

    field: FieldRef
    descending: bool = False
    nulls_first: bool | None = None


@dataclass(frozen=True)
class Query:
    """A whole SELECT statement."""

    select: tuple[SelectItem, ...]
    sobject: str
    sobject_offset: int = 0
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = field(default_factory=tuple)
    limit: int | None = None
    offset: int | None = None
