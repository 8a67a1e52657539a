"""SuiteQL parser and evaluator, on hand-built tables, against expectations computed independently in Python."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sandboxes.netsuite.suiteql import QueryError, Table, execute, parse, render
from sandboxes.netsuite.suiteql.syntax import Binary, Column, InList, Literal

CUSTOMERS = [
    {"id": 1, "companyname": "Acme", "email": "ap@acme.test", "isinactive": "F"},
    {"id": 2, "companyname": "Globex", "email": None, "isinactive": "F"},
    {"id": 3, "companyname": "Initech", "email": "it@initech.test", "isinactive": "T"},
]
TRANSACTIONS = [
    {"id": 10, "type": "SalesOrd", "entity": 1, "trandate": date(2025, 1, 15), "total": Decimal("800.00")},
    {"id": 11, "type": "CustInvc", "entity": 1, "trandate": date(2025, 1, 31), "total": Decimal("800.00")},
    {"id": 12, "type": "CustInvc", "entity": 2, "trandate": date(2025, 2, 28), "total": Decimal("99.50")},
    {"id": 13, "type": "Journal", "entity": None, "trandate": date(2025, 2, 28), "total": Decimal("300")},
]


def tables() -> dict[str, Table]:
    return {"customer": Table("customer", ("id", "companyname", "email", "isinactive"), CUSTOMERS,
                              {}),
            "transaction": Table("transaction", ("id", "type", "entity", "trandate", "total"), TRANSACTIONS,
                                 {"entity": {c["id"]: c["companyname"] for c in CUSTOMERS}})}


def run(query: str) -> list[dict]:
    return execute(parse(query), tables())


class TestParse:
    def test_precedence_and_in(self) -> None:
        select = parse("SELECT id FROM customer c WHERE c.id = 1 OR c.id IN (2, 3) AND isinactive = 'F'")
        assert select.table.name == "customer" and select.table.alias == "c"
        # AND binds tighter than OR
        assert select.where == Binary("OR", Binary("=", Column("c", "id"), Literal(1)), Binary(
            "AND", InList(Column("c", "id"), (Literal(2), Literal(3))), Binary("=", Column(None, "isinactive"),
                                                                                Literal("F"))))

    def test_quoted_strings_and_aliases(self) -> None:
        select = parse("select companyname as name, 'it''s' q from customer")
        assert [(i.alias, i.expr) for i in select.items] == [("name", Column(None, "companyname")),
                                                             ("q", Literal("it's"))]

    @pytest.mark.parametrize("query", ["SELECT", "SELECT id", "SELECT id FROM", "SELECT id FROM customer WHERE",
                                       "SELECT id FROM customer ORDER id", "SELECT id FROM customer WHERE id = 'x",
                                       "SELECT id FROM customer GROUP BY id", "SELECT id FROM customer; DROP",
                                       "SELECT id FROM customer WHERE id NOT 3"])
    def test_syntax_errors(self, query: str) -> None:
        with pytest.raises(QueryError):
            parse(query)


class TestEvaluate:
    def test_where_and_or_in(self) -> None:
        got = run("SELECT id FROM customer WHERE isinactive = 'F' AND (id = 2 OR email LIKE '%@acme.test')")
        assert [r["id"] for r in got] == [c["id"] for c in CUSTOMERS
                                          if c["isinactive"] == "F" and (c["id"] == 2 or (c["email"] or "")
                                                                         .endswith("@acme.test"))]

    def test_null_semantics(self) -> None:
        assert [r["id"] for r in run("SELECT id FROM customer WHERE email IS NULL")] == [2]
        assert [r["id"] for r in run("SELECT id FROM customer WHERE email IS NOT NULL")] == [1, 3]
        # comparing with NULL is unknown, so neither = nor != keeps the row
        assert [r["id"] for r in run("SELECT id FROM customer WHERE email != 'x'")] == [1, 3]
        assert [r["id"] for r in run("SELECT id FROM customer WHERE NOT (email = 'x')")] == [1, 3]
        assert [r["id"] for r in run("SELECT id FROM customer WHERE id NOT IN (1, NULL)")] == []

    def test_inner_join(self) -> None:
        got = run("SELECT t.id, c.companyname AS who FROM transaction t INNER JOIN customer c ON c.id = t.entity "
                  "WHERE t.type <> 'SalesOrd' ORDER BY t.id")
        by_id = {c["id"]: c["companyname"] for c in CUSTOMERS}
        expected = [{"id": t["id"], "who": by_id[t["entity"]]} for t in TRANSACTIONS
                    if t["entity"] in by_id and t["type"] != "SalesOrd"]
        assert got == expected

    def test_left_join_keeps_unmatched_rows(self) -> None:
        got = run("SELECT t.id, c.companyname FROM transaction t LEFT OUTER JOIN customer c ON t.entity = c.id "
                  "ORDER BY t.id")
        assert [(r["id"], r["companyname"]) for r in got] == [(10, "Acme"), (11, "Acme"), (12, "Globex"),
                                                             (13, None)]

    def test_order_by_desc_alias_position_and_nulls(self) -> None:
        got = run("SELECT id, email AS e FROM customer ORDER BY e DESC")
        assert [r["id"] for r in got] == [2, 3, 1]  # NULL first when descending, as Oracle does
        assert [r["id"] for r in run("SELECT id, email FROM customer ORDER BY 2")] == [1, 3, 2]
        got = run("SELECT id FROM transaction ORDER BY trandate DESC, id")
        assert [r["id"] for r in got] == [r["id"] for r in sorted(TRANSACTIONS, key=lambda t: (-t["trandate"]
                                                                                                .toordinal(), t["id"]))]

    def test_dates_numbers_and_functions(self) -> None:
        got = run("SELECT id, TO_CHAR(trandate, 'YYYY-MM-DD') d FROM transaction "
                  "WHERE trandate >= TO_DATE('2025-02-01', 'YYYY-MM-DD') AND total < 500")
        assert got == [{"id": 12, "d": "2025-02-28"}, {"id": 13, "d": "2025-02-28"}]
        assert [r["id"] for r in run("SELECT id FROM transaction WHERE trandate = DATE '2025-01-31'")] == [11]
        assert [r["id"] for r in run("SELECT id FROM transaction WHERE trandate BETWEEN '2025-01-01' AND "
                                     "'2025-01-31'")] == [10, 11]
        assert run("SELECT total * 2 + 1 AS x, UPPER(type) u FROM transaction WHERE id = '12'") == [
            {"x": Decimal("200.00"), "u": "CUSTINVC"}]
        assert run("SELECT NVL(email, 'none') e FROM customer WHERE id = 2") == [{"e": "none"}]

    def test_builtin_df_and_distinct(self) -> None:
        got = run("SELECT DISTINCT BUILTIN.DF(t.entity) AS customer FROM transaction t WHERE t.entity IS NOT NULL")
        assert got == [{"customer": "Acme"}, {"customer": "Globex"}]

    def test_star_and_unnamed_expressions(self) -> None:
        assert run("SELECT * FROM customer WHERE id = 1") == [CUSTOMERS[0]]
        assert run("SELECT id + 1 FROM customer WHERE id = 1") == [{"expr1": 2}]

    @pytest.mark.parametrize(("query", "message"), [
        ("SELECT id FROM nosuch", "Record 'nosuch' was not found"),
        ("SELECT nosuch FROM customer", "Field 'nosuch'"),
        ("SELECT c.nosuch FROM customer c", "Field 'nosuch' for record 'customer' was not found"),
        ("SELECT id FROM customer c JOIN transaction t ON t.entity = c.id", "ambiguous"),
        ("SELECT x.id FROM customer c", "Unknown table alias"),
        ("SELECT SUM(id) FROM customer", "Unsupported function"),
        ("SELECT id FROM customer WHERE companyname > 5", "Invalid number"),
    ])
    def test_errors_name_the_problem(self, query: str, message: str) -> None:
        with pytest.raises(QueryError, match=message):
            run(query)


class TestRender:
    def test_values_render_as_suiteql_strings(self) -> None:
        assert render(date(2025, 1, 5)) == "1/5/2025"
        assert render(Decimal("800.00")) == "800" and render(Decimal("99.50")) == "99.5"
        assert render(None) is None and render(7) == "7"


class TestNumberLists:
    """``IN`` over number literals takes a set lookup; the answers must be those of comparing one by one."""

    def test_number_list_matches_text_and_number_columns_as_numbers(self) -> None:
        rows = [{"id": n, "ref": str(n), "amount": Decimal(n) / 2} for n in range(1, 7)] + [
            {"id": 7, "ref": None, "amount": None}]
        table = {"t": Table("t", ("id", "ref", "amount"), rows)}
        wanted = [2, 4, 5]
        listed = ", ".join(str(n) for n in wanted)
        by_id = [r["id"] for r in execute(parse(f"SELECT id FROM t WHERE id IN ({listed})"), table)]
        by_text = [r["id"] for r in execute(parse(f"SELECT id FROM t WHERE ref IN ({listed})"), table)]
        not_in = [r["id"] for r in execute(parse(f"SELECT id FROM t WHERE ref NOT IN ({listed})"), table)]
        halves = [r["id"] for r in execute(parse("SELECT id FROM t WHERE amount IN (1, 2.5)"), table)]
        assert by_id == by_text == wanted
        assert not_in == [1, 3, 6]  # NULL is neither in nor not in
        assert halves == [2, 5]

    def test_a_word_compared_with_a_number_list_is_an_invalid_number(self) -> None:
        table = {"t": Table("t", ("id", "ref"), [{"id": 1, "ref": "abc"}])}
        with pytest.raises(QueryError, match="Invalid number"):
            execute(parse("SELECT id FROM t WHERE ref IN (1, 2)"), table)

    def test_and_does_not_evaluate_its_right_side_when_the_left_is_false(self) -> None:
        table = {"t": Table("t", ("id", "ref"), [{"id": 1, "ref": "abc"}, {"id": 2, "ref": "7"}])}
        found = execute(parse("SELECT id FROM t WHERE id = 2 AND ref IN (7)"), table)
        assert [r["id"] for r in found] == [2]


class TestIdJoins:
    """Joins on ids take an index; their answers must be those of comparing every pair."""

    def test_inner_and_left_joins_on_ids_match_pairwise_answers(self) -> None:
        lines = [{"id": 100 + n, "transaction": t, "amount": Decimal(n)} for n, t in
                 enumerate([10, 10, 11, 12, 99, None])]
        table = {**tables(), "transactionline": Table("transactionline", ("id", "transaction", "amount"), lines)}
        inner = execute(parse("SELECT t.id AS t, l.id AS l FROM transaction t JOIN transactionline l "
                              "ON l.transaction = t.id"), table)
        left = execute(parse("SELECT t.id AS t, l.id AS l FROM transaction t LEFT JOIN transactionline l "
                             "ON t.id = l.transaction"), table)
        expected = [(t["id"], line["id"]) for t in TRANSACTIONS for line in lines if line["transaction"] == t["id"]]
        assert [(r["t"], r["l"]) for r in inner] == expected == [(10, 100), (10, 101), (11, 102), (12, 103)]
        assert [(r["t"], r.get("l")) for r in left] == [*expected, (13, None)]

    def test_a_text_id_still_joins_as_a_number(self) -> None:
        lines = [{"id": 1, "transaction": 11}]
        table = {"t": Table("t", ("id", "ref"), [{"id": 1, "ref": "11"}, {"id": 2, "ref": "12"}]),
                 "l": Table("l", ("id", "transaction"), lines)}
        found = execute(parse("SELECT t.id AS t FROM t JOIN l ON l.transaction = t.ref"), table)
        assert [r["t"] for r in found] == [1]
