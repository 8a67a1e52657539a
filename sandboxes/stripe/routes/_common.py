"""Helpers shared by the route modules: list envelopes, metadata updates, deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandboxes._kit import CursorNotFoundError, cursor_page

from ..errors import StripeError
from ..params import Params
from ..state import KINDS, StripeState

__all__ = ["LIST_PARAMS", "apply_metadata", "list_response", "mark_deleted"]

LIST_PARAMS = ("limit", "starting_after", "ending_before", "created")


def list_response(state: StripeState, params: Params, kind: str, url: str,
                  where: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """A Stripe list envelope over ``kind``, newest first, paged by the request's cursor parameters."""
    limit = params.integer("limit", default=10)
    if not 1 <= limit <= 100:
        raise StripeError(400, "This value must be greater than or equal to 1 and less than or equal to 100.",
                          code="parameter_invalid_integer", param="limit")
    items = state.newest_first(kind, where)
    try:
        page = cursor_page(items, limit, params.text("starting_after"), params.text("ending_before"))
    except CursorNotFoundError as exc:
        raise StripeError(404, f"No such {KINDS[kind][1]}: '{exc.cursor}'", code="resource_missing",
                          param=exc.param) from None
    return {"object": "list", "data": page.items, "has_more": page.has_more, "url": url}


def apply_metadata(obj: dict[str, Any], params: Params) -> None:
    """Merge ``metadata[k]=v``; an empty value removes ``k``; ``metadata=`` clears all."""
    update = params.metadata()
    if update is None:
        return
    if not update:
        obj["metadata"] = {}
        return
    merged = {**obj.get("metadata", {}), **update}
    obj["metadata"] = {k: v for k, v in merged.items() if v != ""}


def mark_deleted(state: StripeState, kind: str, object_id: str) -> dict[str, Any]:
    """Delete an object; answers Stripe's ``{"id", "object", "deleted": true}``."""
    obj = state.get(kind, object_id)
    state.objects[kind].pop(object_id)
    return {"id": obj["id"], "object": obj["object"], "deleted": True}
