"""Chargebee's form parameters: indexed bracket keys and typed access with Chargebee's validation errors.

Chargebee encodes arrays of objects column-wise with the index last: ``subscription_items[item_price_id][0]``
and ``subscription_items[quantity][0]`` make one row; ``billing_address[city]`` is a nested object and
``coupon_ids[0]`` a plain array. Rows are kept by index, so a column missing for one row never shifts the
others (a generic bracket parser that compacts lists would).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import ChargebeeError, blank, wrong_value

__all__ = ["Params", "parse_form"]

_KEY = re.compile(r"^([A-Za-z0-9_]+)((?:\[[A-Za-z0-9_]*\])*)$")
_MAX_INDEX = 1000


def _bad(key: str) -> ChargebeeError:
    return wrong_value(key, "invalid parameter name")


def _put(data: dict[str, Any], key: str, value: str) -> None:
    match = _KEY.match(key)
    if not match:
        raise _bad(key)
    name, rest = match.groups()
    subs = re.findall(r"\[([^\[\]]*)\]", rest)
    if not subs:
        data[name] = value
        return
    node = data.setdefault(name, {})
    if not isinstance(node, dict) or len(subs) > 2 or "" in subs:
        raise _bad(key)
    if len(subs) == 1:
        node[int(subs[0]) if subs[0].isdigit() else subs[0]] = value
        return
    field, index = subs
    if not index.isdigit() or field.isdigit() or int(index) > _MAX_INDEX:
        raise _bad(key)
    row = node.setdefault(int(index), {})
    if not isinstance(row, dict):
        raise _bad(key)
    row[field] = value


def parse_form(raw: str) -> dict[str, Any]:
    """Parse a query string or form body into nested data (values stay strings).

    Raises:
        ChargebeeError: A key is malformed.
    """
    data: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        _put(data, key, value)
    return data


class Params:
    """Typed access to (part of) a request's parameters.

    Args:
        data: Parsed data.
        name: Maps a key to the parameter name Chargebee reports in errors.
    """

    def __init__(self, data: dict[Any, Any], name: Any = None) -> None:
        self.data = data
        self._name = name or (lambda key: key)

    def name(self, key: str) -> str:
        """The parameter name of ``key`` as Chargebee reports it."""
        return str(self._name(key))

    def has(self, key: str) -> bool:
        """Whether ``key`` was sent."""
        return key in self.data

    def text(self, key: str, required: bool = False, default: str | None = None) -> Any:
        """A string parameter; an empty value counts as absent."""
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise blank(self.name(key))
            return default
        if not isinstance(value, str):
            raise wrong_value(self.name(key), "invalid value")
        return value

    def integer(self, key: str, required: bool = False, default: int | None = None, minimum: int | None = None,
                maximum: int | None = None) -> Any:
        """An integer parameter, optionally bounded."""
        raw = self.text(key, required)
        if raw is None:
            return default
        if not re.fullmatch(r"-?\d{1,18}", raw):
            raise wrong_value(self.name(key), "invalid integer")
        value = int(raw)
        if minimum is not None and value < minimum:
            raise wrong_value(self.name(key), f"The value {value} is invalid. Minimum value allowed is {minimum}")
        if maximum is not None and value > maximum:
            raise wrong_value(self.name(key), f"The value {value} is invalid. Maximum value allowed is {maximum}")
        return value

    def boolean(self, key: str, default: bool | None = None) -> Any:
        """A ``true``/``false`` parameter."""
        raw = self.text(key)
        if raw is None:
            return default
        if raw not in ("true", "false"):
            raise wrong_value(self.name(key), "invalid boolean value")
        return raw == "true"

    def enum(self, key: str, choices: tuple[str, ...], default: str | None = None, required: bool = False) -> Any:
        """A parameter restricted to ``choices``."""
        value = self.text(key, required)
        if value is None:
            return default
        if value not in choices:
            raise wrong_value(self.name(key), f"The value {value} is not allowed. Allowed values: "
                              + ", ".join(choices))
        return value

    def obj(self, key: str) -> Params:
        """A nested object (``billing_address[city]``, ``transaction[amount]``, ``customer_id[is]``)."""
        value = self.data.get(key, {})
        if not isinstance(value, dict) or any(isinstance(k, int) for k in value):
            raise wrong_value(self.name(key), "invalid value")
        return Params(value, lambda sub: f"{self.name(key)}[{sub}]")

    def rows(self, key: str) -> list[Params]:
        """An indexed array of objects (``subscription_items[item_price_id][0]``), in index order."""
        value = self.data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(k, int) and isinstance(v, dict)
                                                  for k, v in value.items()):
            raise wrong_value(self.name(key), "invalid value")
        return [Params(value[i], lambda sub, i=i: f"{self.name(key)}[{sub}][{i}]") for i in sorted(value)]

    def values(self, key: str) -> list[str]:
        """An indexed array of strings (``coupon_ids[0]``)."""
        value = self.data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(k, int) and isinstance(v, str)
                                                  for k, v in value.items()):
            raise wrong_value(self.name(key), "invalid value")
        return [value[i] for i in sorted(value)]
