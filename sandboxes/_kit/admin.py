"""Admin routes every sandbox mounts under ``/__sandbox/``: reset, inspect, snapshot, faults, webhooks.

| route | does |
|---|---|
| ``POST /__sandbox/reset`` | empty the vendor state, clear faults and webhook history |
| ``GET /__sandbox/state`` | the vendor state as JSON (for tests and the ops console) |
| ``GET /__sandbox/snapshot`` · ``POST /__sandbox/snapshot`` | the full state; POST also writes the file |
| ``POST /__sandbox/restore`` | load a snapshot from the JSON body, or from the configured file when the body is empty |
| ``GET/POST/DELETE /__sandbox/faults`` | read, set (:class:`FaultConfig` JSON) or clear faults |
| ``GET /__sandbox/webhooks`` · ``POST /__sandbox/webhooks/faults`` | delivery log; delivery faults |
| ``POST /__sandbox/webhooks/flush`` · ``POST /__sandbox/webhooks/{event_id}/redeliver`` | wait for delivery; resend |
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from litestar import Request, Router, delete, get, post
from litestar.exceptions import ClientException

from .faults import FaultConfig, FaultInjector
from .webhooks import DeliveryFaults, WebhookDispatcher

__all__ = ["SandboxState", "admin_router"]


class SandboxState(Protocol):
    """What a vendor's state offers the admin routes."""

    def reset(self) -> None:
        """Forget everything."""
        ...

    def inspect(self) -> dict[str, Any]:
        """A readable view of the state."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to restore the state, as JSON-ready data."""
        ...

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        ...


async def _json(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ClientException(f"body is not JSON: {exc}") from exc


def admin_router(
    state: SandboxState,
    injector: FaultInjector,
    dispatcher: WebhookDispatcher | None = None,
    snapshot_path: Path | None = None,
) -> Router:
    """Build the ``/__sandbox`` router for one sandbox.

    Args:
        state: The vendor state.
        injector: The fault injector the app's middleware consults.
        dispatcher: The webhook dispatcher, when the vendor sends webhooks.
        snapshot_path: File used by ``POST /__sandbox/snapshot`` and an empty ``POST /__sandbox/restore``.
    """
    handlers = _state_handlers(state, injector, dispatcher, snapshot_path) + _fault_handlers(injector)
    if dispatcher is not None:
        handlers += _webhook_handlers(dispatcher)
    return Router(path="/__sandbox", route_handlers=handlers, include_in_schema=False)


def _state_handlers(
    state: SandboxState, injector: FaultInjector, dispatcher: WebhookDispatcher | None, snapshot_path: Path | None
) -> list[Any]:
    @post("/reset", status_code=200, operation_id="sandboxReset")
    async def reset() -> dict[str, Any]:
        state.reset()
        injector.clear()
        if dispatcher is not None:
            dispatcher.reset()
        return {"reset": True}

    @get("/state", operation_id="sandboxState")
    async def inspect() -> dict[str, Any]:
        return state.inspect()

    @get("/snapshot", operation_id="sandboxSnapshot")
    async def read_snapshot() -> dict[str, Any]:
        return state.snapshot()

    @post("/snapshot", status_code=200, operation_id="sandboxSaveSnapshot")
    async def save_snapshot() -> dict[str, Any]:
        if snapshot_path is None:
            raise ClientException("no snapshot file configured for this sandbox")
        snapshot_path.write_text(json.dumps(state.snapshot()), encoding="utf-8")
        return {"saved": True}

    @post("/restore", status_code=200, operation_id="sandboxRestore")
    async def restore(request: Request[Any, Any, Any]) -> dict[str, Any]:
        data = await _json(request)
        if data is None:
            if snapshot_path is None or not snapshot_path.is_file():
                raise ClientException("no snapshot in the body and no snapshot file")
            data = json.loads(snapshot_path.read_text(encoding="utf-8"))
        state.restore(data)
        return {"restored": True}

    return [reset, inspect, read_snapshot, save_snapshot, restore]


def _fault_handlers(injector: FaultInjector) -> list[Any]:
    @get("/faults", operation_id="sandboxFaults")
    async def read_faults() -> dict[str, Any]:
        return {**injector.config.to_json(), "injected": injector.injected}

    @post("/faults", status_code=200, operation_id="sandboxSetFaults")
    async def set_faults(request: Request[Any, Any, Any]) -> dict[str, Any]:
        try:
            config = FaultConfig.from_json(await _json(request) or {})
        except (ValueError, TypeError) as exc:
            raise ClientException(f"invalid fault config: {exc}") from exc
        injector.configure(config)
        return config.to_json()

    @delete("/faults", status_code=200, operation_id="sandboxClearFaults")
    async def clear_faults() -> dict[str, Any]:
        injector.clear()
        return injector.config.to_json()

    return [read_faults, set_faults, clear_faults]


def _webhook_handlers(dispatcher: WebhookDispatcher) -> list[Any]:
    @get("/webhooks", operation_id="sandboxWebhookLog")
    async def log() -> dict[str, Any]:
        return {"deliveries": list(dispatcher.log), "faults": vars(dispatcher.faults)}

    @post("/webhooks/faults", status_code=200, operation_id="sandboxWebhookFaults")
    async def faults(request: Request[Any, Any, Any]) -> dict[str, Any]:
        try:
            dispatcher.set_faults(DeliveryFaults.from_json(await _json(request) or {}))
        except (ValueError, TypeError) as exc:
            raise ClientException(f"invalid delivery faults: {exc}") from exc
        return vars(dispatcher.faults)

    @post("/webhooks/flush", status_code=200, operation_id="sandboxWebhookFlush", sync_to_thread=True)
    def flush() -> dict[str, Any]:
        return {"idle": dispatcher.flush()}

    @post("/webhooks/{event_id:str}/redeliver", status_code=200, operation_id="sandboxRedeliver")
    async def redeliver(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return {"queued": dispatcher.redeliver(request.path_params["event_id"])}

    return [log, faults, flush, redeliver]
