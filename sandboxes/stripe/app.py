"""The Stripe sandbox app: ``create_app()`` builds a Litestar app with its own in-memory state."""

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

from .errors import StripeError, StripeFaults
from .routes import ROUTES
from .state import StripeState
from .webhooks import wire_delivery

__all__ = ["create_app"]


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Framework errors (unknown URL, wrong method) in Stripe's shape; admin routes keep plain JSON."""
    if request.url.path.startswith("/__sandbox"):
        return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)
    if exc.status_code in (404, 405):
        err = StripeError(404, f"Unrecognized request URL ({request.method}: {request.url.path}). Please see "
                          "https://stripe.com/docs or we can help at https://support.stripe.com/.")
    else:
        err = StripeError(exc.status_code if exc.status_code < 500 else 500, str(exc.detail),
                          type_="invalid_request_error" if exc.status_code < 500 else "api_error")
    return Response(json.dumps(err.body()).encode(), status_code=err.status, media_type="application/json")


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
    return Response(json.dumps(body).encode(), status_code=500, media_type="application/json")


def create_app(
    *,
    seed: int | None = None,
    api_keys: Iterable[str] | None = None,
    clock: Callable[[], float] = time.time,
    snapshot_path: Path | None = None,
    webhook_attempts: int = 3,
) -> Litestar:
    """Build a Stripe sandbox.

    Args:
        seed: Makes object ids deterministic (a failing run replays with the same ids).
        api_keys: Accepted secret keys; None accepts any well-formed ``sk_test_...`` key.
        clock: Wall clock in unix seconds for objects not on a test clock.
        snapshot_path: File for ``POST /__sandbox/snapshot`` and an empty ``POST /__sandbox/restore``.
        webhook_attempts: Delivery attempts per event and endpoint before giving up.

    Returns:
        The app. ``app.state["stripe_state"]``, ``["faults"]`` and ``["webhooks"]`` expose the internals.
    """
    state = StripeState(ids=IdFactory(seed), clock=clock)
    injector = FaultInjector()
    dispatcher = WebhookDispatcher(max_attempts=webhook_attempts)
    wire_delivery(state, dispatcher)
    return Litestar(
        route_handlers=[*ROUTES, admin_router(state, injector, dispatcher, snapshot_path)],
        middleware=[DefineMiddleware(FaultMiddleware, injector=injector, vendor=StripeFaults())],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
        state=State({
            "stripe_state": state, "faults": injector, "webhooks": dispatcher,
            "stripe_api_keys": frozenset(api_keys) if api_keys is not None else None,
        }),
        openapi_config=None,
        debug=False,
    )
