"""The Chargebee sandbox app: ``create_app()`` builds a Litestar app with its own in-memory state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware

from sandboxes._kit import FaultInjector, FaultMiddleware, IdFactory, WebhookDispatcher, admin_router

from .admin import admin_handlers
from .errors import ChargebeeError, ChargebeeFaults, internal_error_body, not_found
from .events import wire_delivery
from .routes import ROUTES
from .state import ChargebeeState

__all__ = ["DEFAULT_PORT", "create_app"]

DEFAULT_PORT = 8205


def _json(body: dict[str, Any], status: int) -> Response[bytes]:
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json;charset=utf-8")


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Framework errors (unknown URL, wrong method) in Chargebee's shape; admin routes keep plain JSON."""
    if request.url.path.startswith("/__sandbox"):
        return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)
    if exc.status_code in (404, 405):
        return _json(not_found().body(), 404)
    if exc.status_code >= 500:
        return _json(internal_error_body(), 500)
    return _json(ChargebeeError(exc.status_code, str(exc.detail), "param_wrong_value").body(), exc.status_code)


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _json(internal_error_body(), 500)


def create_app(
    *,
    seed: int | None = None,
    api_keys: Iterable[str] | None = None,
    clock: Callable[[], float] = time.time,
    snapshot_path: Path | None = None,
    webhook_attempts: int = 3,
    webhook_retry_delay: float = 0.2,
) -> Litestar:
    """Build a Chargebee sandbox (serve it at any host; the SDK's URL is ``http://127.0.0.1:PORT/api/v2``).

    Args:
        seed: Makes resource ids deterministic (a failing run replays with the same ids).
        api_keys: Accepted site API keys; None accepts any non-empty key.
        clock: Wall clock in unix seconds; time travel moves the site clock ahead of it.
        snapshot_path: File for ``POST /__sandbox/snapshot`` and an empty ``POST /__sandbox/restore``.
        webhook_attempts: Delivery attempts per event before giving up (failed deliveries are retried).
        webhook_retry_delay: First delay between delivery attempts in seconds (doubles each time).

    Returns:
        The app. ``app.state["chargebee_state"]``, ``["faults"]`` and ``["webhooks"]`` expose the internals.
    """
    state = ChargebeeState(ids=IdFactory(seed, length=17), clock=clock)
    injector = FaultInjector()
    dispatcher = WebhookDispatcher(max_attempts=webhook_attempts, retry_delay=webhook_retry_delay)
    wire_delivery(state, dispatcher)
    return Litestar(
        route_handlers=[*ROUTES, admin_router(state, injector, dispatcher, snapshot_path), *admin_handlers(state)],
        middleware=[DefineMiddleware(FaultMiddleware, injector=injector, vendor=ChargebeeFaults())],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
        state=State({
            "chargebee_state": state, "faults": injector, "webhooks": dispatcher,
            "chargebee_api_keys": frozenset(api_keys) if api_keys is not None else None,
        }),
        openapi_config=None,
        debug=False,
    )
