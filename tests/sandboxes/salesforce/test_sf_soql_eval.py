"""SOQL evaluation over a small org, each construct checked against expectations computed in plain Python."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from sandboxes.salesforce import dml
from sandboxes.salesforce.errors import SalesforceError
from sandboxes.salesforce.soql import execute
from sandboxes.salesforce.store import OrgState

TODAY = date(2025, 3, 15)
DEALS = [  # name, amount, close date offset from TODAY (days), stage, account index or None
    ("Alpha", 100.0, 0, "Prospecting", 0), ("beta", None, -1, "Closed Won", 0),
    ("Gamma", 300.0, -30, "Closed Lost", 1), ("Delta", 50.0, -31, "Prospecting", None),
    ("Epsilon", 300.0, 2, "Closed Won", 1), ("al%pha", 7.0, 45, "Qualification", 1),
]


@pytest.fixture
def org() -> tuple[OrgState, list[str]]:
    state = OrgState(clock=lambda: datetime(2025, 3, 15, 12, 0, tzinfo=UTC))
    accounts = [dml.create(state, "Account", {"Name": name}) for name in ("Acme", "Zeta")]
    for name, amount, offset, stage, account in DEALS:
        dml.create(state, "Opportunity", {"Name": name, "Amount": amount, "StageName": stage,
                                          "CloseDate": (TODAY + timedelta(days=offset)).isoformat(),
                                          "AccountId": accounts[account] if account is not None else None})
    return state, accounts


def _names(org: tuple[OrgState, list[str]], where: str, order: str = "ORDER BY Name") -> list[str]:
    state = org[0]
    result = execute(f"SELECT Name FROM Opportunity WHERE {where} {order}", state.records, state.rows, TODAY)
    return [r["Name"] for r in result.records]


def _expected(pred: Any) -> list[str]:
    return sorted((d[0] for d in DEALS if pred(d)), key=str.lower)


class TestWhere:
    @pytest.mark.parametrize(("where", "pred"), [
        ("Amount = 300", lambda d: d[1] == 300),
        ("Amount != 300", lambda d: d[1] != 300),  # SOQL's != keeps nulls
        ("Amount > 50", lambda d: d[1] is not None and d[1] > 50),
        ("Amount <= 50", lambda d: d[1] is not None and d[1] <= 50),
        ("Amount = null", lambda d: d[1] is None),
        ("Name = 'ALPHA'", lambda d: d[0].lower() == "alpha"),  # case-insensitive
        ("Name LIKE 'al%'", lambda d: d[0].lower().startswith("al")),
        ("Name LIKE 'al\\%%'", lambda d: d[0].lower().startswith("al%")),
        ("Name LIKE '_eta'", lambda d: len(d[0]) == 4 and d[0].lower().endswith("eta")),
        ("StageName IN ('Closed Won', 'Closed Lost')", lambda d: d[3].startswith("Closed")),
        ("StageName NOT IN ('Prospecting')", lambda d: d[3] != "Prospecting"),
        ("(Amount > 100 OR Amount = null) AND StageName = 'Closed Won'",
         lambda d: (d[1] is None or d[1] > 100) and d[3] == "Closed Won"),
        ("NOT (Amount > 10)", lambda d: not (d[1] is not None and d[1] > 10)),
        ("IsWon = true", lambda d: d[3] == "Closed Won"),
        ("Account.Name = 'Zeta'", lambda d: d[4] == 1),
        ("AccountId = null", lambda d: d[4] is None),
    ])
    def test_operators(self, org: Any, where: str, pred: Any) -> None:
        assert _names(org, where) == _expected(pred)

    @pytest.mark.parametrize(("where", "days"), [
        ("CloseDate = TODAY", lambda o: o == 0),
        ("CloseDate = YESTERDAY", lambda o: o == -1),
        ("CloseDate = LAST_N_DAYS:30", lambda o: -30 <= o <= 0),  # includes today: 31 days
        ("CloseDate < LAST_N_DAYS:30", lambda o: o < -30),
        ("CloseDate > TODAY", lambda o: o > 0),
        ("CloseDate >= 2025-03-15", lambda o: o >= 0),
        ("CloseDate = NEXT_N_DAYS:2", lambda o: 1 <= o <= 2),
        ("CloseDate = THIS_MONTH", lambda o: (TODAY + timedelta(days=o)).month == 3),
    ])
    def test_date_literals(self, org: Any, where: str, days: Any) -> None:
        assert _names(org, where) == _expected(lambda d: days(d[2]))

    def test_datetime_literal_and_created_today(self, org: Any) -> None:
        assert len(_names(org, "CreatedDate = TODAY")) == len(DEALS)
        assert _names(org, "CreatedDate > 2025-03-15T12:00:01Z") == []
        assert len(_names(org, "CreatedDate >= 2025-03-15T13:00:00+01:00")) == len(DEALS)


class TestShape:
    def test_order_nulls_limit_offset(self, org: Any) -> None:
        ordered = _names(org, "Name != null", "ORDER BY Amount DESC NULLS LAST, Name LIMIT 4 OFFSET 1")
        by_amount = sorted((d for d in DEALS if d[1] is not None), key=lambda d: (-d[1], d[0].lower()))
        expected = [d[0] for d in by_amount] + [d[0] for d in DEALS if d[1] is None]
        assert ordered == expected[1:5]

    def test_ascending_puts_nulls_first_by_default(self, org: Any) -> None:
        assert _names(org, "Name != null", "ORDER BY Amount LIMIT 1") == ["beta"]

    def test_parent_and_children(self, org: Any) -> None:
        state, accounts = org
        result = execute("SELECT Name, (SELECT Name FROM Opportunities WHERE IsWon = true) FROM Account "
                         "ORDER BY Name", state.records, state.rows, TODAY)
        won = {i: sorted(d[0] for d in DEALS if d[4] == i and d[3] == "Closed Won") for i in (0, 1)}
        got = [sorted(r["Name"] for r in row["Opportunities"]["records"]) for row in result.records]
        assert got == [won[0], won[1]]
        assert result.records[0]["attributes"] == {"type": "Account",
                                                   "url": f"/services/data/v62.0/sobjects/Account/{accounts[0]}"}

    def test_count(self, org: Any) -> None:
        state = org[0]
        plain = execute("SELECT COUNT() FROM Opportunity WHERE IsClosed = true", state.records, state.rows, TODAY)
        assert (plain.total, plain.records) == (sum(d[3].startswith("Closed") for d in DEALS), [])
        aggregate = execute("SELECT COUNT(Id) total FROM Opportunity", state.records, state.rows, TODAY)
        assert aggregate.records == [{"attributes": {"type": "AggregateResult"}, "total": len(DEALS)}]


class TestQueryErrors:
    @pytest.mark.parametrize(("soql", "code"), [
        ("SELECT Nope FROM Opportunity", "INVALID_FIELD"),
        ("SELECT Owner.Name FROM Opportunity", "INVALID_FIELD"),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
        ("SELECT Id, (SELECT Id FROM Lines) FROM Opportunity", "INVALID_TYPE"),
        ("SELECT Id FROM Opportunity WHERE Amount = '5'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Opportunity WHERE Name = 5", "MALFORMED_QUERY"),
        ("SELECT Id FROM Opportunity WHERE CloseDate = 2025-01-01T00:00:00Z", "MALFORMED_QUERY"),
        ("SELECT Id FROM Opportunity WHERE AccountId = 'abc'", "INVALID_QUERY_FILTER_OPERATOR"),
        ("SELECT Name, COUNT() FROM Opportunity", "MALFORMED_QUERY"),
        ("SELECT Id FROM Opportunity WHERE Id IN (SELECT Id FROM Account)", "MALFORMED_QUERY"),
    ])
    def test_codes(self, org: Any, soql: str, code: str) -> None:
        state = org[0]
        with pytest.raises(SalesforceError) as exc:
            execute(soql, state.records, state.rows, TODAY)
        assert (exc.value.status, exc.value.code) == (400, code)
        assert "ERROR at Row:1:Column:" in exc.value.message
