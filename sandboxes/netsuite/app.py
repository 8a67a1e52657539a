"""The NetSuite sandbox app: ``create_app()`` builds a Litestar app with its own in-memory account."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware

from sandboxes._kit import FaultConfig, FaultInjector, FaultMiddleware, admin_router

from .errors import NetSuiteError, NetSuiteFaults
from .governor import ConcurrencyGovernor, Governance
from .oauth import OAuthVerifier
from .records import NetSuiteState
from .routes import ROUTES
from .settings import NetSuiteSettings
from .wire import error_response

__all__ = ["create_app"]


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Framework errors (unknown URL, wrong method) in NetSuite's shape; admin routes keep plain JSON."""
    if request.url.path.startswith("/__sandbox"):
        return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)
    if exc.status_code == 405:
        return error_response(NetSuiteError(405, f"The HTTP method {request.method} is not allowed for the "
                                            f"resource {request.url.path}.", "INVALID_PARAMETER"))
    if exc.status_code == 404:
        return error_response(NetSuiteError(404, f"The resource {request.url.path} does not exist. Check the "
                                            "URL.", "NONEXISTENT_ID"))
    status = exc.status_code if exc.status_code < 500 else 500
    return error_response(NetSuiteError(status, str(exc.detail), "INVALID_PARAMETER" if status < 500
                                        else "UNEXPECTED_ERROR"))


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return error_response(NetSuiteError(500, "An unexpected error occurred.", "UNEXPECTED_ERROR"))


class _ResettingState(NetSuiteState):
    """The record store; ``reset`` also forgets used nonces (a fresh sandbox accepts any fresh request)."""

    verifier: OAuthVerifier | None = None

    def reset(self) -> None:
        super().reset()
        if self.verifier is not None:
            self.verifier.nonces.clear()


def create_app(settings: NetSuiteSettings | None = None, *, clock: Callable[[], float] = time.time) -> Litestar:
    """Build a NetSuite sandbox serving one account.

    Args:
        settings: Account id, TBA credentials and limits; None reads ``REVFLOW_NETSUITE_*`` (defaults are the
            documented development credentials).
        clock: Unix seconds, for OAuth timestamps and record dates (tests may pin it).

    Returns:
        The app. ``app.state["netsuite_state"]``, ``["faults"]``, ``["netsuite_oauth"]`` and
        ``["governance"]`` expose the internals.
    """
    settings = settings or NetSuiteSettings.from_env()
    state = _ResettingState(clock=clock)
    verifier = OAuthVerifier(settings, clock)
    state.verifier = verifier
    injector = FaultInjector(FaultConfig(seed=settings.seed))
    governance = Governance(settings.max_concurrency)
    return Litestar(
        route_handlers=[*ROUTES, admin_router(state, injector, None, settings.snapshot_path)],
        middleware=[DefineMiddleware(ConcurrencyGovernor, governance=governance),
                    DefineMiddleware(FaultMiddleware, injector=injector, vendor=NetSuiteFaults())],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
        state=State({"netsuite_state": state, "faults": injector, "netsuite_oauth": verifier,
                     "netsuite_settings": settings, "governance": governance}),
        openapi_config=None,
        debug=False,
    )
