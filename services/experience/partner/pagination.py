"""Cursor pagination over lists sorted newest first.

A cursor is the sort key of the last item of a page (opaque to clients: URL-safe base64 of JSON), so the next
page starts right after it however many items were added meanwhile: no item is skipped or repeated, as
offsets would do when new orders arrive between two page reads.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

import msgspec
from litestar.params import Parameter

from contracts.problems import FieldError
from services.runtime.problems import ServiceError

__all__ = ["Cursor", "Limit", "decode_cursor", "encode_cursor", "paginate"]

T = TypeVar("T")
SortKey = tuple[str, str]
"""``(timestamp in ISO 8601, id)``: compares like the items' order."""

Cursor = Annotated[str | None, Parameter(pattern=r"^[A-Za-z0-9_-]{1,400}$", max_length=400,
                                         description="`next_cursor` of the previous page")]
Limit = Annotated[int, Parameter(ge=1, le=100, description="Items per page")]


def encode_cursor(key: SortKey) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(key))).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> SortKey:
    """The sort key a cursor carries.

    Raises:
        ServiceError: a 400 naming ``cursor`` when it was not made by ``encode_cursor``.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, ident = msgspec.json.decode(raw, type=tuple[str, str])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ServiceError("The cursor is not one this API returned.", slug="validation", errors=[
            FieldError(field="cursor", source="query", message="pass next_cursor of the previous page")]) from None
    return stamp, ident


def paginate(items: Sequence[T], key: Callable[[T], SortKey], limit: int,
             cursor: str | None) -> tuple[list[T], str | None]:
    """One page of ``items`` (newest first by ``key``) after ``cursor``, and the cursor of the next page."""
    ordered = sorted(items, key=key, reverse=True)
    if cursor is not None:
        after = decode_cursor(cursor)
        ordered = [item for item in ordered if key(item) < after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, encode_cursor(key(page[-1])) if more and page else None
