"""Chargebee-specific admin routes beside the kit's: webhook URL with Basic credentials, and time travel.

- ``GET/POST /__sandbox/webhook_config``: read / set ``{"url", "username", "password"}``, as Chargebee's
  webhook settings page does.
- ``POST /__sandbox/time_travel``: ``{"destination_time": unix}`` or ``{"advance_seconds": n}``; bills every
  renewal due on the way (the API's ``/time_machines/delorean/travel_forward`` does the same).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from litestar import Request, get, post
from litestar.exceptions import ClientException

from .cycles import travel
from .errors import ChargebeeError
from .state import ChargebeeState, WebhookConfig

__all__ = ["admin_handlers"]


async def _body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise ClientException(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ClientException("body must be a JSON object")
    return data


def admin_handlers(state: ChargebeeState) -> list[Any]:
    """The extra ``/__sandbox`` handlers for one Chargebee sandbox."""

    @get("/__sandbox/webhook_config", operation_id="sandboxWebhookConfig", include_in_schema=False)
    async def read_config() -> dict[str, Any]:
        return {"url": state.webhook.url, "username": state.webhook.username}

    @post("/__sandbox/webhook_config", status_code=200, operation_id="sandboxSetWebhookConfig",
          include_in_schema=False)
    async def set_config(request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await _body(request)
        url = data.get("url")
        if url is not None and (not isinstance(url, str) or urlparse(url).scheme not in ("http", "https")):
            raise ClientException("url must be an http(s) URL or null")
        try:
            state.webhook = WebhookConfig(url=url, username=data.get("username"), password=data.get("password"))
        except TypeError as exc:
            raise ClientException(str(exc)) from exc
        return {"url": state.webhook.url, "username": state.webhook.username}

    @post("/__sandbox/time_travel", status_code=200, operation_id="sandboxTimeTravel", include_in_schema=False)
    async def time_travel(request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await _body(request)
        try:
            target = int(data["destination_time"]) if "destination_time" in data \
                else state.now() + int(data["advance_seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ClientException("give destination_time (unix seconds) or advance_seconds") from exc
        try:
            renewals = travel(state, target)
        except ChargebeeError as exc:
            raise ClientException(exc.message) from exc
        return {"now": state.now(), "term_ends_processed": renewals}

    return [read_config, set_config, time_travel]
