"""Running a parsed SELECT over in-memory tables: joins, filters, projection, ordering.

Column references are resolved against the tables in scope before any row is read, so a misspelled
field is an error even on an empty table. ``WHERE`` and ``ON`` keep only rows where the condition is true
(unknown is not true). ``ORDER BY`` accepts select aliases, positions and expressions; NULLs sort last
ascending and first descending, as Oracle does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .syntax import (
    Between,
    Binary,
    Column,
    Func,
    InList,
    IsNull,
    Like,
    Literal,
    Node,
    QueryError,
    Select,
    Star,
    Unary,
)
from .values import FUNCTIONS, compare, like, number, render

__all__ = ["Table", "execute"]

Row = dict[str, dict[str, Any] | None]


@dataclass
class Table:
    """One SuiteQL table: column names, rows, and display names for ``BUILTIN.DF``."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    displays: dict[str, Any] = field(default_factory=dict)
    """Column -> {value: display name}, or a function of the row (status names depend on the type)."""


class _Scope:
    def __init__(self, select: Select, tables: Mapping[str, Table]) -> None:
        self.tables: dict[str, Table] = {}
        for ref in (select.table, *(j.table for j in select.joins)):
            if ref.name not in tables:
                raise QueryError(f"Record '{ref.name}' was not found.")
            if ref.alias in self.tables:
                raise QueryError(f"The alias '{ref.alias}' is used twice.")
            self.tables[ref.alias] = tables[ref.name]

    def resolve(self, col: Column) -> tuple[str, str]:
        if col.table is not None:
            table = self.tables.get(col.table)
            if table is None:
                raise QueryError(f"Unknown table alias '{col.table}'.")
            if col.name not in table.columns:
                raise QueryError(f"Field '{col.name}' for record '{table.name}' was not found.")
            return col.table, col.name
        owners = [alias for alias, table in self.tables.items() if col.name in table.columns]
        if len(owners) != 1:
            reason = "was not found" if not owners else "is ambiguous"
            raise QueryError(f"Field '{col.name}' {reason}.")
        return owners[0], col.name


def _check(node: Any, scope: _Scope, aliases: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    if isinstance(node, Column):
        if not (node.table is None and node.name in aliases):
            scope.resolve(node)
    elif isinstance(node, Func):
        if node.name not in FUNCTIONS and node.name != "BUILTIN.DF":
            raise QueryError(f"Unsupported function '{node.name}'.")
        low, high = FUNCTIONS.get(node.name, (None, 1, 1))[1:]
        if not low <= len(node.args) <= high or any(isinstance(a, Star) for a in node.args):
            raise QueryError(f"Wrong number of arguments for '{node.name}'.")
        if node.name == "BUILTIN.DF" and not isinstance(node.args[0], Column):
            raise QueryError("BUILTIN.DF takes a field.")
    elif isinstance(node, Star) and node.table is not None and node.table not in scope.tables:
        raise QueryError(f"Unknown table alias '{node.table}'.")
    for child in _children(node):
        _check(child, scope, aliases)


def _children(node: Any) -> tuple[Any, ...]:
    if isinstance(node, Func):
        return node.args
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return node.left, node.right
    if isinstance(node, InList):
        return node.expr, *node.items
    if isinstance(node, Like):
        return node.expr, node.pattern
    if isinstance(node, IsNull):
        return (node.expr,)
    if isinstance(node, Between):
        return node.expr, node.low, node.high
    return ()


_NUMBER_LISTS: dict[int, tuple[InList, frozenset[Any] | None]] = {}


def _number_list(node: InList) -> frozenset[Any] | None:
    """The values of an ``IN`` list made only of number literals (compared as numbers whatever the left side)."""
    cached = _NUMBER_LISTS.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    numbers = None
    if node.items and all(isinstance(i, Literal) and isinstance(i.value, int | Decimal)
                          and not isinstance(i.value, bool) for i in node.items):
        numbers = frozenset(number(i.value) for i in node.items)  # type: ignore[attr-defined]
    if len(_NUMBER_LISTS) > 256:
        _NUMBER_LISTS.clear()
    _NUMBER_LISTS[id(node)] = (node, numbers)
    return numbers


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "||":
        return (render(a) or "") + (render(b) or "")
    if a is None or b is None:
        return None
    x, y = number(a), number(b)
    if op == "/" and y == 0:
        raise QueryError("Division by zero.")
    return {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else None}[op]


class _Eval:
    def __init__(self, scope: _Scope) -> None:
        self.scope = scope

    def value(self, node: Node, row: Row) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Column):
            alias, name = self.scope.resolve(node)
            data = row.get(alias)
            return None if data is None else data.get(name)
        if isinstance(node, Func):
            return self._call(node, row)
        if isinstance(node, Unary):
            inner = self.value(node.operand, row)
            if node.op == "NOT":
                return None if inner is None else not inner
            return None if inner is None else -number(inner)
        if isinstance(node, Binary):
            if node.op in ("AND", "OR"):  # the right side is not evaluated when the left decides (as Oracle may)
                left = self.value(node.left, row)
                if left is (node.op == "OR"):
                    return left
                combine = _and if node.op == "AND" else _or
                return combine(left, self.value(node.right, row))
            if node.op in ("+", "-", "*", "/", "||"):
                return _arith(node.op, self.value(node.left, row), self.value(node.right, row))
            return compare(node.op, self.value(node.left, row), self.value(node.right, row))
        return self._predicate(node, row)

    def _predicate(self, node: Node, row: Row) -> bool | None:
        if isinstance(node, IsNull):
            return (self.value(node.expr, row) is None) != node.negated
        if isinstance(node, InList):
            left = self.value(node.expr, row)
            numbers = _number_list(node)
            if numbers is not None and left is not None:  # a list of number literals: one set lookup
                return (number(left) in numbers) != node.negated
            found: bool | None = False
            for item in node.items:
                found = _or(found, compare("=", left, self.value(item, row)))
            return None if found is None else found != node.negated
        if isinstance(node, Like):
            result = like(self.value(node.expr, row), self.value(node.pattern, row))
            return None if result is None else result != node.negated
        if isinstance(node, Between):
            left = self.value(node.expr, row)
            inside = _and(compare(">=", left, self.value(node.low, row)),
                          compare("<=", left, self.value(node.high, row)))
            return None if inside is None else inside != node.negated
        raise QueryError("Unsupported expression.")

    def _call(self, node: Func, row: Row) -> Any:
        if node.name == "BUILTIN.DF":
            column = node.args[0]
            assert isinstance(column, Column)
            alias, name = self.scope.resolve(column)
            raw = self.value(column, row)
            names = self.scope.tables[alias].displays.get(name)
            if callable(names):
                data = row.get(alias)
                return names(data) if data is not None and raw is not None else None
            return (names or {}).get(raw, raw)
        return FUNCTIONS[node.name][0](*(self.value(arg, row) for arg in node.args))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _equi_join(join: Any, scope: _Scope) -> tuple[Column, str, dict[Decimal, list[dict[str, Any]]]] | None:
    """An index for ``ON x.a = joined.b`` over a column holding only numbers (ids), else ``None``.

    Returns the other side's column, the joined column and the joined table's rows by number; a join of another
    shape is evaluated pair by pair.
    """
    on, alias = join.on, join.table.alias
    if not (isinstance(on, Binary) and on.op == "=" and isinstance(on.left, Column) and isinstance(on.right, Column)):
        return None
    sides = [(scope.resolve(on.left), on.right), (scope.resolve(on.right), on.left)]
    for (owner, name), other in sides:
        if owner == alias and scope.resolve(other)[0] != alias:
            index: dict[Decimal, list[dict[str, Any]]] = {}
            for record in scope.tables[alias].rows:
                value = record.get(name)
                if value is None:
                    continue
                if not _is_number(value):
                    return None
                index.setdefault(Decimal(value), []).append(record)
            return other, name, index
    return None


def _rows(select: Select, scope: _Scope, ev: _Eval) -> list[Row]:
    rows: list[Row] = [{select.table.alias: r} for r in scope.tables[select.table.alias].rows]
    for join in select.joins:
        joined: list[Row] = []
        alias, hashed = join.table.alias, _equi_join(join, scope)
        for row in rows:
            probe = ev.value(hashed[0], row) if hashed is not None else None
            if hashed is not None and (probe is None or _is_number(probe)):
                # Same answers as comparing every pair: numbers equal as numbers, NULL equals nothing.
                found = hashed[2].get(Decimal(probe), []) if probe is not None else []
                matches = [{**row, alias: r} for r in found]
            else:
                matches = [{**row, alias: r} for r in scope.tables[alias].rows
                           if ev.value(join.on, {**row, alias: r}) is True]
            joined += matches or ([{**row, alias: None}] if join.kind == "LEFT" else [])
        rows = joined
    if select.where is not None:
        rows = [row for row in rows if ev.value(select.where, row) is True]
    return rows


def _project(select: Select, scope: _Scope, ev: _Eval, row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, item in enumerate(select.items, start=1):
        if isinstance(item.expr, Star):
            for alias, table in scope.tables.items():
                if item.expr.table in (None, alias):
                    data = row.get(alias) or {}
                    out.update({c: data.get(c) for c in table.columns})
            continue
        name = item.alias or (item.expr.name if isinstance(item.expr, Column) else f"expr{index}")
        out[name.lower()] = ev.value(item.expr, row)
    return out


def _sort(select: Select, ev: _Eval, pairs: list[tuple[Row, dict[str, Any]]]) -> None:
    names = list(pairs[0][1]) if pairs else []
    for order in reversed(select.order):
        expr = order.expr

        def key(pair: tuple[Row, dict[str, Any]], expr: Node = expr) -> tuple[int, Any]:
            row, out = pair
            if isinstance(expr, Literal) and isinstance(expr.value, int) and 1 <= expr.value <= len(names):
                value = out[names[expr.value - 1]]
            elif isinstance(expr, Column) and expr.table is None and expr.name in out:
                value = out[expr.name]
            else:
                value = ev.value(expr, row)
            return (1, 0) if value is None else (0, value)

        try:
            pairs.sort(key=key, reverse=order.descending)
        except TypeError:
            raise QueryError("ORDER BY mixes values that cannot be compared.") from None


def execute(select: Select, tables: Mapping[str, Table]) -> list[dict[str, Any]]:
    """Run ``select``; returns every result row (column name -> value), in order.

    Raises:
        QueryError: Unknown table or field, unsupported function, or a value error while evaluating.
    """
    scope = _Scope(select, tables)
    aliases = {i.alias.lower() for i in select.items if i.alias}
    for item in select.items:
        _check(item.expr, scope)
    for join in select.joins:
        _check(join.on, scope)
    _check(select.where, scope)
    for order in select.order:
        _check(order.expr, scope, aliases | {i.expr.name for i in select.items if isinstance(i.expr, Column)})
    ev = _Eval(scope)
    pairs = [(row, _project(select, scope, ev, row)) for row in _rows(select, scope, ev)]
    _sort(select, ev, pairs)
    results = [out for _, out in pairs]
    if select.distinct:
        seen, unique = set(), []
        for out in results:
            marker = tuple(sorted((k, render(v)) for k, v in out.items()))
            if marker not in seen:
                seen.add(marker)
                unique.append(out)
        results = unique
    return results
