"""WHERE clauses: type-checked at compile time, then evaluated per record.

Semantics follow SOQL: text comparisons and LIKE are case-insensitive; ``!=`` and ``NOT IN`` also match
records whose value is null; a date literal is a day range (``=`` inside it, ``<`` before its first day,
``>`` after its last day); ids compare in their 18-character form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from ..dml import parse_datetime
from ..ids import is_id, to18
from ..schema import FieldSpec, ObjectSpec
from ._ast import And, Comparison, Condition, Literal, Not, Or
from ._dates import date_range
from ._resolve import query_error, read, resolve

__all__ = ["Predicate", "compile_condition", "sort_key"]

Predicate = Callable[[dict[str, Any]], bool]
Records = dict[str, dict[str, dict[str, Any]]]
_TYPE_WORD = {"double": "double", "currency": "double", "percent": "double", "int": "int", "boolean": "boolean",
              "date": "date", "datetime": "dateTime"}


def _category(spec: FieldSpec) -> str:
    if spec.type in ("id", "reference"):
        return "id"
    if spec.numeric:
        return "number"
    if spec.type in ("boolean", "date", "datetime"):
        return spec.type
    return "text"


def normalise(spec: FieldSpec, value: Any) -> Any:
    """A stored value in the comparable domain of its field."""
    if value is None:
        return None
    category = _category(spec)
    if category == "text":
        return str(value).lower()
    if category == "date":
        return date.fromisoformat(value)
    if category == "datetime":
        return parse_datetime(value)
    if category == "number":
        return float(value)
    return value


class _Compiler:
    def __init__(self, obj: ObjectSpec, source: str, records: Records, today: date) -> None:
        self.obj, self.source, self.records, self.today = obj, source, records, today

    def fail(self, offset: int, message: str, code: str = "MALFORMED_QUERY") -> Exception:
        return query_error(code, self.source, offset, message)

    def literal(self, spec: FieldSpec, lit: Literal, offset: int) -> Any:
        """The literal in the field's domain; date literals become ``("range", first, last)``."""
        category = _category(spec)
        if lit.kind == "null":
            return None
        if category in ("text", "id"):
            if lit.kind != "string":
                raise self.fail(offset, f"value of filter criterion for field '{spec.name}' must be of type string "
                                "and should be enclosed in quotes")
            if category == "id":
                if not is_id(lit.value):
                    raise self.fail(offset, f"invalid ID field: {lit.value}", "INVALID_QUERY_FILTER_OPERATOR")
                return to18(lit.value)
            return lit.value.lower()
        expected = {"number": "number", "boolean": "boolean", "date": "date", "datetime": "datetime"}[category]
        if category in ("date", "datetime") and lit.kind == "date_literal":
            first, last = date_range(lit.value[0], lit.value[1], self.today)
            return ("range", first, last)
        if lit.kind != expected:
            raise self.fail(offset, f"value of filter criterion for field '{spec.name}' must be of type "
                            f"{_TYPE_WORD[spec.type]} and should not be enclosed in quotes")
        if category == "date":
            return date.fromisoformat(lit.value)
        if category == "datetime":
            return parse_datetime(lit.value)
        return float(lit.value) if category == "number" else lit.value

    def compile(self, cond: Condition) -> Predicate:
        if isinstance(cond, And):
            parts = [self.compile(item) for item in cond.items]
            return lambda rec: all(part(rec) for part in parts)
        if isinstance(cond, Or):
            parts = [self.compile(item) for item in cond.items]
            return lambda rec: any(part(rec) for part in parts)
        if isinstance(cond, Not):
            inner = self.compile(cond.item)
            return lambda rec: not inner(rec)
        return self.comparison(cond)

    def comparison(self, cmp: Comparison) -> Predicate:
        path = resolve(self.obj, cmp.field, self.source)
        spec, records = path.field, self.records

        def value(rec: dict[str, Any]) -> Any:
            return normalise(spec, read(records, rec, path))

        if cmp.op in ("INCLUDES", "EXCLUDES"):
            return self.includes(cmp, spec, value)
        if cmp.op in ("IN", "NOT IN"):
            assert isinstance(cmp.value, tuple)
            wanted = [self.literal(spec, lit, cmp.field.offset) for lit in cmp.value]
            negate = cmp.op == "NOT IN"
            return lambda rec: _in_any(value(rec), wanted) != negate
        assert isinstance(cmp.value, Literal)
        if cmp.op == "LIKE":
            if _category(spec) not in ("text", "id") or cmp.value.kind != "string":
                raise self.fail(cmp.field.offset, f"invalid operator on {_TYPE_WORD.get(spec.type, spec.type)} "
                                f"field: {spec.name}", "INVALID_QUERY_FILTER_OPERATOR")
            pattern = _like(cmp.value.value)
            return lambda rec: (v := read(records, rec, path)) is not None and pattern.fullmatch(str(v)) is not None
        wanted_one = self.literal(spec, cmp.value, cmp.field.offset)
        return lambda rec: _compare(value(rec), cmp.op, wanted_one)


    def includes(self, cmp: Comparison, spec: FieldSpec, value: Callable[[dict[str, Any]], Any]) -> Predicate:
        """``INCLUDES ('a;b', 'c')``: the record holds both a and b, or c (``EXCLUDES``: none of those holds)."""
        if spec.type != "multipicklist":
            raise self.fail(cmp.field.offset, "INCLUDES or EXCLUDES operator only valid on multipicklist field",
                            "INVALID_QUERY_FILTER_OPERATOR")
        assert isinstance(cmp.value, tuple)
        wanted = [{v.strip() for v in str(self.literal(spec, lit, cmp.field.offset) or "").split(";") if v.strip()}
                  for lit in cmp.value]
        negate = cmp.op == "EXCLUDES"

        def held(rec: dict[str, Any]) -> set[str]:
            return {v.strip() for v in (value(rec) or "").split(";") if v.strip()}

        return lambda rec: any(group and group <= held(rec) for group in wanted) != negate


def _in_any(value: Any, wanted: list[Any]) -> bool:
    return any(_compare(value, "=", item) for item in wanted)


def _compare(value: Any, op: str, wanted: Any) -> bool:
    if wanted is None:
        return (value is None) if op == "=" else (value is not None) if op == "!=" else False
    if value is None:
        return op == "!="
    if isinstance(wanted, tuple):
        day = value.date() if hasattr(value, "date") and callable(value.date) else value
        _, first, last = wanted
        checks = {"=": first <= day <= last, "!=": not first <= day <= last, "<": day < first, "<=": day <= last,
                  ">": day > last, ">=": day >= first}
        return checks[op]
    checks = {"=": lambda: value == wanted, "!=": lambda: value != wanted, "<": lambda: value < wanted,
              "<=": lambda: value <= wanted, ">": lambda: value > wanted, ">=": lambda: value >= wanted}
    return bool(checks[op]())


def _like(pattern: str) -> re.Pattern[str]:
    out, pos = [], 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "\\" and pos + 1 < len(pattern) and pattern[pos + 1] in "%_":
            out.append(re.escape(pattern[pos + 1]))
            pos += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        pos += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def compile_condition(obj: ObjectSpec, cond: Condition, source: str, records: Records, today: date) -> Predicate:
    """A predicate over ``obj`` records for a WHERE clause (raises query errors on bad fields or types)."""
    return _Compiler(obj, source, records, today).compile(cond)


def sort_key(spec: FieldSpec, value: Any) -> Any:
    """A sortable form of a stored value (text case-insensitive)."""
    return normalise(spec, value)
