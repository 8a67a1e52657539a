"""The Salesforce sandbox app: ``create_app()`` builds a Litestar app with its own in-memory org.

Serve it over HTTPS for ``simple-salesforce`` (it only builds ``https://`` URLs): see :mod:`.tls`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar, Request, Response, get, post, route
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware

from sandboxes._kit import FaultInjector, FaultMiddleware, admin_router

from .admin import AdminState, outbound_router
from .errors import SalesforceError, SalesforceFaults, StatusRewrite, not_found
from .ids import IdFactory
from .notify import Notifier
from .oauth import OAuthError, issue_token
from .outbound import OutboundConfig, OutboundSender
from .settings import SalesforceSettings
from .store import OrgState
from .wire import JSON, data_api, error_response

__all__ = ["create_app"]

METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"]


@route("/services/data/{version:str}/{rest:path}", http_method=METHODS, operation_id="salesforceData",
       include_in_schema=False)
async def data(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Everything under ``/services/data/v62.0/``."""
    return await data_api(request)


@route("/services/data/{version:str}", http_method=["GET"], operation_id="salesforceResources",
       include_in_schema=False)
async def version_root(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``GET /services/data/v62.0``: the resources of the version (needs a session)."""
    return await data_api(request)


@get("/services/data", operation_id="salesforceVersions", include_in_schema=False, sync_to_thread=False)
def versions() -> Response[bytes]:
    """``GET /services/data``: the one API version this sandbox speaks (no session needed)."""
    body = [{"label": "Summer '24", "url": "/services/data/v62.0", "version": "62.0"}]
    return Response(json.dumps(body).encode(), media_type=JSON)


@post("/services/oauth2/token", operation_id="salesforceToken", include_in_schema=False, status_code=200)
async def token(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OAuth 2.0 token endpoint (client credentials, JWT bearer)."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    try:
        body = issue_token(request.app.state["sf_state"], request.app.state["sf_settings"], form,
                           request.headers.get("authorization", ""), str(request.base_url))
    except OAuthError as exc:
        return Response(json.dumps(exc.body).encode(), status_code=exc.status, media_type="application/json")
    return Response(json.dumps(body).encode(), media_type="application/json;charset=UTF-8")


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Framework errors in Salesforce's shape; admin routes keep plain JSON."""
    if request.url.path.startswith("/__sandbox"):
        return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)
    if exc.status_code == 405:
        return error_response(SalesforceError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not "
                                              "allowed."))
    if exc.status_code < 500:
        return error_response(not_found())
    return _crash(request, exc)


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return error_response(SalesforceError(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred."))


def create_app(settings: SalesforceSettings | None = None, **overrides: Any) -> Litestar:
    """Build a Salesforce sandbox org.

    Args:
        settings: Sandbox settings; None reads ``REVFLOW_SALESFORCE_*`` from the environment (dev defaults).
        **overrides: Individual settings fields (``seed=7``, ``outbound_urls=("http://…",)``…).

    Returns:
        The app. ``app.state["sf_state"]``, ``["faults"]`` and ``["outbound"]`` expose the internals.
    """
    settings = dataclasses.replace(settings or SalesforceSettings.from_env(), **overrides)
    state = OrgState(ids=IdFactory(settings.seed))
    defaults = OutboundConfig(list(settings.outbound_urls), list(settings.outbound_fields),
                              settings.outbound_retry_delay, settings.outbound_max_attempts,
                              list(settings.outbound_stages))
    sender = OutboundSender(OutboundConfig(**defaults.to_json()))
    injector = FaultInjector()
    return Litestar(
        route_handlers=[data, version_root, versions, token, outbound_router(sender),
                        admin_router(AdminState(state, sender, defaults), injector, None, settings.snapshot_path)],
        # Outermost first: StatusRewrite turns the kit's throttling 429 into Salesforce's 403.
        middleware=[StatusRewrite, DefineMiddleware(FaultMiddleware, injector=injector, vendor=SalesforceFaults())],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
        state=State({"sf_state": state, "sf_settings": settings, "faults": injector, "outbound": sender,
                     "sf_notifier": Notifier(state, sender)}),
        openapi_config=None,
        debug=False,
    )
