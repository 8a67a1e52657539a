"""SuiteQL value semantics: Oracle-style comparison and coercion, SQL three-valued logic, functions.

Values are ``int``, ``Decimal``, ``str``, ``date`` or ``None``. Comparing a number with a numeric string
compares numbers, and a date with a ``YYYY-MM-DD`` or ``M/D/YYYY`` string compares dates, as Oracle's
implicit conversion does; anything compared with NULL is unknown (``None``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .syntax import QueryError

__all__ = ["FUNCTIONS", "compare", "like", "number", "render"]


def number(value: Any) -> Decimal:
    """A value as a number, or Oracle's "invalid number"."""
    if isinstance(value, bool) or value is None:
        raise QueryError("Invalid number.")
    try:
        return Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise QueryError(f"Invalid number: '{value}'.") from None


def _as_date(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise QueryError(f"Invalid date: '{value}'.")


def _align(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, int | Decimal) or isinstance(b, int | Decimal):
        return number(a), number(b)
    if isinstance(a, date) and isinstance(b, str):
        return a, _as_date(b)
    if isinstance(b, date) and isinstance(a, str):
        return _as_date(a), b
    return a, b


_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le,
            ">=": operator.ge}


def compare(op: str, a: Any, b: Any) -> bool | None:
    """``a <op> b`` with implicit conversion; None when either side is NULL."""
    if a is None or b is None:
        return None
    a, b = _align(a, b)
    try:
        return bool(_COMPARE[op](a, b))
    except TypeError:
        raise QueryError(f"Cannot compare '{a}' with '{b}'.") from None


def like(value: Any, pattern: Any) -> bool | None:
    """Oracle ``LIKE`` (case-sensitive; ``%`` any run, ``_`` one character)."""
    if value is None or pattern is None:
        return None
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in str(pattern))
    return re.fullmatch(regex, render(value) or "", re.DOTALL) is not None


def render(value: Any) -> str | None:
    """A value as the SuiteQL REST response writes it: strings, dates as ``M/D/YYYY``, NULL omitted."""
    if value is None:
        return None
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    return str(value)


_DATE_FORMAT = (("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"), ("HH24", "%H"), ("MI", "%M"), ("SS", "%S"))


def _strftime_format(fmt: Any) -> str:
    text = str(fmt).upper()
    for oracle, python in _DATE_FORMAT:
        text = text.replace(oracle, python)
    return text


def _to_char(value: Any, fmt: Any = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, date) and fmt is not None:
        return value.strftime(_strftime_format(fmt))
    return render(value)


def _to_date(value: Any, fmt: Any = None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if fmt is None:
        return _as_date(str(value))
    try:
        return datetime.strptime(str(value), _strftime_format(fmt)).date()
    except ValueError:
        raise QueryError(f"The date '{value}' does not match the format '{fmt}'.") from None


def _round(value: Any, places: Any = 0) -> Decimal | None:
    if value is None:
        return None
    return number(value).quantize(Decimal(1).scaleb(-int(number(places))), rounding=ROUND_HALF_UP)


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name -> (implementation, min args, max args)
    "UPPER": (lambda v: None if v is None else str(v).upper(), 1, 1),
    "LOWER": (lambda v: None if v is None else str(v).lower(), 1, 1),
    "LENGTH": (lambda v: None if v is None else len(render(v) or ""), 1, 1),
    "NVL": (_coalesce, 2, 2),
    "COALESCE": (_coalesce, 1, 16),
    "ABS": (lambda v: None if v is None else abs(number(v)), 1, 1),
    "ROUND": (_round, 1, 2),
    "TO_NUMBER": (lambda v: None if v is None else number(v), 1, 1),
    "TO_CHAR": (_to_char, 1, 2),
    "TO_DATE": (_to_date, 1, 2),
    "CONCAT": (lambda a, b: (render(a) or "") + (render(b) or ""), 2, 2),
}
