"""SOQL tokens: identifiers, keywords, string/number/date/datetime literals and operators, with positions."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KEYWORDS", "SoqlSyntaxError", "Token", "tokenize"]

KEYWORDS = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST",
    "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE", "COUNT", "INCLUDES", "EXCLUDES", "GROUP", "HAVING",
})
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\",
            "%": "\\%", "_": "\\_"}
_PATTERNS = [
    ("DATETIME", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})"),
    ("DATE", r"\d{4}-\d{2}-\d{2}(?![\dT])"),
    ("NUMBER", r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?![\w.])"),
    ("IDENT", r"[A-Za-z_][A-Za-z0-9_]*(?::-?\d+)?"),
    ("STRING", r"'"),
    ("OP", r"!=|<>|<=|>=|=|<|>"),
    ("PUNCT", r"[(),.]"),
]
_MASTER = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS))


class SoqlSyntaxError(Exception):
    """A lexing or parsing failure at a character offset (reported as ``MALFORMED_QUERY``)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Token:
    """One token.

    ``kind`` is a keyword (upper-cased), ``IDENT``, ``STRING``, ``NUMBER``, ``DATE``, ``DATETIME``, ``OP``,
    ``PUNCT`` or ``EOF``.
    """

    kind: str
    text: str
    offset: int

    def shown(self) -> str:
        """How Salesforce quotes the token in ``unexpected token`` messages."""
        return "<EOF>" if self.kind == "EOF" else f"'{self.text}'" if self.kind == "STRING" else self.text


def _string(source: str, start: int) -> tuple[str, int]:
    """Read a quoted literal starting at the opening quote; returns (value, end offset)."""
    out, pos = [], start + 1
    while pos < len(source):
        char = source[pos]
        if char == "'":
            return "".join(out), pos + 1
        if char == "\\":
            nxt = source[pos + 1] if pos + 1 < len(source) else ""
            if nxt not in _ESCAPES:
                raise SoqlSyntaxError(f"Invalid string literal '{source[start:pos + 2]}'. Illegal character "
                                      "sequence '\\" + nxt + "' in string literal.", pos)
            out.append(_ESCAPES[nxt])
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise SoqlSyntaxError("unexpected token: <EOF>", len(source))


def tokenize(source: str) -> list[Token]:
    """Split a SOQL statement into tokens (ending with an ``EOF`` token)."""
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(source) and source[pos].isspace():
            pos += 1
        if pos >= len(source):
            tokens.append(Token("EOF", "", pos))
            return tokens
        match = _MASTER.match(source, pos)
        if match is None:
            raise SoqlSyntaxError(f"unexpected token: '{source[pos]}'", pos)
        kind, text = match.lastgroup or "", match.group()
        if kind == "STRING":
            value, end = _string(source, pos)
            tokens.append(Token("STRING", value, pos))
            pos = end
            continue
        if kind == "IDENT" and text.upper() in KEYWORDS:
            kind = text.upper()
        tokens.append(Token(kind, text, pos))
        pos = match.end()
