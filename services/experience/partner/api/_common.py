"""What both majors' routes share: tenant scoping, scopes, path parameters, routers, and ``/docs``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from litestar import MediaType, Request, Response, Router, get
from litestar.connection import ASGIConnection
from litestar.datastructures import ResponseHeader
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.params import FromPath, Parameter

from contracts.problems import FieldError
from services.experience.partner.ratelimit import RATE_LIMIT_HEADERS, RATE_LIMIT_RESPONSE, RateLimitMiddleware
from services.experience.partner.schemas import REFERENCE_PATTERN
from services.runtime.auth.guards import current_principal, requires
from services.runtime.auth.middleware import EXCLUDE_OPT_KEY
from services.runtime.problems import ServiceError
from services.runtime.versioning import Deprecation, deprecate, versioned_router

__all__ = [
    "READ",
    "WRITE",
    "DeliveryId",
    "InvoiceId",
    "OrderFilter",
    "OrderId",
    "WebhookId",
    "docs_router",
    "invalid_body",
    "partner_router",
    "tenant_of",
]

READ, WRITE = [requires("partner:read")], [requires("partner:write")]
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")

OrderId = FromPath[Annotated[str, Parameter(pattern=REFERENCE_PATTERN, max_length=40, description="Your order id")]]
InvoiceId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100,
                                              description="The invoice id")]]
WebhookId = FromPath[Annotated[str, Parameter(pattern=r"^whk_[0-9a-f]{24}$", max_length=28,
                                              description="The webhook id")]]
DeliveryId = FromPath[Annotated[str, Parameter(pattern=r"^dlv_[0-9a-f]{24}$", max_length=28,
                                               description="The delivery id")]]
OrderFilter = Annotated[str | None, Parameter(pattern=REFERENCE_PATTERN, max_length=40,
                                              description="Only what this order of yours became")]
_FIELD_FIRST = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*): (.+)$", re.S)


async def tenant_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Admit only tokens bound to a tenant (partner clients), with a tenant id fit for revflow's keys."""
    tenant = current_principal(connection).tenant
    if tenant is None:
        raise PermissionDeniedException(detail="token is not bound to a tenant (a partner client's token)")
    if not TENANT_PATTERN.match(tenant):
        raise PermissionDeniedException(detail="token carries a tenant id revflow cannot serve")


def tenant_of(request: Request[Any, Any, Any]) -> str:
    """The caller's tenant (the guard made sure there is one)."""
    return str(request.user.tenant)


def invalid_body(exc: Exception) -> ServiceError:
    """A 400 naming the field a contract check refused (``"lines.0.sale_price: ..."``)."""
    message = str(exc)
    match = _FIELD_FIRST.match(message)
    field, reason = (match.group(1), match.group(2)) if match else ("body", message)
    return ServiceError(f"1 invalid field(s) — {field}: {reason}", slug="validation",
                        errors=[FieldError(field=field, source="body", message=reason)])


def _route_paths(controller: Any) -> list[tuple[HTTPRouteHandler, str]]:
    base = str(getattr(controller, "path", "") or "")
    out = []
    for handler in vars(controller).values():
        if isinstance(handler, HTTPRouteHandler):
            path = "/" + "/".join(p for p in (base + next(iter(handler.paths))).split("/") if p)
            out.append((handler, re.sub(r"\{(\w+):\w+\}", r"{\1}", path)))
    return out


def partner_router(major: int, controllers: Sequence[Any], *, deprecation: Deprecation | None = None,
                   successor_major: int | None = None) -> Router:
    """A ``/v<major>`` router of tenant-scoped, rate-limited routes.

    With ``deprecation``, every route is marked deprecated and links to the same route of ``successor_major``.
    """
    for controller in controllers:
        for handler, path in _route_paths(controller):
            handler.responses = {**RATE_LIMIT_RESPONSE, **(handler.responses or {})}
            if deprecation is not None and successor_major is not None:
                successor = f"/v{successor_major}{path}"
                deprecate(handler, Deprecation(since=deprecation.since, sunset=deprecation.sunset,
                                               successor=successor))
    headers = [*RATE_LIMIT_HEADERS, *(DEPRECATION_HEADERS if deprecation is not None else [])]
    return versioned_router(major, controllers, guards=[tenant_guard], middleware=[RateLimitMiddleware()],
                            response_headers=headers)


DEPRECATION_HEADERS = [
    ResponseHeader(name="Deprecation", documentation_only=True,
                   description="When this major was deprecated (RFC 9745: `@<unix seconds>`)"),
    ResponseHeader(name="Sunset", documentation_only=True, description="When it stops answering (RFC 8594)"),
    ResponseHeader(name="Link", documentation_only=True,
                   description='The same route in the next major: `</v2/...>; rel="successor-version"`'),
]
_RENDERER = ScalarRenderPlugin(path="/docs")


@get("/docs", include_in_schema=False, opt={EXCLUDE_OPT_KEY: True}, sync_to_thread=False)
def docs(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The API reference, rendered in the browser from ``/schema/openapi.json``."""
    state = request.app.state
    if getattr(state, "docs_page", None) is None:
        state.docs_page = _RENDERER.render(request, request.app.openapi_schema.to_schema())
    return Response(state.docs_page, media_type=MediaType.HTML)


def docs_router() -> Router:
    """The public documentation page (no token needed, like ``/schema``)."""
    return Router(path="/", route_handlers=[docs])
