"""Cursor pagination over newest-first object lists (``limit`` / ``starting_after`` / ``ending_before``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CursorNotFoundError", "Page", "cursor_page", "offset_page"]


class CursorNotFoundError(LookupError):
    """The cursor id is not in the list; the vendor app turns it into its own error body."""

    def __init__(self, cursor: str, param: str) -> None:
        super().__init__(cursor)
        self.cursor = cursor
        self.param = param


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    items: list[dict[str, Any]]
    """The objects on this page, in list order."""
    has_more: bool
    """Whether more objects lie beyond this page in the paging direction."""


def cursor_page(
    items: Sequence[dict[str, Any]],
    limit: int,
    starting_after: str | None = None,
    ending_before: str | None = None,
    id_key: str = "id",
) -> Page:
    """Slice ``items`` as cursor-paginated APIs do.

    Args:
        items: Every object, already in list order (newest first for Stripe).
        limit: Page size.
        starting_after: Return objects after this id.
        ending_before: Return objects before this id (the page just before the cursor).
        id_key: The field holding each object's id.

    Returns:
        The page and whether more objects exist in that direction.

    Raises:
        CursorNotFoundError: A cursor names an object not in the list.
    """
    ids = [item[id_key] for item in items]
    if starting_after is not None:
        if starting_after not in ids:
            raise CursorNotFoundError(starting_after, "starting_after")
        start = ids.index(starting_after) + 1
        chunk = list(items[start : start + limit])
        return Page(chunk, start + limit < len(items))
    if ending_before is not None:
        if ending_before not in ids:
            raise CursorNotFoundError(ending_before, "ending_before")
        end = ids.index(ending_before)
        start = max(0, end - limit)
        return Page(list(items[start:end]), start > 0)
    return Page(list(items[:limit]), limit < len(items))


def offset_page(items: Sequence[dict[str, Any]], limit: int, page: int) -> Page:
    """Slice ``items`` by page number (0-based), for search-style ``page`` tokens."""
    start = page * limit
    return Page(list(items[start : start + limit]), start + limit < len(items))
