"""OpenAPI per major version, and the compatibility rules a published major must keep.

A published major may grow (new paths, new optional inputs, new response fields) but never break a client:
no removed path or operation, no removed or renamed response field, no newly required request field or
parameter, no narrowed type or enum. ``breaking_changes(old, new)`` lists every violation in words.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["breaking_changes", "majors", "spec_for_major"]

_MAJOR = re.compile(r"^/v(\d+)/")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def majors(spec: dict[str, Any]) -> list[int]:
    """The major versions present in a spec's paths."""
    return sorted({int(m.group(1)) for p in spec.get("paths", {}) if (m := _MAJOR.match(p))})


def spec_for_major(spec: dict[str, Any], major: int) -> dict[str, Any]:
    """The slice of ``spec`` for ``/v<major>/`` paths, with only the components those paths reach."""
    paths = {p: v for p, v in spec.get("paths", {}).items() if p.startswith(f"/v{major}/")}
    schemas = spec.get("components", {}).get("schemas", {})
    reached: set[str] = set()
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name in reached or name not in schemas:
            continue
        reached.add(name)
        pending |= _refs(schemas[name])
    components = dict(spec.get("components", {}))
    components["schemas"] = {k: schemas[k] for k in sorted(reached)}
    return {**spec, "paths": paths, "components": components}


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


class _Resolver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.schemas = spec.get("components", {}).get("schemas", {})

    def __call__(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        while isinstance(schema, dict) and "$ref" in schema and depth < 50:
            schema = self.schemas.get(schema["$ref"].rsplit("/", 1)[1], {})
            depth += 1
        return schema if isinstance(schema, dict) else {}


def _types(schema: dict[str, Any], resolve: _Resolver) -> set[str]:
    """The JSON types a schema accepts (``anyOf``/``oneOf`` unioned); empty means any."""
    if "type" in schema:
        kinds = schema["type"]
        return set(kinds if isinstance(kinds, list) else [kinds])
    out: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            option_types = _types(resolve(option), resolve)
            if not option_types:
                return set()
            out |= option_types
    return out


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(path, method): op for path, item in spec.get("paths", {}).items()
            for method, op in item.items() if method in _METHODS}


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every way ``new`` would break a client written against ``old``."""
    problems: list[str] = []
    old_ops, new_ops = _operations(old), _operations(new)
    for path in sorted(set(old.get("paths", {})) - set(new.get("paths", {}))):
        problems.append(f"removed path {path}")
    for (path, method), op in sorted(old_ops.items()):
        where = f"{method.upper()} {path}"
        if (path, method) not in new_ops:
            if path in new.get("paths", {}):
                problems.append(f"removed operation {where}")
            continue
        new_op = new_ops[(path, method)]
        problems += _parameter_changes(where, op, new_op, _Resolver(old), _Resolver(new))
        problems += _request_changes(where, op, new_op, _Resolver(old), _Resolver(new))
        problems += _response_changes(where, op, new_op, _Resolver(old), _Resolver(new))
    return problems


def _parameter_changes(where: str, old_op: dict[str, Any], new_op: dict[str, Any],
                       old_r: _Resolver, new_r: _Resolver) -> list[str]:
    old_params = {(p.get("in"), p.get("name")): p for p in old_op.get("parameters", [])}
    new_params = {(p.get("in"), p.get("name")): p for p in new_op.get("parameters", [])}
    out = []
    for key, param in new_params.items():
        was_required = old_params.get(key, {}).get("required", False)
        if param.get("required") and not was_required:
            out.append(f"{where}: {key[0]} parameter {key[1]!r} is newly required")
        if key in old_params:
            out += _compare_input(f"{where} {key[0]} parameter {key[1]!r}", old_r(old_params[key].get("schema", {})),
                                  new_r(param.get("schema", {})), old_r, new_r, 0)
    for location, name in sorted(set(old_params) - set(new_params)):
        if location == "query":  # unknown query parameters are refused, so clients still sending it now fail
            out.append(f"{where}: query parameter {name!r} removed")
    return out


def _json_schema(body: dict[str, Any] | None) -> dict[str, Any] | None:
    content = (body or {}).get("content", {})
    for media, entry in content.items():
        if "json" in media:
            return entry.get("schema")
    return None


def _request_changes(where: str, old_op: dict[str, Any], new_op: dict[str, Any],
                     old_r: _Resolver, new_r: _Resolver) -> list[str]:
    old_schema, new_schema = _json_schema(old_op.get("requestBody")), _json_schema(new_op.get("requestBody"))
    if new_schema is None:
        return []
    if old_schema is None:
        return [f"{where}: a request body is newly required"] if new_op["requestBody"].get("required") else []
    return _compare_input(f"{where} request", old_r(old_schema), new_r(new_schema), old_r, new_r, 0)


def _compare_input(where: str, old: dict[str, Any], new: dict[str, Any], old_r: _Resolver, new_r: _Resolver,
                   depth: int) -> list[str]:
    """What a client that sent valid input under ``old`` may now have refused under ``new``."""
    out: list[str] = []
    old_types, new_types = _types(old, old_r), _types(new, new_r)
    if old_types and (not new_types or not old_types <= new_types) and new_types:
        out.append(f"{where}: type narrowed from {sorted(old_types)} to {sorted(new_types)}")
    old, new = _structured(old, old_r), _structured(new, new_r)
    if "enum" in new:
        dropped = set(old["enum"]) - set(new["enum"]) if "enum" in old else None
        if dropped is None:
            out.append(f"{where}: now limited to the values {sorted(map(str, new['enum']))}")
        elif dropped:
            out.append(f"{where}: enum narrowed, {sorted(map(str, dropped))} no longer accepted")
    out += _tightened(where, old, new)
    for field in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        out.append(f"{where}: field {field!r} is newly required")
    if depth >= 8:
        return out
    for name, sub in new.get("properties", {}).items():
        if name in old.get("properties", {}):
            out += _compare_input(f"{where}.{name}", old_r(old["properties"][name]), new_r(sub), old_r, new_r,
                                  depth + 1)
    if "items" in old and "items" in new:
        out += _compare_input(f"{where}[]", old_r(old["items"]), new_r(new["items"]), old_r, new_r, depth + 1)
    return out


_UPPER_BOUNDS = ("maxLength", "maxItems", "maximum", "exclusiveMaximum")
_LOWER_BOUNDS = ("minLength", "minItems", "minimum", "exclusiveMinimum")


def _tightened(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Constraints that now refuse values the old schema accepted."""
    out = []
    for bound in _UPPER_BOUNDS:
        if bound in new and (bound not in old or new[bound] < old[bound]):
            out.append(f"{where}: {bound} tightened to {new[bound]}")
    for bound in _LOWER_BOUNDS:
        if bound in new and (bound not in old or new[bound] > old[bound]):
            out.append(f"{where}: {bound} tightened to {new[bound]}")
    if "pattern" in new and new["pattern"] != old.get("pattern"):
        out.append(f"{where}: pattern changed to {new['pattern']!r}")
    return out


def _structured(schema: dict[str, Any], resolve: _Resolver) -> dict[str, Any]:
    """The object or array branch of a nullable union (``oneOf: [{$ref}, {type: null}]``), else the schema."""
    branches = [resolve(b) for key in ("anyOf", "oneOf") for b in schema.get(key, [])]
    structured = [b for b in branches if "properties" in b or "items" in b]
    return structured[0] if len(structured) == 1 else schema


def _response_changes(where: str, old_op: dict[str, Any], new_op: dict[str, Any],
                      old_r: _Resolver, new_r: _Resolver) -> list[str]:
    out: list[str] = []
    for status, response in old_op.get("responses", {}).items():
        if not str(status).startswith("2"):
            continue
        old_schema = _json_schema(response)
        new_schema = _json_schema(new_op.get("responses", {}).get(status))
        if old_schema is None:
            continue
        if new_schema is None:
            out.append(f"{where}: response {status} no longer has a JSON body")
            continue
        out += _compare_output(f"{where} response {status}", old_r(old_schema), new_r(new_schema), old_r, new_r, 0)
    return out


def _compare_output(where: str, old: dict[str, Any], new: dict[str, Any], old_r: _Resolver, new_r: _Resolver,
                    depth: int) -> list[str]:
    out: list[str] = []
    old_types, new_types = _types(old, old_r), _types(new, new_r)
    if old_types and new_types and not new_types <= old_types:
        out.append(f"{where}: type changed from {sorted(old_types)} to {sorted(new_types)}")
    old, new = _structured(old, old_r), _structured(new, new_r)
    for name in sorted(set(old.get("properties", {})) - set(new.get("properties", {}))):
        out.append(f"{where}: field {name!r} removed or renamed")
    for name in sorted(set(old.get("required", [])) - set(new.get("required", []))):
        if name in new.get("properties", {}):
            out.append(f"{where}: field {name!r} is no longer always present")
    if depth < 8:
        for name, sub in old.get("properties", {}).items():
            if name in new.get("properties", {}):
                out += _compare_output(f"{where}.{name}", old_r(sub), new_r(new["properties"][name]),
                                       old_r, new_r, depth + 1)
        if "items" in old and "items" in new:
            out += _compare_output(f"{where}[]", old_r(old["items"]), new_r(new["items"]), old_r, new_r, depth + 1)
    return out
