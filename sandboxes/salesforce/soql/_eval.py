"""Running a parsed query over the org's records and shaping the rows as the REST API returns them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..dml import record_url
from ..schema import OBJECTS, ObjectSpec
from ._ast import Count, FieldRef, OrderItem, Query, SubQuery
from ._filter import Predicate, compile_condition, sort_key
from ._resolve import Path, query_error, read, resolve, resolve_object

__all__ = ["Result", "run"]

Records = dict[str, dict[str, dict[str, Any]]]
Rows = Callable[[str], list[dict[str, Any]]]


@dataclass
class Result:
    """A query's outcome before paging: ``total`` rows (``records`` empty for ``COUNT()``)."""

    total: int
    records: list[dict[str, Any]]


@dataclass
class _Plan:
    obj: ObjectSpec
    fields: list[Path]
    children: list[tuple[str, _Plan, str]]  # (output key, plan, parent field on the child)
    where: Predicate | None
    order: list[tuple[Path, OrderItem]]
    query: Query


def _plan(obj: ObjectSpec, query: Query, source: str, records: Records, today: date) -> _Plan:
    fields, children = [], []
    for item in query.select:
        if isinstance(item, FieldRef):
            fields.append(resolve(obj, item, source))
        elif isinstance(item, SubQuery):
            rel = obj.child(item.query.sobject)
            if rel is None:
                raise query_error("INVALID_TYPE", source, item.query.sobject_offset,
                                  f"Didn't understand relationship '{item.query.sobject}' in FROM part of query "
                                  "call. If you are attempting to use a custom relationship, be sure to append the "
                                  "'__r' after the custom relationship name. Please reference your WSDL or the "
                                  "describe call for the appropriate names.")
            children.append((rel.name, _plan(OBJECTS[rel.child], item.query, source, records, today), rel.field))
    where = compile_condition(obj, query.where, source, records, today) if query.where else None
    order = [(resolve(obj, o.field, source), o) for o in query.order_by]
    return _Plan(obj, fields, children, where, order, query)


def _compare_rows(order: list[tuple[Path, OrderItem]], records: Records, a: dict[str, Any],
                  b: dict[str, Any]) -> int:
    for path, item in order:
        va, vb = sort_key(path.field, read(records, a, path)), sort_key(path.field, read(records, b, path))
        if va == vb:
            continue
        nulls_first = item.nulls_first if item.nulls_first is not None else not item.descending
        if va is None or vb is None:
            return (-1 if va is None else 1) * (1 if nulls_first else -1)
        result = -1 if va < vb else 1
        return -result if item.descending else result
    return 0


def _select(plan: _Plan, rows: list[dict[str, Any]], records: Records) -> list[dict[str, Any]]:
    chosen = [row for row in rows if plan.where is None or plan.where(row)]
    if plan.order:
        chosen.sort(key=functools.cmp_to_key(functools.partial(_compare_rows, plan.order, records)))
    start = plan.query.offset or 0
    end = start + plan.query.limit if plan.query.limit is not None else None
    return chosen[start:end]


def _shape(plan: _Plan, row: dict[str, Any], records: Records) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": plan.obj.name, "url": record_url(plan.obj.name, row["Id"])}}
    for path in plan.fields:
        target, current = out, row
        for (hop, parent_spec), name in zip(path.hops, path.names, strict=False):
            parent_id = current.get(hop.name) if current else None
            current = records[parent_spec.name].get(parent_id) if parent_id else None
            if current is None:
                target.setdefault(name, None)
                break
            if not isinstance(target.get(name), dict):
                target[name] = {"attributes": {"type": parent_spec.name,
                                               "url": record_url(parent_spec.name, current["Id"])}}
            target = target[name]
        else:
            target[path.field.name] = current.get(path.field.name) if current else None
    for key, child_plan, parent_field in plan.children:
        kids = _select(child_plan, [r for r in records[child_plan.obj.name].values() if r[parent_field] == row["Id"]],
                       records)
        out[key] = {"totalSize": len(kids), "done": True,
                    "records": [_shape(child_plan, kid, records) for kid in kids]} if kids else None
    return out


def _count(query: Query, source: str) -> Count | None:
    counts = [item for item in query.select if isinstance(item, Count)]
    if not counts:
        return None
    if len(query.select) > 1:
        other = next(item for item in query.select if not isinstance(item, Count))
        offset = other.offset if isinstance(other, FieldRef) else 0
        raise query_error("MALFORMED_QUERY", source, offset, "Field must be grouped or aggregated: "
                          f"{other.text if isinstance(other, FieldRef) else 'subquery'}")
    return counts[0]


def run(query: Query, source: str, records: Records, rows: Rows, today: date) -> Result:
    """Evaluate ``query``.

    Args:
        query: The parsed statement.
        source: Its text (for positioned error messages).
        records: Live records by sObject and id (parents are looked up here).
        rows: The candidate rows of an sObject (live ones, or live and deleted for ``queryAll``).
        today: The org's current day (for date literals).
    """
    obj = resolve_object(query.sobject, source, query.sobject_offset)
    count = _count(query, source)
    if count is not None:
        plan = _plan(obj, Query((), query.sobject, query.sobject_offset, query.where), source, records, today)
        if count.field is not None:
            resolve(obj, count.field, source)
        matched = _select(plan, rows(obj.name), records)
        if count.field is None:
            return Result(len(matched), [])
        aggregate = {"attributes": {"type": "AggregateResult"}, count.alias or "expr0": len(matched)}
        return Result(1, [aggregate])
    plan = _plan(obj, query, source, records, today)
    chosen = _select(plan, rows(obj.name), records)
    return Result(len(chosen), [_shape(plan, row, records) for row in chosen])
