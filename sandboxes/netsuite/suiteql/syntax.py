"""SuiteQL tokens and syntax tree: the Oracle-flavoured SELECT subset a connector uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Between",
    "Binary",
    "Column",
    "Func",
    "InList",
    "IsNull",
    "Join",
    "Like",
    "Literal",
    "Node",
    "OrderItem",
    "QueryError",
    "Select",
    "SelectItem",
    "Star",
    "TableRef",
    "Token",
    "Unary",
    "tokenize",
]


class QueryError(ValueError):
    """A query the sandbox cannot parse or run; NetSuite answers it with a 400 ``INVALID_PARAMETER``."""


@dataclass(frozen=True)
class Token:
    """One lexical token: ``num``, ``str``, ``ident``, ``op`` or ``end``."""

    kind: str
    value: str
    pos: int


_TOKEN = re.compile(r"""
    (?P<ws>\s+|--[^\n]*)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'(?:[^']|'')*')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_$#]*)
  | (?P<qident>"[^"]+")
  | (?P<op><>|!=|<=|>=|\|\||[=<>(),.*+\-/])
""", re.VERBOSE)


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens (identifiers keep their spelling; the parser compares them upper-cased).

    Raises:
        QueryError: A character no token starts with, or an unterminated string.
    """
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise QueryError(f"Unexpected character {text[pos]!r} at position {pos + 1}.")
        kind = match.lastgroup or "ws"
        value = match.group()
        if kind == "str":
            tokens.append(Token("str", value[1:-1].replace("''", "'"), pos))
        elif kind == "qident":
            tokens.append(Token("ident", value[1:-1], pos))
        elif kind != "ws":
            tokens.append(Token(kind, value, pos))
        pos = match.end()
    tokens.append(Token("end", "", pos))
    return tokens


class Node:
    """Base of expression nodes."""


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Column(Node):
    table: str | None
    name: str


@dataclass(frozen=True)
class Star(Node):
    table: str | None


@dataclass(frozen=True)
class Func(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class InList(Node):
    expr: Node
    items: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like(Node):
    expr: Node
    pattern: Node
    negated: bool = False


@dataclass(frozen=True)
class IsNull(Node):
    expr: Node
    negated: bool = False


@dataclass(frozen=True)
class Between(Node):
    expr: Node
    low: Node
    high: Node
    negated: bool = False


@dataclass(frozen=True)
class SelectItem:
    expr: Node
    alias: str | None = None


@dataclass(frozen=True)
class TableRef:
    name: str
    alias: str


@dataclass(frozen=True)
class Join:
    kind: str
    """``INNER`` or ``LEFT``."""
    table: TableRef
    on: Node


@dataclass(frozen=True)
class OrderItem:
    expr: Node
    descending: bool = False


@dataclass(frozen=True)
class Select:
    items: tuple[SelectItem, ...]
    table: TableRef
    joins: tuple[Join, ...] = ()
    where: Node | None = None
    order: tuple[OrderItem, ...] = ()
    distinct: bool = False
