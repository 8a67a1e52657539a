"""Parse ``application/x-www-form-urlencoded`` bodies with bracket keys into nested data.

``items[0][price]=p&metadata[k]=v&expand[]=x`` becomes
``{"items": [{"price": "p"}], "metadata": {"k": "v"}, "expand": ["x"]}``. Numeric indexes build lists;
values stay strings (vendors type-check them per parameter).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["FormError", "parse_bracket_form", "parse_bracket_pairs"]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class FormError(ValueError):
    """The body is not a well-formed bracket-key form."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _split(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        raise FormError(f"Invalid parameter name: {key}", key)
    head, rest = match.groups()
    return [head, *re.findall(r"\[([^\[\]]*)\]", rest)]


def _insert(root: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    node: Any = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = parts[i + 1] if not last else None
        fresh: Any = [] if nxt is not None and (nxt == "" or nxt.isdigit()) else {}
        if isinstance(node, list):
            if part == "":
                node.append(value if last else fresh)
                node = node[-1]
                continue
            if not part.isdigit():
                raise FormError(f"Invalid array index in {key}", key)
            index = int(part)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
            else:
                node[index] = node[index] if node[index] is not None else fresh
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise FormError(f"Invalid parameter nesting in {key}", key)
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, fresh)


def parse_bracket_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Build nested data from decoded key/value pairs."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        _insert(root, _split(key), value, key)
    return _compact(root)


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(v) for v in node if v is not None]
    if isinstance(node, dict):
        return {k: _compact(v) for k, v in node.items()}
    return node


def parse_bracket_form(body: bytes) -> dict[str, Any]:
    """Decode and nest a form body.

    Raises:
        FormError: The bytes are not UTF-8 or a key is malformed.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormError("Request body is not valid UTF-8") from exc
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError as exc:
        raise FormError("Invalid request body: expected application/x-www-form-urlencoded") from exc
    return parse_bracket_pairs(pairs)
