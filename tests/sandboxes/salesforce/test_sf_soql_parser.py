"""The SOQL parser: each supported construct against a hand-built syntax tree, and MALFORMED_QUERY."""

from __future__ import annotations

import pytest

from sandboxes.salesforce.soql import (
    And,
    Comparison,
    Count,
    FieldRef,
    Literal,
    Not,
    Or,
    OrderItem,
    Query,
    SoqlSyntaxError,
    SubQuery,
    parse,
    tokenize,
)


def _shape(node: object) -> object:
    """The tree without source offsets (so expectations need not count characters)."""
    if isinstance(node, FieldRef):
        return ("field", node.path)
    if isinstance(node, Literal):
        return (node.kind, node.value)
    if isinstance(node, Comparison):
        value = tuple(_shape(v) for v in node.value) if isinstance(node.value, tuple) else _shape(node.value)
        return (node.op, _shape(node.field), value)
    if isinstance(node, And | Or):
        return (type(node).__name__, tuple(_shape(i) for i in node.items))
    if isinstance(node, Not):
        return ("Not", _shape(node.item))
    if isinstance(node, Count):
        return ("count", _shape(node.field) if node.field else None, node.alias)
    if isinstance(node, SubQuery):
        return ("sub", _shape(node.query))
    if isinstance(node, OrderItem):
        return (_shape(node.field), node.descending, node.nulls_first)
    assert isinstance(node, Query)
    return (tuple(_shape(s) for s in node.select), node.sobject, _shape(node.where) if node.where else None,
            tuple(_shape(o) for o in node.order_by), node.limit, node.offset)


class TestParse:
    def test_fields_parent_paths_and_child_subquery(self) -> None:
        tree = parse("select Id, Account.Owner.Name, (SELECT Id, Quantity FROM OpportunityLineItems) "
                     "FROM Opportunity")
        assert _shape(tree) == ((("field", ("Id",)), ("field", ("Account", "Owner", "Name")),
                                 ("sub", ((("field", ("Id",)), ("field", ("Quantity",))), "OpportunityLineItems",
                                          None, (), None, None))), "Opportunity", None, (), None, None)

    def test_and_or_parentheses_not(self) -> None:
        tree = parse("SELECT Id FROM Account WHERE (Name = 'a' OR Name = 'b') AND NOT Phone = null")
        assert _shape(tree.where) == ("And", (("Or", (("=", ("field", ("Name",)), ("string", "a")),
                                                      ("=", ("field", ("Name",)), ("string", "b")))),
                                              ("Not", ("=", ("field", ("Phone",)), ("null", None)))))

    @pytest.mark.parametrize(("clause", "expected"), [
        ("Amount != 5", ("!=", ("field", ("Amount",)), ("number", 5))),
        ("Amount <> 5.5", ("!=", ("field", ("Amount",)), ("number", 5.5))),
        ("Amount <= -1", ("<=", ("field", ("Amount",)), ("number", -1))),
        ("IsWon = TRUE", ("=", ("field", ("IsWon",)), ("boolean", True))),
        ("Name LIKE 'Ac%'", ("LIKE", ("field", ("Name",)), ("string", "Ac%"))),
        ("Name IN ('a', 'b')", ("IN", ("field", ("Name",)), (("string", "a"), ("string", "b")))),
        ("Name NOT IN ('a')", ("NOT IN", ("field", ("Name",)), (("string", "a"),))),
        ("CloseDate = 2024-02-29", ("=", ("field", ("CloseDate",)), ("date", "2024-02-29"))),
        ("CreatedDate > 2024-01-01T10:00:00+02:00",
         (">", ("field", ("CreatedDate",)), ("datetime", "2024-01-01T10:00:00+02:00"))),
        ("CloseDate = LAST_N_DAYS:30", ("=", ("field", ("CloseDate",)), ("date_literal", ("LAST_N_DAYS", 30)))),
        ("CloseDate < today", ("<", ("field", ("CloseDate",)), ("date_literal", ("TODAY", 0)))),
        ("Name = 'it\\'s'", ("=", ("field", ("Name",)), ("string", "it's"))),
    ])
    def test_comparisons(self, clause: str, expected: object) -> None:
        assert _shape(parse(f"SELECT Id FROM Opportunity WHERE {clause}").where) == expected

    def test_order_limit_offset(self) -> None:
        tree = parse("SELECT Id FROM Account ORDER BY Name DESC NULLS FIRST, Phone ASC, Id LIMIT 10 OFFSET 20")
        assert _shape(tree)[3:] == ((((("field", ("Name",)), True, True), (("field", ("Phone",)), False, None),
                                      (("field", ("Id",)), False, None))), 10, 20)

    def test_count_forms(self) -> None:
        assert _shape(parse("SELECT COUNT() FROM Account").select[0]) == ("count", None, None)
        assert _shape(parse("SELECT COUNT(Id) n FROM Account").select[0]) == ("count", ("field", ("Id",)), "n")

    def test_order_is_an_object_name_too(self) -> None:
        assert parse("SELECT Id FROM Order ORDER BY Id").sobject == "Order"

    @pytest.mark.parametrize(("soql", "offset", "message"), [
        ("SELECT FROM Account", 7, "unexpected token: FROM"),
        ("SELECT Id FROM Account WHERE", 28, "unexpected token: <EOF>"),
        ("SELECT Id FROM Account WHERE a = 1 AND b = 2 OR c = 3", 45, "unexpected token: OR"),
        ("SELECT Id FROM Account WHERE a = 1 OR b = 2 AND c = 3", 44, "unexpected token: AND"),
        ("SELECT Id FROM Account WHERE Name = 'open", 41, "unexpected token: <EOF>"),
        ("SELECT Id FROM Account LIMIT x", 29, "unexpected token: x"),
        ("SELECT Id FROM Account WHERE CloseDate = SOMEDAY", 41, "unexpected token: SOMEDAY"),
        ("SELECT Id FROM Account WHERE Name = 'a' extra", 40, "unexpected token: extra"),
        ("SELECT Id; FROM Account", 9, "unexpected token: ';'"),
    ])
    def test_syntax_errors(self, soql: str, offset: int, message: str) -> None:
        with pytest.raises(SoqlSyntaxError) as exc:
            parse(soql)
        assert (exc.value.offset, exc.value.message) == (offset, message)

    def test_tokens_keep_positions(self) -> None:
        kinds = [(t.kind, t.offset) for t in tokenize("SELECT Id FROM X")]
        assert kinds == [("SELECT", 0), ("IDENT", 7), ("FROM", 10), ("IDENT", 15), ("EOF", 16)]
