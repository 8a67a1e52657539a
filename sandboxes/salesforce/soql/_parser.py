"""A recursive-descent parser for the SOQL subset connectors use.

Grammar (keywords case-insensitive)::

    query      := SELECT items FROM ident [WHERE or] [ORDER BY order (, order)*] [LIMIT n] [OFFSET n]
    items      := item (, item)*
    item       := COUNT ( [path] ) [alias] | ( query ) | path
    or         := and (OR and)*          -- mixing AND and OR needs parentheses, as in SOQL
    and        := unary (AND unary)*
    unary      := NOT unary | ( or ) | comparison
    comparison := path (op value | [NOT] IN ( value (, value)* ) | LIKE string | INCLUDES/EXCLUDES (…))
    value      := string | number | TRUE | FALSE | NULL | date | datetime | DATE_LITERAL[:n]
"""

from __future__ import annotations

from ._ast import And, Comparison, Condition, Count, FieldRef, Literal, Not, Or, OrderItem, Query, SelectItem, SubQuery
from ._lexer import SoqlSyntaxError, Token, tokenize

__all__ = ["DATE_LITERALS", "parse"]

# Date literals without a number, and those taking ``:n``.
DATE_LITERALS = frozenset({"TODAY", "YESTERDAY", "TOMORROW", "THIS_MONTH", "LAST_MONTH", "NEXT_MONTH",
                           "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR", "LAST_90_DAYS", "NEXT_90_DAYS"})
N_DATE_LITERALS = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS", "LAST_N_MONTHS", "NEXT_N_MONTHS"})


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.pos = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def error(self, token: Token | None = None) -> SoqlSyntaxError:
        token = token or self.tok
        return SoqlSyntaxError(f"unexpected token: {token.shown()}", token.offset)

    def take(self, *kinds: str) -> Token:
        if self.tok.kind not in kinds:
            raise self.error()
        token = self.tok
        self.pos += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        if self.tok.kind == kind and (text is None or self.tok.text == text):
            token = self.tok
            self.pos += 1
            return token
        return None

    def query(self) -> Query:
        self.take("SELECT")
        items = [self.item()]
        while self.accept("PUNCT", ","):
            items.append(self.item())
        self.take("FROM")
        sobject = self.take("IDENT", "ORDER")  # ``Order`` is an sObject as well as a keyword
        where = self.disjunction() if self.accept("WHERE") else None
        order: list[OrderItem] = []
        if self.accept("ORDER"):
            self.take("BY")
            order.append(self.order_item())
            while self.accept("PUNCT", ","):
                order.append(self.order_item())
        limit = int(self.take("NUMBER").text) if self.accept("LIMIT") else None
        offset = int(self.take("NUMBER").text) if self.accept("OFFSET") else None
        return Query(tuple(items), sobject.text, sobject.offset, where, tuple(order), limit, offset)

    def path(self) -> FieldRef:
        first = self.take("IDENT")
        parts = [first.text]
        while self.accept("PUNCT", "."):
            parts.append(self.take("IDENT").text)
        return FieldRef(tuple(parts), first.offset)

    def item(self) -> SelectItem:
        if self.accept("COUNT"):
            if not self.accept("PUNCT", "("):
                raise self.error()
            target = None if self.tok.text == ")" else self.path()
            if not self.accept("PUNCT", ")"):
                raise self.error()
            alias = self.take("IDENT").text if target is not None and self.tok.kind == "IDENT" else None
            return Count(target, alias)
        if self.accept("PUNCT", "("):
            sub = self.query()
            if not self.accept("PUNCT", ")"):
                raise self.error()
            return SubQuery(sub)
        return self.path()

    def order_item(self) -> OrderItem:
        ref = self.path()
        descending = self.accept("DESC") is not None
        if not descending:
            self.accept("ASC")
        nulls_first = None
        if self.accept("NULLS"):
            nulls_first = self.take("FIRST", "LAST").kind == "FIRST"
        return OrderItem(ref, descending, nulls_first)

    def disjunction(self) -> Condition:
        first = self.conjunction()
        if self.tok.kind != "OR":
            return first
        if isinstance(first, And):
            raise self.error()
        items = [first]
        while self.accept("OR"):
            items.append(self.unary())
            if self.tok.kind == "AND":
                raise self.error()
        return Or(tuple(items))

    def conjunction(self) -> Condition:
        items = [self.unary()]
        while self.accept("AND"):
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Condition:
        if self.accept("NOT"):
            return Not(self.unary())
        if self.accept("PUNCT", "("):
            inner = self.disjunction()
            if not self.accept("PUNCT", ")"):
                raise self.error()
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        ref = self.path()
        if self.accept("NOT"):
            self.take("IN")
            return Comparison(ref, "NOT IN", self.value_list())
        if self.accept("IN"):
            return Comparison(ref, "IN", self.value_list())
        for kw in ("INCLUDES", "EXCLUDES"):
            if self.accept(kw):
                return Comparison(ref, kw, self.value_list())
        if self.accept("LIKE"):
            return Comparison(ref, "LIKE", self.literal())
        op = self.take("OP").text
        return Comparison(ref, "!=" if op == "<>" else op, self.literal())

    def value_list(self) -> tuple[Literal, ...]:
        if not self.accept("PUNCT", "("):
            raise self.error()
        if self.tok.kind == "SELECT":
            raise SoqlSyntaxError("semi-join sub-selects are not supported by this sandbox", self.tok.offset)
        values = [self.literal()]
        while self.accept("PUNCT", ","):
            values.append(self.literal())
        if not self.accept("PUNCT", ")"):
            raise self.error()
        return tuple(values)

    def literal(self) -> Literal:
        tok = self.tok
        simple = {"STRING": ("string", tok.text), "DATE": ("date", tok.text), "DATETIME": ("datetime", tok.text),
                  "TRUE": ("boolean", True), "FALSE": ("boolean", False), "NULL": ("null", None)}
        if tok.kind in simple:
            self.pos += 1
            kind, value = simple[tok.kind]
            return Literal(kind, value, tok.offset)
        if tok.kind == "NUMBER":
            self.pos += 1
            number = float(tok.text)
            return Literal("number", int(number) if number.is_integer() and "." not in tok.text else number,
                           tok.offset)
        if tok.kind == "IDENT":
            return self.date_literal(tok)
        raise self.error()

    def date_literal(self, tok: Token) -> Literal:
        name, _, n = tok.text.upper().partition(":")
        if name in DATE_LITERALS and not n:
            self.pos += 1
            return Literal("date_literal", (name, 0), tok.offset)
        if name in N_DATE_LITERALS and n and n.lstrip("-").isdigit():
            self.pos += 1
            return Literal("date_literal", (name, int(n)), tok.offset)
        raise self.error()


def parse(source: str) -> Query:
    """Parse one SELECT statement.

    Raises:
        SoqlSyntaxError: The statement is not valid SOQL (or uses a construct outside the subset).
    """
    parser = _Parser(source)
    query = parser.query()
    if parser.tok.kind != "EOF":
        raise parser.error()
    return query
