"""CRM search semantics against expectations worked out by hand from HubSpot's documented operators.

The dataset is small enough to read: each expected id list below was derived from the table, not from the
sandbox. Amounts are chosen so numeric and text ordering disagree ("99" < "100" only as numbers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandboxes.hubspot.schema import build_properties
from sandboxes.hubspot.search import parse_request, search_records

DEFS = build_properties()["deals"]
ROWS = {  # id: (amount, dealstage, dealname, closedate)
    "1": ("100", "closedwon", "Acme Platform Renewal", "2025-01-15T00:00:00.000Z"),
    "2": ("2500.5", "contractsent", "Globex expansion", None),
    "3": ("99", "closedlost", "Support for ACME", None),
    "4": (None, "closedwon", "Initech", "2025-02-10T12:00:00.000Z"),
    "5": ("1000", "appointmentscheduled", "Acme Corp", "2025-03-01T00:00:00.000Z"),
}
RECORDS = [{"id": i, "properties": {"amount": a, "dealstage": s, "dealname": n, "closedate": c}}
           for i, (a, s, n, c) in ROWS.items()]
MARCH_FIRST_MS = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp() * 1000)


def _run(body: dict[str, Any]) -> tuple[list[str], int, int | None]:
    page, total, after = search_records("deals", DEFS, RECORDS, parse_request(body, DEFS))
    return [r["id"] for r in page], total, after


def _ids(*filters: dict[str, Any]) -> list[str]:
    return _run({"filterGroups": [{"filters": list(filters)}], "limit": 100})[0]


def f(name: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"propertyName": name, "operator": op, **({"value": value} if value is not None else {}), **extra}


CASES = [
    (f("amount", "EQ", "100.00"), ["1"]),
    (f("amount", "EQ", 100), ["1"]),
    (f("dealstage", "NEQ", "closedwon"), ["2", "3", "5"]),
    (f("amount", "LT", "100"), ["3"]),
    (f("amount", "LTE", "100"), ["1", "3"]),
    (f("amount", "GT", "999"), ["2", "5"]),
    (f("amount", "GTE", "1000"), ["2", "5"]),
    (f("amount", "BETWEEN", "99", highValue="1000"), ["1", "3", "5"]),
    (f("dealstage", "IN", values=["closedwon", "closedlost"]), ["1", "3", "4"]),
    (f("dealstage", "NOT_IN", values=["closedwon"]), ["2", "3", "5"]),
    (f("amount", "HAS_PROPERTY"), ["1", "2", "3", "5"]),
    (f("amount", "NOT_HAS_PROPERTY"), ["4"]),
    (f("amount", "NEQ", "100"), ["2", "3", "4", "5"]),
    (f("dealname", "CONTAINS_TOKEN", "acme"), ["1", "3", "5"]),
    (f("dealname", "CONTAINS_TOKEN", "glob*"), ["2"]),
    (f("dealname", "NOT_CONTAINS_TOKEN", "acme"), ["2", "4"]),
    (f("dealname", "EQ", "initech"), ["4"]),
    (f("closedate", "LT", "2025-02-01T00:00:00Z"), ["1"]),
    (f("closedate", "GTE", str(MARCH_FIRST_MS)), ["5"]),
    (f("closedate", "BETWEEN", "2025-02-10", highValue=str(MARCH_FIRST_MS)), ["4", "5"]),
]


@pytest.mark.parametrize(("flt", "expected"), CASES, ids=[f"{c[0]['propertyName']}-{c[0]['operator']}-{n}"
                                                           for n, c in enumerate(CASES)])
def test_operator(flt: dict[str, Any], expected: list[str]) -> None:
    assert _ids(flt) == expected


def test_filters_in_a_group_are_anded_and_groups_ored() -> None:
    assert _ids(f("dealstage", "EQ", "closedwon"), f("amount", "HAS_PROPERTY")) == ["1"]
    either = {"filterGroups": [{"filters": [f("dealstage", "EQ", "closedwon")]},
                               {"filters": [f("amount", "GT", "2000")]}]}
    assert _run(either)[0] == ["1", "2", "4"]
    assert _run({})[1] == 5


def test_sorts_put_missing_values_last_both_ways() -> None:
    desc = _run({"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}], "limit": 10})[0]
    asc = _run({"sorts": [{"propertyName": "amount", "direction": "ASCENDING"}], "limit": 10})[0]
    assert desc == ["2", "5", "1", "3", "4"] and asc == ["3", "1", "5", "2", "4"]


def test_after_pages_through_with_total() -> None:
    assert _run({"limit": 2}) == (["1", "2"], 5, 2)
    assert _run({"limit": 2, "after": "2"}) == (["3", "4"], 5, 4)
    assert _run({"limit": 2, "after": "4"}) == (["5"], 5, None)


def test_query_matches_word_prefixes_of_default_properties() -> None:
    assert _run({"query": "acm"})[0] == ["1", "3", "5"]
    assert _run({"query": "acme renew"})[0] == ["1"]


def test_over_the_wire_paging_and_total(api: httpx.Client) -> None:
    for n in range(7):
        api.post("/crm/v3/objects/deals", json={"properties": {"dealname": f"d{n}", "amount": str(n * 100)}})
    body = {"filterGroups": [{"filters": [f("amount", "GTE", 200)]}], "limit": 3,
            "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}], "properties": ["amount"]}
    amounts, after = [], None
    while True:
        page = api.post("/crm/v3/objects/deals/search", json={**body, **({"after": after} if after else {})}).json()
        assert page["total"] == 5
        amounts += [d["properties"]["amount"] for d in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
    assert amounts == ["600", "500", "400", "300", "200"]
