"""The built-in token issuer as its own Litestar app: client-credentials grant, JWKS, RFC 8414 metadata.

Run it with ``uvicorn services.runtime.auth.issuer.app:create_app --factory --port 8100``. Settings come
from ``REVFLOW_ISSUER_*`` (see :mod:`services.runtime.auth.issuer.settings`), read when ``create_app`` runs.

Routes: ``POST /oauth/token`` (RFC 6749 §4.4; errors in the RFC 6749 JSON format, not problem+json),
``GET /.well-known/jwks.json``, ``GET /.well-known/oauth-authorization-server``, ``GET /health`` and, when
``admin_secret`` is set, ``POST /admin/rotate`` (new signing key; the old one stays published).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.openapi import OpenAPIConfig

from services.runtime.auth.issuer.clients import load_clients
from services.runtime.auth.issuer.grant import OAuthError, TokenRequest, token_response
from services.runtime.auth.issuer.keys import SigningKeys
from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings
from services.runtime.settings import from_env

__all__ = ["ENV_PREFIX", "IssuerState", "create_app"]

ENV_PREFIX = "REVFLOW_ISSUER_"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class IssuerState:
    """What the issuer's handlers share: settings, registered clients, signing keys."""

    settings: IssuerSettings
    clients: dict[str, ClientConfig]
    keys: SigningKeys


def _state(request: Request[Any, Any, Any]) -> IssuerState:
    return request.app.state.issuer  # type: ignore[no-any-return]


@post("/oauth/token", status_code=200, operation_id="issueToken", tags=["oauth"])
async def token(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Client-credentials grant: an RFC 9068 access token for an authenticated client."""
    state = _state(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if media_type != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
        form = await request.form()
        fields = {name: [str(value) for value in form.getall(name)] for name in form}
        body = token_response(TokenRequest(fields, request.headers.get("authorization")), state.clients,
                              state.keys, issuer=state.settings.token_issuer,
                              ttl=state.settings.token_ttl_seconds)
    except OAuthError as exc:
        return Response(exc.body(), status_code=exc.status_code, headers={**exc.headers, **_NO_STORE})
    return Response(body, status_code=200, headers=_NO_STORE)


@get("/.well-known/jwks.json", operation_id="getJwks", tags=["oauth"], sync_to_thread=False)
def jwks(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The public signing keys (RFC 7517 JWK set, no private parts)."""
    return _state(request).keys.public_jwks()


@get("/.well-known/oauth-authorization-server", operation_id="getAuthorizationServerMetadata",
     tags=["oauth"], sync_to_thread=False)
def metadata(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    state = _state(request)
    base = state.settings.issuer_url.rstrip("/")
    scopes = sorted({scope for client in state.clients.values() for scope in client.scopes})
    return {
        "issuer": state.settings.token_issuer,
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
    }


@get("/health", operation_id="getHealth", tags=["ops"], sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}


@post("/admin/rotate", status_code=200, include_in_schema=False)
async def rotate(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Start signing with a new key; previous keys stay in the JWKS. Needs ``Bearer <admin_secret>``."""
    state = _state(request)
    secret = state.settings.admin_secret
    if not secret:
        raise NotFoundException()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), secret.encode()):
        raise NotAuthorizedException(detail="admin secret required",
                                     headers={"WWW-Authenticate": 'Bearer realm="revflow-issuer-admin"'})
    kid = state.keys.rotate()
    return {"kid": kid, "kids": state.keys.kids}


def create_app(settings: IssuerSettings | None = None) -> Litestar:
    """The issuer app; settings from ``REVFLOW_ISSUER_*`` when not given.

    Raises:
        SettingsError: an environment variable cannot be decoded.
        ValueError: the configured clients or signing keys are unusable.
    """
    settings = settings or from_env(IssuerSettings, ENV_PREFIX)
    state = IssuerState(settings=settings, clients=load_clients(settings), keys=SigningKeys.from_settings(settings))
    return Litestar(
        route_handlers=[token, jwks, metadata, health, rotate],
        state=State({"issuer": state}),
        openapi_config=OpenAPIConfig(title="revflow-issuer", version="1.0.0"),
    )
