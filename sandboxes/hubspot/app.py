"""The HubSpot sandbox app: ``create_app()`` builds a Litestar app with its own in-memory portal."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware

from sandboxes._kit import FaultInjector, FaultMiddleware, WebhookDispatcher, admin_router

from .admin import hubspot_admin_router, webhook_config
from .errors import error_body
from .ratelimit import HubSpotFaults, RateBudget, RateLimitHeaders
from .routes import ROUTES
from .schema import Prop
from .state import HubSpotState

__all__ = ["DEFAULT_PORT", "DEV_TOKEN", "create_app"]

DEFAULT_PORT = 8202
DEV_TOKEN = "pat-na1-00000000-0000-4000-8000-000000000000"
"""A private-app token the sandbox always accepts when no token list is given (any ``pat-na1-<uuid>`` works)."""


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Framework errors (unknown URL, wrong method) in HubSpot's shape; admin routes keep plain JSON."""
    if request.url.path.startswith("/__sandbox"):
        return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)
    cid = str(uuid.uuid4())
    if exc.status_code in (404, 405):
        body = error_body(f"Unable to route {request.method} {request.url.path}: resource not found",
                          "OBJECT_NOT_FOUND", cid)
        status = 404
    else:
        status = exc.status_code if exc.status_code < 500 else 500
        body = error_body(str(exc.detail), "VALIDATION_ERROR" if status < 500 else "INTERNAL_ERROR", cid)
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json;charset=utf-8",
                    headers={"X-HubSpot-Correlation-Id": cid})


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    body = error_body("internal error", "INTERNAL_ERROR")
    return Response(json.dumps(body).encode(), status_code=500, media_type="application/json;charset=utf-8")


def create_app(
    *,
    seed: int | None = None,
    access_tokens: Iterable[str] | None = None,
    app_secret: str = "sandbox-app-secret",
    webhook_target: str | None = None,
    subscriptions: Iterable[Mapping[str, Any]] = (),
    custom_properties: Mapping[str, Iterable[Prop]] | None = None,
    clock: Callable[[], float] = time.time,
    snapshot_path: Path | None = None,
    webhook_attempts: int = 3,
    webhook_retry_delay: float = 0.2,
) -> Litestar:
    """Build a HubSpot sandbox.

    Args:
        seed: Makes object and event ids repeat from one run to the next.
        access_tokens: Accepted private-app tokens; None accepts any well-formed ``pat-<region>-<uuid>`` token.
        app_secret: The app's client secret, which signs webhook deliveries.
        webhook_target: Where webhook batches go (also settable at ``/__sandbox/hubspot/webhooks``).
        subscriptions: Initial subscriptions, ``{"eventType", "propertyName"?, "active"?}``.
        custom_properties: Extra property definitions by object type (``{"deals": [Prop("x", unique=True)]}``).
        clock: Wall clock in unix seconds (timestamps, rate-limit windows).
        snapshot_path: File for ``POST /__sandbox/snapshot`` and an empty ``POST /__sandbox/restore``.
        webhook_attempts: Delivery attempts per batch before giving up (HubSpot retries non-2xx answers).
        webhook_retry_delay: First delay between attempts, in seconds (doubles each time).

    Returns:
        The app. ``app.state["hubspot_state"]``, ``["faults"]``, ``["webhooks"]`` and ``["rate_budget"]``
        expose the internals.
    """
    hooks = webhook_config({"targetUrl": webhook_target, "appSecret": app_secret,
                            "subscriptions": [dict(s) for s in subscriptions]}, app_secret)
    state = HubSpotState(seed=seed, clock=clock, initial_webhooks=hooks,
                         custom_properties={k: list(v) for k, v in (custom_properties or {}).items()})
    injector = FaultInjector()
    dispatcher = WebhookDispatcher(max_attempts=webhook_attempts, retry_delay=webhook_retry_delay)
    budget = RateBudget(clock=clock)
    return Litestar(
        route_handlers=[*ROUTES, admin_router(state, injector, dispatcher, snapshot_path),
                        hubspot_admin_router(state)],
        middleware=[DefineMiddleware(RateLimitHeaders, budget=budget),
                    DefineMiddleware(FaultMiddleware, injector=injector, vendor=HubSpotFaults(budget))],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
        state=State({"hubspot_state": state, "faults": injector, "webhooks": dispatcher, "rate_budget": budget,
                     "hubspot_tokens": frozenset(access_tokens) if access_tokens is not None else None}),
        openapi_config=None,
        debug=False,
    )
