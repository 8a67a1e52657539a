"""Turning a request body into stored fields and sublist lines, with NetSuite's errors for bad values.

Each body value is checked against its :class:`~.types.Field`; references are resolved by ``id`` or by
``externalId`` to the concrete record they name. ``X-NetSuite-PropertyNameValidation: Error`` (what the
``netsuite`` package sends) makes an unknown property a 400; without it unknown properties are ignored,
as NetSuite's default ``Warning`` level does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import NetSuiteError, invalid_reference
from .store import NetSuiteState
from .types import FREE_REFS, Field, RecordType

__all__ = ["CUSTOM_PREFIXES", "Parsed", "parse_body"]

CUSTOM_PREFIXES = ("custentity", "custitem", "custbody", "custcol", "custrecord")
_IGNORED = ("links", "id", "refName")


@dataclass
class Parsed:
    """A body split into body fields and sublist lines (``None`` for a sublist not sent)."""

    fields: dict[str, Any]
    sublists: dict[str, list[dict[str, Any]]]


def parse_body(state: NetSuiteState, spec: RecordType, body: Any, *, strict: bool) -> Parsed:
    """Check a request body against the record type.

    Raises:
        NetSuiteError: A value of the wrong kind, an unknown reference or (``strict``) an unknown property.
    """
    if not isinstance(body, dict):
        raise NetSuiteError(400, "Invalid content in the request body. The body must be a JSON object.",
                            "INVALID_CONTENT")
    parsed = Parsed({}, {})
    for key, value in body.items():
        if key in _IGNORED:
            continue
        if key in spec.sublists:
            parsed.sublists[key] = _lines(state, spec.sublists[key].fields, key, value, strict)
        elif key in spec.fields:
            if not spec.fields[key].readonly:
                parsed.fields[key] = convert(state, spec.fields[key], key, value, key)
        elif key.startswith(CUSTOM_PREFIXES):
            parsed.fields[key] = _custom(value, key)
        elif strict:
            raise _unknown(key, spec.name)
    return parsed


def _unknown(key: str, rtype: str) -> NetSuiteError:
    return NetSuiteError(400, f"Invalid field name: '{key}'. The field does not exist on record type {rtype}.",
                         "INVALID_CONTENT", path=key)


def _lines(state: NetSuiteState, fields: dict[str, Field], name: str, value: Any,
           strict: bool) -> list[dict[str, Any]]:
    if not isinstance(value, dict) or not isinstance(value.get("items", []), list):
        raise NetSuiteError(400, f"Invalid content in the request body. The sublist '{name}' must be an object "
                            "with an 'items' array.", "INVALID_CONTENT", path=name)
    lines = []
    for index, raw in enumerate(value.get("items", [])):
        path = f"{name}.items[{index}]"
        if not isinstance(raw, dict):
            raise NetSuiteError(400, "Invalid content in the request body. A sublist line must be an object.",
                                "INVALID_CONTENT", path=path)
        line: dict[str, Any] = {}
        for key, item in raw.items():
            if key in _IGNORED:
                continue
            if key in fields:
                line[key] = convert(state, fields[key], key, item, f"{path}.{key}")
            elif key.startswith(CUSTOM_PREFIXES):
                line[key] = _custom(item, f"{path}.{key}")
            elif strict:
                raise _unknown(key, name)
        lines.append(line)
    return lines


def _custom(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        if "id" not in value or not isinstance(value["id"], str | int) or isinstance(value["id"], bool):
            raise invalid_reference(path.rsplit(".", 1)[-1], value, path)
        return {"$ref": "customList", "id": str(value["id"])}
    if isinstance(value, list):
        raise invalid_reference(path.rsplit(".", 1)[-1], value, path)
    return value


def convert(state: NetSuiteState, spec: Field, name: str, value: Any, path: str) -> Any:
    """One value in its stored form (``None`` clears a field)."""
    if value is None:
        return None
    if spec.kind == "ref":
        return _reference(state, spec.ref or "free", name, value, path)
    if spec.kind == "bool" and isinstance(value, bool):
        return value
    if spec.kind == "number":
        return _number(value, name, path)
    if spec.kind == "date" and isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    if spec.kind == "text" and isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise invalid_reference(name, value, path)


def _number(value: Any, name: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid_reference(name, value, path)
    try:
        number = float(value)
    except ValueError:
        raise invalid_reference(name, value, path) from None
    if not math.isfinite(number) or abs(number) >= 1e15:
        raise invalid_reference(name, value, path)
    return number


def _reference(state: NetSuiteState, family: str, name: str, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not ({"id", "externalId"} & value.keys()):
        raise invalid_reference(name, value, path)
    key = value.get("id")
    if key is not None and (isinstance(key, bool) or not isinstance(key, str | int)):
        raise invalid_reference(name, key, path)
    if family == "free":
        if key is None:
            raise invalid_reference(name, value.get("externalId"), path)
        return {"$ref": name if name in FREE_REFS else "free", "id": str(key)}
    if key is not None:
        found = state.find(family, str(key))
    else:
        external = value.get("externalId")
        found = state.by_external_id_in(family, external) if isinstance(external, str) else None
        key = external
    if found is None:
        raise invalid_reference(name, key, path)
    return {"$ref": found["type"], "id": found["id"]}
