"""Salesforce-specific admin routes: Outbound Message listeners and their delivery log.

| route | does |
|---|---|
| ``GET /__sandbox/outbound-messages`` | listeners, fields, stages, retry policy and the delivery log |
| ``POST /__sandbox/outbound-messages`` | set ``urls``, ``fields``, ``stages``, ``retry_delay``, ``max_attempts`` |
| ``DELETE /__sandbox/outbound-messages`` | no listeners, empty log |
| ``POST /__sandbox/outbound-messages/flush`` | wait until every message is acknowledged or given up |
| ``POST /__sandbox/outbound-messages/redeliver`` | send every past notification again to the current listeners |
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Router, delete, get, post
from litestar.exceptions import ClientException

from .outbound import OutboundConfig, OutboundSender
from .schema import OBJECTS, STAGES
from .store import OrgState

__all__ = ["AdminState", "outbound_router"]


class AdminState:
    """The org as the kit's admin routes see it: a reset also restores the configured listeners."""

    def __init__(self, state: OrgState, sender: OutboundSender, defaults: OutboundConfig) -> None:
        self.state, self.sender, self.defaults = state, sender, defaults

    def reset(self) -> None:
        """Fresh org, default listeners, empty delivery log."""
        self.state.reset()
        self.sender.config = OutboundConfig(**self.defaults.to_json())
        self.sender.log.clear()
        self.sender.sent.clear()

    def inspect(self) -> dict[str, Any]:
        """Counts and records by type."""
        return self.state.inspect()

    def snapshot(self) -> dict[str, Any]:
        """The org's records."""
        return self.state.snapshot()

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the org's records."""
        self.state.restore(data)


def _config(data: Any, current: OutboundConfig) -> OutboundConfig:
    if not isinstance(data, dict) or set(data) - {"urls", "fields", "stages", "retry_delay", "max_attempts"}:
        raise ClientException("body must be an object with urls, fields, stages, retry_delay, max_attempts")
    urls = data.get("urls", current.urls)
    fields = data.get("fields", current.fields)
    stages = data.get("stages", current.stages)
    if not isinstance(stages, list) or not stages or not all(s in STAGES for s in stages):
        raise ClientException(f"stages must be a non-empty list of Opportunity stages ({', '.join(STAGES)})")
    if not isinstance(urls, list) or not all(isinstance(u, str) and u.startswith(("http://", "https://"))
                                             for u in urls):
        raise ClientException("urls must be a list of http(s) URLs")
    known = OBJECTS["Opportunity"].fields
    if not isinstance(fields, list) or not all(isinstance(f, str) and f in known for f in fields):
        raise ClientException("fields must be a list of Opportunity field names")
    try:
        delay, attempts = float(data.get("retry_delay", current.retry_delay)), int(
            data.get("max_attempts", current.max_attempts))
    except (TypeError, ValueError) as exc:
        raise ClientException(f"bad retry policy: {exc}") from exc
    return OutboundConfig(list(urls), list(fields), max(0.0, delay), max(1, attempts), list(stages))


def outbound_router(sender: OutboundSender) -> Router:
    """``/__sandbox/outbound-messages`` routes for one sandbox."""

    @get("/outbound-messages", operation_id="sandboxOutboundMessages")
    async def read() -> dict[str, Any]:
        return {**sender.config.to_json(), "deliveries": list(sender.log)}

    @post("/outbound-messages", status_code=200, operation_id="sandboxSetOutboundMessages")
    async def configure(request: Request[Any, Any, Any]) -> dict[str, Any]:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            raise ClientException(f"body is not JSON: {exc}") from exc
        sender.config = _config(data, sender.config)
        return sender.config.to_json()

    @delete("/outbound-messages", status_code=200, operation_id="sandboxClearOutboundMessages")
    async def clear() -> dict[str, Any]:
        sender.config = OutboundConfig([], sender.config.fields, sender.config.retry_delay,
                                       sender.config.max_attempts, sender.config.stages)
        sender.log.clear()
        sender.sent.clear()
        return sender.config.to_json()

    @post("/outbound-messages/flush", status_code=200, operation_id="sandboxFlushOutboundMessages",
          sync_to_thread=True)
    def flush() -> dict[str, Any]:
        return {"idle": sender.flush()}

    @post("/outbound-messages/redeliver", status_code=200, operation_id="sandboxRedeliverOutboundMessages")
    async def redeliver() -> dict[str, Any]:
        return {"queued": sender.redeliver()}

    return Router(path="/__sandbox", route_handlers=[read, configure, clear, flush, redeliver],
                  include_in_schema=False)
