"""Turning JSON request values into stored field values, with Salesforce's errors for bad ones."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from ..errors import SalesforceError, bad_id
from ..ids import is_id, to18
from ..schema import FieldSpec

__all__ = ["coerce", "format_datetime", "parse_datetime"]

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")
_TYPE_NAMES = {"double": "double", "currency": "double", "percent": "double", "int": "int", "boolean": "boolean",
               "date": "date", "datetime": "datetime"}


def _parser_error(spec: FieldSpec, value: Any) -> SalesforceError:
    kind = "VALUE_STRING" if isinstance(value, str) else (
        "VALUE_TRUE" if value is True else "VALUE_FALSE" if value is False else
        "START_OBJECT" if isinstance(value, dict) else "START_ARRAY" if isinstance(value, list) else "VALUE_NUMBER")
    shown = value if isinstance(value, str | int | float) else ""
    return SalesforceError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of "
                           f"{_TYPE_NAMES.get(spec.type, 'string')} from {kind} value {shown} or request may be "
                           f"missing a required field")


def format_datetime(moment: datetime) -> str:
    """Salesforce's datetime wire format: ``2024-05-01T10:00:00.000+0000``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 datetime (``Z``, ``+0000`` or ``+00:00``); naive values are UTC."""
    if not _DATETIME.match(text):
        raise ValueError(text)
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(spec: FieldSpec, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _parser_error(spec, value)
    try:
        number = float(value)
    except ValueError:
        raise _parser_error(spec, value) from None
    if spec.type == "int":
        if not number.is_integer():
            raise _parser_error(spec, value)
        return int(number)
    return number


def _text(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _parser_error(spec, value)
    text = value if isinstance(value, str) else str(value)
    if spec.length and len(text) > spec.length:
        raise SalesforceError(400, "STRING_TOO_LONG", f"{spec.label}: data value too large: {text[:40]} "
                              f"(max length={spec.length})", [spec.name])
    return text


def _temporal(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _parser_error(spec, value)
    try:
        if spec.type == "date":
            return date.fromisoformat(value[:10]).isoformat() if re.match(r"^\d{4}-\d{2}-\d{2}$", value) \
                else _bad_date(spec, value)
        return format_datetime(parse_datetime(value))
    except ValueError:
        raise _parser_error(spec, value) from None


def _bad_date(spec: FieldSpec, value: Any) -> str:
    raise _parser_error(spec, value)


def _multi(spec: FieldSpec, text: str) -> str | None:
    """A multi-select picklist value: ``;``-separated values, each an option of a restricted picklist."""
    values = [v.strip() for v in text.split(";") if v.strip()]
    bad = next((v for v in values if spec.restricted and v not in spec.picklist), None)
    if bad is not None:
        raise SalesforceError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                              f"{spec.label}: bad value for restricted picklist field: {bad}", [spec.name])
    return ";".join(values) or None


def coerce(sobject: str, spec: FieldSpec, value: Any) -> Any:
    """The stored form of ``value`` for ``spec`` (None stays None; nillability is checked by the caller)."""
    if value is None:
        return None
    if spec.type == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise _parser_error(spec, value)
        return value
    if spec.numeric:
        return _number(spec, value)
    if spec.type in ("date", "datetime"):
        return _temporal(spec, value)
    if spec.type == "reference":
        if not isinstance(value, str) or not is_id(value):
            raise bad_id(spec.reference_to[0], spec.name, value)
        return to18(value)
    text = _text(spec, value)
    if spec.type == "multipicklist":
        return _multi(spec, text)
    if spec.restricted and text not in spec.picklist:
        raise SalesforceError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                              f"{spec.label}: bad value for restricted picklist field: {text}", [spec.name])
    return text
