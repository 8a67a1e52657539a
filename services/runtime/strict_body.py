"""JSON request bodies are read strictly: a value of the wrong JSON type is refused, not converted.

Litestar converts a body into the handler's type in msgspec's lax mode, which is right for query strings (every
value there is text) but wrong for JSON: ``"created_at": 869`` would be read as 1970-01-01T00:14:29Z, ``"active":
"false"`` as ``False`` and ``"quantity": "3"`` as ``3``. A finance API must not guess what a client meant, so
every route taking a JSON body checks it first against the same type with ``strict=True`` and answers a 400
problem naming the field and the reason. Malformed JSON is left to Litestar's own answer.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg

__all__ = ["install_strict_body", "split_validation_error"]

_PATH = re.compile(r"^(.*?)(?: - at `\$(.*)`)?$", re.S)
_SKIPPED = (bytes, str, Any, object)


def install_strict_body(handler: HTTPRouteHandler) -> None:
    """Make ``handler`` check its JSON body strictly before Litestar converts it (no-op without one)."""
    decoder = _decoder_for(handler)
    if decoder is None:
        return

    async def check_body(request: Request[Any, Any, Any]) -> None:
        body = await request.body()  # kept on the connection: the handler's own decoding reads the same bytes
        if not body:
            return
        try:
            decoder.decode(body)
        except msgspec.ValidationError as exc:
            if _is_json(body):  # a type error can be met before a syntax error further on
                raise _refusal(str(exc)) from None
        except msgspec.DecodeError:
            return  # not JSON: Litestar's decoding answers it as a malformed body

    handler.before_request = check_body


def _decoder_for(handler: HTTPRouteHandler) -> msgspec.json.Decoder[Any] | None:
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None or field.annotation in _SKIPPED:
        return None
    body = field.kwarg_definition
    if isinstance(body, BodyKwarg) and body.media_type not in (RequestEncodingType.JSON, "application/json"):
        return None
    try:
        return msgspec.json.Decoder(type=field.annotation, strict=True)
    except (TypeError, ValueError):  # a type msgspec cannot decode by itself (a DTO's model): left to Litestar
        return None


def _is_json(body: bytes) -> bool:
    try:
        msgspec.json.decode(body)
    except msgspec.DecodeError:
        return False
    return True


def split_validation_error(message: str) -> tuple[str, str]:
    """A msgspec validation message as its reason and the dotted path of the field.

    The path reads ``lines.0.sku``; it is ``""`` when the value itself is at fault.
    """
    match = _PATH.match(message)
    reason, path = (match.group(1), match.group(2) or "") if match else (message, "")
    return reason, re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")


def _refusal(message: str) -> ValidationException:
    reason, field = split_validation_error(message)
    return ValidationException(detail="Validation failed", extra=[{"key": field, "message": reason,
                                                                   "source": "body"}])
