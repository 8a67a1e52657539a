"""Typed access to Stripe form parameters, with Stripe's validation errors."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import StripeError, invalid, missing

__all__ = ["Params"]


class Params:
    """A view of (part of) a request's parameters.

    Args:
        data: Parsed bracket-form data.
        prefix: The parameter path of ``data`` (``items[0]``), used in error messages.
    """

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        if not isinstance(data, dict):
            raise invalid(prefix, "Invalid hash", None)
        self.data = data
        self.prefix = prefix

    def name(self, key: str) -> str:
        """The full parameter name of ``key``."""
        return f"{self.prefix}[{key}]" if self.prefix else key

    def allow(self, *keys: str) -> Params:
        """Reject parameters other than ``keys`` (``expand`` is always allowed at top level)."""
        allowed = {*keys, "expand"} if not self.prefix else set(keys)
        for key in self.data:
            if key not in allowed:
                raise StripeError(400, f"Received unknown parameter: {self.name(key)}", code="parameter_unknown",
                                  param=self.name(key))
        return self

    def has(self, key: str) -> bool:
        """Whether ``key`` was sent."""
        return key in self.data

    def text(self, key: str, required: bool = False, default: str | None = None) -> str | None:
        """A string parameter."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise missing(self.name(key))
            return default
        if not isinstance(value, str):
            raise invalid(self.name(key), f"Invalid string: {self.name(key)}", "parameter_invalid_string")
        if required and value == "":
            raise invalid(self.name(key), f"You passed an empty string for '{self.name(key)}'. We assume empty "
                          "values are an attempt to unset a parameter; however "
                          f"'{self.name(key)}' cannot be unset.", "parameter_invalid_empty")
        return value

    def integer(self, key: str, required: bool = False, default: int | None = None, minimum: int | None = None) -> Any:
        """An integer parameter."""
        raw = self.text(key, required)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid(self.name(key), f"Invalid integer: {raw}", "parameter_invalid_integer") from None
        if minimum is not None and value < minimum:
            raise invalid(self.name(key), f"This value must be greater than or equal to {minimum}.")
        return value

    def decimal(self, key: str) -> Decimal | None:
        """A decimal-string parameter (``unit_amount_decimal``)."""
        raw = self.text(key)
        if raw is None:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise invalid(self.name(key), f"Invalid decimal: {raw}", "parameter_invalid_string") from None
        if not value.is_finite():
            raise invalid(self.name(key), f"Invalid decimal: {raw}", "parameter_invalid_string")
        return value

    def flag(self, key: str, default: bool | None = None) -> Any:
        """A boolean parameter (``true``/``false``)."""
        raw = self.text(key)
        if raw is None:
            return default
        if raw not in ("true", "false"):
            raise invalid(self.name(key), f"Invalid boolean: {raw}", "parameter_invalid_boolean")
        return raw == "true"

    def enum(self, key: str, choices: tuple[str, ...], default: str | None = None, required: bool = False) -> Any:
        """A parameter restricted to ``choices``."""
        value = self.text(key, required)
        if value is None:
            return default
        if value not in choices:
            listed = ", ".join(choices[:-1]) + f", or {choices[-1]}" if len(choices) > 1 else choices[0]
            raise invalid(self.name(key), f"Invalid {self.name(key)}: must be one of {listed}", None)
        return value

    def sub(self, key: str, required: bool = False) -> Params | None:
        """A nested hash parameter."""
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise missing(self.name(key))
            return None
        if not isinstance(value, dict):
            raise invalid(self.name(key), "Invalid hash", None)
        return Params(value, self.name(key))

    def array(self, key: str) -> list[Any]:
        """An array parameter (``key[0][...]`` or ``key[]=``); empty string clears it."""
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            raise invalid(self.name(key), "Invalid array", None)
        return value

    def subs(self, key: str) -> list[Params]:
        """An array of hashes."""
        return [Params(v, f"{self.name(key)}[{i}]") for i, v in enumerate(self.array(key))]

    def metadata(self, key: str = "metadata") -> dict[str, str] | None:
        """``metadata[k]=v`` pairs; an empty value deletes that key on update."""
        sub = self.sub(key)
        if sub is None:
            return {} if self.data.get(key) == "" else None
        for k, v in sub.data.items():
            if not isinstance(v, str):
                raise invalid(sub.name(k), "Invalid metadata value", None)
        return dict(sub.data)
