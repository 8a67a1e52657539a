"""Helpers shared by the route modules: list envelopes with Chargebee's filters and offset paging."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from typing import Any

from ..errors import wrong_value
from ..params import Params
from ..state import ChargebeeState

__all__ = ["list_response", "parse_meta_data"]

Entry = Callable[[dict[str, Any]], dict[str, Any]]
_CONTROL = {"limit", "offset", "sort_by", "include_deleted"}


def _list_value(raw: str, param: str) -> list[str]:
    """``["a","b"]`` as Chargebee documents it (the Python SDK sends ``['a', 'b']``, so accept both)."""
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise wrong_value(param, "invalid value") from None
    if not isinstance(value, list):
        raise wrong_value(param, "invalid value")
    return [str(v) for v in value]


def _matches(have: Any, op: str, want: str, param: str) -> bool:
    text = "" if have is None else str(have).lower() if isinstance(have, bool) else str(have)
    if op == "is":
        return text == want
    if op == "is_not":
        return text != want
    if op == "starts_with":
        return text.startswith(want)
    if op in ("in", "not_in"):
        return (text in _list_value(want, param)) == (op == "in")
    if op == "is_present":
        return (have is not None) == (want == "true")
    if op in ("after", "before", "gt", "gte", "lt", "lte", "on"):
        try:
            number = int(want)
        except ValueError:
            raise wrong_value(param, "invalid value") from None
        if have is None:
            return False
        compare = {"after": have > number, "gt": have > number, "before": have < number, "lt": have < number,
                   "gte": have >= number, "lte": have <= number, "on": have == number}
        return bool(compare[op])
    raise wrong_value(param, "invalid filter operator")


def _filters(params: Params, allowed: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    out = []
    for key in params.data:
        if key in _CONTROL:
            continue
        if key not in allowed:
            raise wrong_value(key, "is not a supported filter")
        sub = params.obj(key)
        out += [(key, str(op), str(value), sub.name(str(op))) for op, value in sub.data.items()]
    for _, op, value, param in out:
        _matches(None, op, value, param)  # validate every operator and value even when nothing is listed
    return out


def _sorted(items: list[dict[str, Any]], params: Params) -> list[dict[str, Any]]:
    sort = params.obj("sort_by") if params.has("sort_by") else None
    if sort is None or not sort.data:
        return list(reversed(items))
    (direction, field), *_ = sort.data.items()
    if direction not in ("asc", "desc") or field not in ("created_at", "updated_at", "date", "occurred_at"):
        raise wrong_value(sort.name(str(direction)), "invalid value")
    return sorted(items, key=lambda o: (o.get(field) or 0), reverse=direction == "desc")


def _page(items: list[dict[str, Any]], params: Params) -> tuple[list[dict[str, Any]], str | None]:
    limit = params.integer("limit", default=10, minimum=1, maximum=100)
    start = 0
    if (offset := params.text("offset")) is not None:
        try:
            marker = json.loads(offset)
            start = [o["id"] for o in items].index(marker[-1]) + 1
        except (ValueError, TypeError, KeyError, IndexError):
            raise wrong_value("offset", "invalid value") from None
    page = items[start:start + limit]
    if not page or start + limit >= len(items):
        return page, None
    # Opaque like Chargebee's ["<sort value>","<id>"]: resumes after the last object returned.
    last = page[-1]
    return page, json.dumps([str(last.get("created_at", last.get("occurred_at", 0))), last["id"]])


def list_response(state: ChargebeeState, params: Params, kind: str, entry: Entry,
                  filters: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """``{"list": [{<kind>: {...}, ...}], "next_offset": ...}`` filtered, sorted and paged per the request."""
    rules = _filters(params, filters)
    deleted = params.boolean("include_deleted", default=False)
    items = [o for o in state.objects[kind].values()
             if (deleted or not o.get("deleted")) and all(_matches(o.get(f), op, v, p) for f, op, v, p in rules)]
    page, token = _page(_sorted(items, params), params)
    body: dict[str, Any] = {"list": [entry(o) for o in page]}
    if token:
        body["next_offset"] = token
    return body


def parse_meta_data(params: Params) -> dict[str, Any] | None:
    """``meta_data`` is a JSON object sent as one form value."""
    raw = params.text("meta_data")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise wrong_value("meta_data", "invalid JSON") from None
    if not isinstance(value, dict):
        raise wrong_value("meta_data", "should be a JSON object")
    return value
