"""SOQL for the sandbox: a tokenizer, a recursive-descent parser and an evaluator over the org's records.

Owns query semantics; never touches HTTP. :func:`execute` is the one entry point the REST layer uses;
:func:`parse` and the AST are public for tests and tools.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ..errors import SalesforceError
from ._ast import And, Comparison, Count, FieldRef, Literal, Not, Or, OrderItem, Query, SubQuery
from ._dates import date_range
from ._eval import Result, run
from ._lexer import SoqlSyntaxError, tokenize
from ._parser import parse
from ._resolve import located

__all__ = ["And", "Comparison", "Count", "FieldRef", "Literal", "Not", "Or", "OrderItem", "Query", "Result",
           "SoqlSyntaxError", "SubQuery", "date_range", "execute", "parse", "tokenize"]


def execute(source: str, records: dict[str, dict[str, dict[str, Any]]],
            rows: Callable[[str], list[dict[str, Any]]], today: date) -> Result:
    """Parse and run a SOQL statement; syntax errors become ``MALFORMED_QUERY``.

    Raises:
        SalesforceError: ``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE`` or
            ``INVALID_QUERY_FILTER_OPERATOR`` with Salesforce's positioned message.
    """
    try:
        query = parse(source)
    except SoqlSyntaxError as exc:
        raise SalesforceError(400, "MALFORMED_QUERY", located(source, exc.offset, exc.message)) from None
    return run(query, source, records, rows, today)
