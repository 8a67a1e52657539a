"""Route guards on the authenticated principal: scopes and tenants.

Guards run after the authentication middleware, so ``connection.user`` is a verified
:class:`~services.runtime.auth.principal.Principal`::

    @get("/v1/invoices/{invoice_id:uuid}", guards=[requires("billing:read")])
    @get("/v1/tenants/{tenant:str}/deals", guards=[requires("partner:read"), requires_tenant("tenant")])

A missing scope is a 403 with an RFC 6750 ``insufficient_scope`` challenge naming the scopes needed.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from services.runtime.auth.middleware import REALM, bearer_challenge, enforce_scopes
from services.runtime.auth.principal import Principal

__all__ = ["current_principal", "requires", "requires_tenant", "scopes_of"]


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The verified caller of this request (``request.user``).

    Raises:
        NotAuthorizedException: the route was not authenticated (excluded, or middleware not installed).
    """
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException(detail="missing bearer token",
                                     headers={"WWW-Authenticate": bearer_challenge(REALM)})
    return user


def requires(*scopes: str) -> Guard:
    """A guard admitting only tokens that grant every one of ``scopes``.

    Services built with ``create_service_app`` do not run it as a Litestar guard: the app factory moves
    its scopes into the handler's ``opt`` and the authentication middleware enforces them with one set
    comparison, which spares the per-request cost Litestar adds to every guard call.
    """
    needed = frozenset(scopes)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        enforce_scopes(current_principal(connection), needed)

    guard.__name__ = f"requires({', '.join(sorted(needed))})"
    guard.required_scopes = needed  # type: ignore[attr-defined]
    return guard


def scopes_of(guard: Any) -> frozenset[str] | None:
    """The scopes a ``requires(...)`` guard demands, or ``None`` for any other guard."""
    return getattr(guard, "required_scopes", None)


def requires_tenant(path_param: str | None = None) -> Guard:
    """A guard admitting only tenant-scoped tokens; with ``path_param``, only for that path's tenant.

    Args:
        path_param: Name of the path parameter holding the tenant (``/v1/tenants/{tenant:str}/...``); when
            given, the token's ``tenant`` must equal it.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        tenant = current_principal(connection).tenant
        if tenant is None:
            raise PermissionDeniedException(detail="token is not bound to a tenant")
        if path_param is not None and str(connection.path_params.get(path_param)) != tenant:
            raise PermissionDeniedException(detail="token is bound to another tenant")

    return guard

