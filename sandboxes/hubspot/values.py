"""Property values: coerce JSON input to HubSpot's stored strings, and compare stored values for search.

HubSpot stores every value as a string: numbers normalised (``"1200.00"`` -> ``"1200"``), booleans
``"true"``/``"false"``, datetimes as ISO 8601 UTC with milliseconds, dates as ``YYYY-MM-DD``. Datetimes and dates
are accepted as ISO strings or epoch milliseconds, as HubSpot accepts them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .schema import Prop

__all__ = ["ValueProblem", "coerce", "iso_ms", "sort_key"]


class ValueProblem(ValueError):
    """A value HubSpot refuses: ``error`` is HubSpot's code (``INVALID_FLOAT``, ``INVALID_OPTION``...)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


def iso_ms(moment: datetime) -> str:
    """``2024-06-30T12:00:00.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _number(text: str) -> str:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueProblem("INVALID_FLOAT", f"{text} was not a valid number.") from None
    if not value.is_finite():
        raise ValueProblem("INVALID_FLOAT", f"{text} was not a valid number.")
    normal = format(value.normalize(), "f")
    return "0" if normal in ("-0", "0") else normal


def _moment(text: str) -> datetime:
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(stripped) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _datetime(text: str) -> str:
    try:
        return iso_ms(_moment(text))
    except (ValueError, OverflowError, OSError):
        raise ValueProblem("INVALID_DATE", f"{text} is not a valid date or datetime.") from None


def _date(text: str) -> str:
    try:
        moment = _moment(text)
    except (ValueError, OverflowError, OSError):
        raise ValueProblem("INVALID_DATE", f"{text} is not a valid date.") from None
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise ValueProblem("INVALID_DATE", f"{text} is not at midnight UTC, so it is not a valid date.")
    return moment.date().isoformat()


def _bool(text: str) -> str:
    if text.strip().lower() not in ("true", "false"):
        raise ValueProblem("INVALID_BOOLEAN", f"{text} was not a valid boolean (true or false).")
    return text.strip().lower()


def _as_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return repr(raw) if isinstance(raw, float) else str(raw)
    if isinstance(raw, str):
        return raw
    raise ValueProblem("INVALID_TYPE", f"Cannot deserialize value of type `java.lang.String` from "
                                       f"{'Object' if isinstance(raw, dict) else 'Array'} value")


def coerce(prop: Prop, raw: Any) -> str | None:
    """The stored string for ``raw`` (None or ``""`` clears the property).

    Raises:
        ValueProblem: The value does not fit the property's type or options.
    """
    if raw is None:
        return None
    text = _as_text(raw)
    if text == "":
        return None
    if prop.type == "number":
        return _number(text)
    if prop.type == "datetime":
        return _datetime(text)
    if prop.type == "date":
        return _date(text)
    if prop.type == "bool":
        return _bool(text)
    if prop.type == "enumeration":
        return _options(prop, text)
    return text


def _options(prop: Prop, text: str) -> str | None:
    """An enumeration value; a multiple-checkboxes one holds several options separated by ``;``."""
    chosen = [v for v in text.split(";") if v] if prop.multiple else [text]
    bad = next((v for v in chosen if v not in prop.options), None)
    if bad is not None:
        raise ValueProblem("INVALID_OPTION", f"{bad} was not one of the allowed options: [{', '.join(prop.options)}]")
    return ";".join(chosen) or None


def sort_key(prop: Prop | None, value: str) -> Any:
    """A comparable form of a stored (or filter) value: numbers and datetimes numerically, text case-folded."""
    if prop is not None and prop.type == "number":
        return Decimal(_number(value))
    if prop is not None and prop.type in ("datetime", "date"):
        return _moment(value).timestamp()
    return value.casefold()

