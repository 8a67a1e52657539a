"""CRM search (``POST /crm/v3/objects/{type}/search``): filter groups, operators, sorts, ``after`` paging.

Semantics: groups are ORed, filters in a group ANDed. Comparisons follow the property's type (numbers and
datetimes numerically, text case-insensitively). ``NEQ``, ``NOT_IN`` and ``NOT_CONTAINS_TOKEN`` match records
that have no value, as HubSpot's do; the other value operators need a value. Records without a value for the
sort property come last in either direction; ties keep id order. ``after`` is an offset; at most 10,000
results are reachable, 5 groups, 6 filters per group, 18 filters in all, ``limit`` 1-200 (default 10).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import validation
from .schema import DEFAULT_PROPERTIES, Prop
from .values import ValueProblem, sort_key

__all__ = ["OPERATORS", "SearchRequest", "matches", "parse_request", "search_records"]

_TOKEN = re.compile(r"[^\W_]+(?:[.'@-][^\W_]+)*", re.UNICODE)
MAX_RESULTS = 10_000


class SearchRequest:
    """A validated search body."""

    def __init__(self, groups: list[list[dict[str, Any]]], sorts: list[tuple[str, bool]], query: str | None,
                 properties: list[str] | None, limit: int, after: int) -> None:
        self.groups, self.sorts, self.query = groups, sorts, query
        self.properties, self.limit, self.after = properties, limit, after


def _key(prop: Prop, raw: Any, name: str) -> Any:
    if isinstance(raw, dict | list) or raw is None:
        raise validation(f"Filter value for {name} must be a string, number or boolean")
    text = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
    try:
        return sort_key(prop, text)
    except (ValueProblem, ValueError, ArithmeticError):
        raise validation(f"{text} is not a valid {prop.type} value for property {name}",
                         context={"propertyName": [name]}) from None


def _tokens(value: str) -> list[str]:
    return [t.casefold() for t in _TOKEN.findall(value)]


def _contains_token(value: str, wanted: str) -> bool:
    pattern = wanted.casefold()
    if "*" in pattern:
        return fnmatch.fnmatchcase(value.casefold(), pattern) or any(
            fnmatch.fnmatchcase(t, pattern) for t in _tokens(value))
    return pattern in _tokens(value) or value.casefold() == pattern


def _value_test(op: str, prop: Prop, f: dict[str, Any]) -> Callable[[str], bool]:
    name = f["propertyName"]
    if op in ("IN", "NOT_IN"):
        values = f.get("values")
        if not isinstance(values, list) or not values:
            raise validation(f"{op} filter on {name} needs a non-empty values array")
        keys = {_key(prop, v, name) for v in values}
        return lambda v: sort_key(prop, v) in keys
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        wanted = str(f.get("value", ""))
        return lambda v: _contains_token(v, wanted)
    low = _key(prop, f.get("value"), name)
    if op == "BETWEEN":
        high = _key(prop, f.get("highValue"), name)
        return lambda v: low <= sort_key(prop, v) <= high
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "EQ": lambda a, b: a == b, "NEQ": lambda a, b: a == b, "LT": lambda a, b: a < b,
        "LTE": lambda a, b: a <= b, "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b}
    return lambda v: compare[op](sort_key(prop, v), low)


OPERATORS = ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
             "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")
_NEGATED = {"NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN"}


def compile_filter(defs: Mapping[str, Prop], f: Any) -> Callable[[Mapping[str, str | None]], bool]:
    """One filter as a predicate over a record's stored properties."""
    if not isinstance(f, dict) or not isinstance(f.get("propertyName"), str):
        raise validation("Each filter needs a propertyName")
    name, op = f["propertyName"], f.get("operator", "EQ")
    if op not in OPERATORS:
        raise validation(f"Unknown operator {op!r}; expected one of {', '.join(OPERATORS)}")
    prop = defs.get(name)
    if prop is None:
        raise validation(f'Property "{name}" does not exist', context={"propertyName": [name]})
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        present = op == "HAS_PROPERTY"
        return lambda props: (props.get(name) is not None) == present
    test = _value_test(op, prop, f)
    if op in _NEGATED:
        return lambda props: props.get(name) is None or not test(props[name])
    return lambda props: props.get(name) is not None and test(props[name])


def matches(defs: Mapping[str, Prop], groups: list[list[dict[str, Any]]], props: Mapping[str, str | None]) -> bool:
    """Whether stored properties satisfy the groups (OR of ANDs; no groups matches everything)."""
    compiled = [[compile_filter(defs, f) for f in group] for group in groups]
    return not compiled or any(all(test(props) for test in group) for group in compiled)


def _groups(body: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    raw = body.get("filterGroups") or []
    if not isinstance(raw, list) or not all(isinstance(g, dict) for g in raw):
        raise validation("filterGroups must be an array of {filters: [...]}")
    groups = [g.get("filters") or [] for g in raw]
    if not all(isinstance(g, list) for g in groups):
        raise validation("filters must be an array")
    if len(groups) > 5 or any(len(g) > 6 for g in groups) or sum(map(len, groups)) > 18:
        raise validation("Too many filters: at most 5 filterGroups, 6 filters per group and 18 filters in total")
    return groups


def _sorts(body: Mapping[str, Any], defs: Mapping[str, Prop]) -> list[tuple[str, bool]]:
    sorts = []
    for item in body.get("sorts") or []:
        name, direction = (item, "ASCENDING") if isinstance(item, str) else (
            (item.get("propertyName"), item.get("direction", "ASCENDING")) if isinstance(item, dict) else (None, None))
        if name not in defs or direction not in ("ASCENDING", "DESCENDING"):
            raise validation(f"Invalid sort {item!r}: propertyName must exist, direction ASCENDING or DESCENDING")
        sorts.append((name, direction == "DESCENDING"))
    return sorts


def _paging(body: Mapping[str, Any]) -> tuple[int, int]:
    limit, after = body.get("limit", 10), body.get("after", 0) or 0
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
        raise validation("limit must be an integer between 1 and 200", context={"limit": [str(limit)]})
    if isinstance(after, str) and after.isdigit():
        after = int(after)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0 or after + limit > MAX_RESULTS:
        raise validation("after must be a paging cursor from a previous page (at most 10000 results)")
    return limit, after


def parse_request(body: Any, defs: Mapping[str, Prop]) -> SearchRequest:
    """Validate a search body, or raise HubSpot's 400."""
    if not isinstance(body, dict):
        raise validation("Invalid input JSON on line 1, column 1: the search body must be an object")
    groups, sorts = _groups(body), _sorts(body, defs)
    for group in groups:
        for f in group:
            compile_filter(defs, f)
    props = body.get("properties")
    if props is not None and not (isinstance(props, list) and all(isinstance(p, str) for p in props)):
        raise validation("properties must be an array of property names")
    query = body.get("query")
    if query is not None and not isinstance(query, str):
        raise validation("query must be a string")
    return SearchRequest(groups, sorts, query or None, props, *_paging(body))


def _query_hit(object_type: str, props: Mapping[str, str | None], query: str) -> bool:
    words = query.casefold().split()
    tokens = [t for name in DEFAULT_PROPERTIES[object_type] for t in _tokens(props.get(name) or "")]
    return all(any(t.startswith(w) for t in tokens) for w in words)


def search_records(object_type: str, defs: Mapping[str, Prop], records: list[dict[str, Any]],
                   request: SearchRequest) -> tuple[list[dict[str, Any]], int, int | None]:
    """Matching records for one page, the total, and the next ``after`` (None on the last page)."""
    hits = [r for r in sorted(records, key=lambda r: int(r["id"]))
            if matches(defs, request.groups, r["properties"])
            and (request.query is None or _query_hit(object_type, r["properties"], request.query))]
    for name, descending in reversed(request.sorts):
        present = [r for r in hits if r["properties"].get(name) is not None]
        absent = [r for r in hits if r["properties"].get(name) is None]
        present.sort(key=lambda r, n=name: sort_key(defs[n], r["properties"][n]), reverse=descending)
        hits = present + absent
    page = hits[request.after:request.after + request.limit]
    more = request.after + request.limit < min(len(hits), MAX_RESULTS)
    return page, len(hits), request.after + request.limit if more else None
