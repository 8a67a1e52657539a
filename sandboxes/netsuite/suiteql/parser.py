"""A recursive-descent parser for the SuiteQL SELECT subset.

Grammar (keywords case-insensitive)::

    select    := SELECT [DISTINCT] items FROM table join* [WHERE expr] [ORDER BY order (',' order)*]
    items     := '*' | item (',' item)*            item := alias '.' '*' | expr [[AS] alias]
    table     := name [[AS] alias]                 join := [INNER | LEFT [OUTER]] JOIN table ON expr
    expr      := and (OR and)*                     and  := not (AND not)*       not := NOT not | predicate
    predicate := sum [cmp sum | [NOT] IN '(' expr, ... ')' | [NOT] LIKE sum | IS [NOT] NULL
                      | [NOT] BETWEEN sum AND sum]
    sum       := product (('+' | '-' | '||') product)*      product := unary (('*' | '/') unary)*
    unary     := '-' unary | primary
    primary   := number | 'string' | NULL | DATE 'yyyy-mm-dd' | '(' expr ')' | name ['.' name]* ['(' args ')']
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .syntax import (
    Between,
    Binary,
    Column,
    Func,
    InList,
    IsNull,
    Join,
    Like,
    Literal,
    Node,
    OrderItem,
    QueryError,
    Select,
    SelectItem,
    Star,
    TableRef,
    Token,
    Unary,
    tokenize,
)

__all__ = ["parse"]

_RESERVED = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "JOIN", "INNER", "LEFT",
             "OUTER", "ON", "ORDER", "BY", "ASC", "DESC", "AS", "BETWEEN", "DISTINCT", "RIGHT", "FULL", "GROUP",
             "HAVING", "UNION", "FETCH", "NULLS"}
_COMPARISONS = {"=", "!=", "<>", "<", ">", "<=", ">="}


def parse(text: str) -> Select:
    """Parse one SELECT statement.

    Raises:
        QueryError: The text is not a statement of the supported subset.
    """
    return _Parser(tokenize(text)).statement()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    # --- token helpers --------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def _kw(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.value.upper() in words

    def _accept_kw(self, *words: str) -> bool:
        if self._kw(*words):
            self.pos += 1
            return True
        return False

    def _expect_kw(self, word: str) -> None:
        if not self._accept_kw(word):
            raise self._error(f"{word} expected")

    def _accept_op(self, *ops: str) -> str | None:
        if self.tok.kind == "op" and self.tok.value in ops:
            self.pos += 1
            return self.tokens[self.pos - 1].value
        return None

    def _expect_op(self, op: str) -> None:
        if self._accept_op(op) is None:
            raise self._error(f"'{op}' expected")

    def _error(self, what: str) -> QueryError:
        found = self.tok.value or "end of query"
        return QueryError(f"Syntax error: {what} near '{found}' at position {self.tok.pos + 1}.")

    def _name(self) -> str:
        if self.tok.kind != "ident" or self.tok.value.upper() in _RESERVED:
            raise self._error("a name")
        self.pos += 1
        return self.tokens[self.pos - 1].value

    # --- statement ------------------------------------------------------------------------------

    def statement(self) -> Select:
        self._expect_kw("SELECT")
        distinct = self._accept_kw("DISTINCT")
        items = self._items()
        self._expect_kw("FROM")
        table = self._table()
        joins = []
        while self._kw("JOIN", "INNER", "LEFT"):
            joins.append(self._join())
        where = self.expr() if self._accept_kw("WHERE") else None
        order: list[OrderItem] = []
        if self._accept_kw("ORDER"):
            self._expect_kw("BY")
            order.append(self._order())
            while self._accept_op(","):
                order.append(self._order())
        if self.tok.kind != "end":
            raise self._error("end of query")
        return Select(tuple(items), table, tuple(joins), where, tuple(order), distinct)

    def _items(self) -> list[SelectItem]:
        items = [self._item()]
        while self._accept_op(","):
            items.append(self._item())
        return items

    def _item(self) -> SelectItem:
        if self._accept_op("*"):
            return SelectItem(Star(None))
        nxt = self.tokens[self.pos + 1: self.pos + 3]
        if self.tok.kind == "ident" and len(nxt) == 2 and nxt[0].value == "." and nxt[1].value == "*":
            table = self._name()
            self.pos += 2
            return SelectItem(Star(table))
        expr = self.expr()
        alias = None
        if self._accept_kw("AS") or (self.tok.kind == "ident" and self.tok.value.upper() not in _RESERVED):
            alias = self._name()
        return SelectItem(expr, alias)

    def _table(self) -> TableRef:
        name = self._name()
        self._accept_kw("AS")
        alias = self._name() if self.tok.kind == "ident" and self.tok.value.upper() not in _RESERVED else name
        return TableRef(name.lower(), alias.lower())

    def _join(self) -> Join:
        kind = "INNER"
        if self._accept_kw("LEFT"):
            kind = "LEFT"
            self._accept_kw("OUTER")
        else:
            self._accept_kw("INNER")
        self._expect_kw("JOIN")
        table = self._table()
        self._expect_kw("ON")
        return Join(kind, table, self.expr())

    def _order(self) -> OrderItem:
        expr = self.expr()
        if self._accept_kw("DESC"):
            return OrderItem(expr, True)
        self._accept_kw("ASC")
        return OrderItem(expr, False)

    # --- expressions ----------------------------------------------------------------------------

    def expr(self) -> Node:
        node = self._and()
        while self._accept_kw("OR"):
            node = Binary("OR", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._not()
        while self._accept_kw("AND"):
            node = Binary("AND", node, self._not())
        return node

    def _not(self) -> Node:
        if self._accept_kw("NOT"):
            return Unary("NOT", self._not())
        return self._predicate()

    def _predicate(self) -> Node:
        left = self._sum()
        op = self._accept_op(*_COMPARISONS)
        if op is not None:
            return Binary("!=" if op == "<>" else op, left, self._sum())
        if self._accept_kw("IS"):
            negated = self._accept_kw("NOT")
            self._expect_kw("NULL")
            return IsNull(left, negated)
        negated = self._accept_kw("NOT")
        if self._accept_kw("IN"):
            self._expect_op("(")
            items = [self.expr()]
            while self._accept_op(","):
                items.append(self.expr())
            self._expect_op(")")
            return InList(left, tuple(items), negated)
        if self._accept_kw("LIKE"):
            return Like(left, self._sum(), negated)
        if self._accept_kw("BETWEEN"):
            low = self._sum()
            self._expect_kw("AND")
            return Between(left, low, self._sum(), negated)
        if negated:
            raise self._error("IN, LIKE or BETWEEN")
        return left

    def _sum(self) -> Node:
        node = self._product()
        while (op := self._accept_op("+", "-", "||")) is not None:
            node = Binary(op, node, self._product())
        return node

    def _product(self) -> Node:
        node = self._unary()
        while (op := self._accept_op("*", "/")) is not None:
            node = Binary(op, node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._accept_op("-"):
            return Unary("-", self._unary())
        return self._primary()

    def _primary(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.pos += 1
            return Literal(int(tok.value) if tok.value.isdigit() else Decimal(tok.value))
        if tok.kind == "str":
            self.pos += 1
            return Literal(tok.value)
        if self._accept_op("("):
            node = self.expr()
            self._expect_op(")")
            return node
        if self._accept_kw("NULL"):
            return Literal(None)
        if self._kw("DATE") and self.tokens[self.pos + 1].kind == "str":
            self.pos += 2
            try:
                return Literal(date.fromisoformat(self.tokens[self.pos - 1].value))
            except ValueError:
                raise QueryError(f"Invalid date literal '{self.tokens[self.pos - 1].value}'.") from None
        return self._name_or_call()

    def _name_or_call(self) -> Node:
        parts = [self._name()]
        while self._accept_op("."):
            parts.append(self._name())
        if self._accept_op("("):
            args: list[Node] = []
            if self._accept_op(")") is None:
                args.append(Star(None) if self._accept_op("*") else self.expr())
                while self._accept_op(","):
                    args.append(self.expr())
                self._expect_op(")")
            return Func(".".join(parts).upper(), tuple(args))
        if len(parts) > 2:
            raise self._error("a column as table.column")
        return Column(parts[0].lower(), parts[1].lower()) if len(parts) == 2 else Column(None, parts[0].lower())
