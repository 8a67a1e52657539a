"""Bearer-token authentication for every route of a service, as a Litestar ``ASGIMiddleware``.

Every request needs ``Authorization: Bearer <RFC 9068 access token>``, except health, readiness, metrics,
``/schema*`` and ``/.well-known/*`` (and any handler with ``opt={"exclude_from_auth": True}``, and CORS
preflight ``OPTIONS``). The verified :class:`~services.runtime.auth.principal.Principal` becomes
``request.user``; the token's claims become ``request.auth``. Failures are 401s carrying an RFC 6750
``WWW-Authenticate`` challenge and a plain-words reason.

Install it once, app-wide (app-level middleware runs after routing, so guards see the user)::

    Litestar(..., middleware=[BearerAuthMiddleware(AccessTokenVerifier.from_settings(settings))])
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, ServiceUnavailableException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from services.runtime.auth.principal import Principal
from services.runtime.auth.verify import AccessTokenVerifier, InvalidTokenError, SigningKeysUnavailableError

__all__ = ["DEFAULT_EXCLUDE", "EXCLUDE_OPT_KEY", "REALM", "SCOPES_OPT", "BearerAuthMiddleware", "bearer_challenge",
           "enforce_scopes"]

logger = logging.getLogger(__name__)

DEFAULT_EXCLUDE: tuple[str, ...] = (
    r"^/(health|ready|metrics)(/|$)",
    r"^/schema(/|$)",
    r"^/\.well-known/",
)
"""Path patterns (regular expressions, searched in the request path) that need no token."""
EXCLUDE_OPT_KEY = "exclude_from_auth"
SCOPES_OPT = "required_scopes"
"""Handler ``opt`` key: scopes the middleware enforces right after authentication (see ``guards.requires``)."""
"""Handler ``opt`` key that exempts one route from authentication."""
REALM = "revflow"
"""``realm`` of every bearer challenge."""


def bearer_challenge(realm: str, error: str | None = None, description: str | None = None,
                     scope: str | None = None) -> str:
    """An RFC 6750 ``WWW-Authenticate`` value, e.g. ``Bearer realm="revflow", error="invalid_token"``."""
    parts = [f'realm="{realm}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(parts)


class BearerAuthMiddleware(ASGIMiddleware):
    """Require a valid bearer access token and set the caller as the connection user."""

    scopes: tuple[ScopeType, ...] = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    exclude_opt_key = EXCLUDE_OPT_KEY

    def __init__(self, verifier: AccessTokenVerifier, *, exclude: Iterable[str] = DEFAULT_EXCLUDE,
                 realm: str = REALM) -> None:
        """Configure the middleware.

        Args:
            verifier: Verifies tokens for this service (its audience and issuer).
            exclude: Path patterns that need no token; ``DEFAULT_EXCLUDE`` unless given.
            realm: ``realm`` of the challenges.
        """
        self.verifier = verifier
        self.realm = realm
        patterns = tuple(exclude)
        excluded = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        # Matched on the request path, in Litestar 2 and 3 alike (exclude_path_pattern changes meaning in 3).
        self.should_bypass_for_scope = lambda scope: _bypass(scope, excluded)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        token = _bearer_token(scope)
        if token is None:
            raise NotAuthorizedException(detail="missing bearer token",
                                         headers={"WWW-Authenticate": bearer_challenge(self.realm)})
        try:
            verified = await self.verifier.verify_token(token)
        except InvalidTokenError as exc:
            challenge = bearer_challenge(self.realm, "invalid_token", exc.reason)
            raise NotAuthorizedException(detail=exc.reason, headers={"WWW-Authenticate": challenge}) from None
        except SigningKeysUnavailableError:
            logger.warning("cannot verify a token: the issuer's signing keys are unavailable")
            raise ServiceUnavailableException(detail="signing keys unavailable, try again shortly",
                                              headers={"Retry-After": "10"}) from None
        scope["user"] = verified.principal
        scope["auth"] = verified.claims
        needed = scope["route_handler"].opt.get(SCOPES_OPT)
        if needed:
            enforce_scopes(verified.principal, needed, self.realm)
        await next_app(scope, receive, send)


def enforce_scopes(principal: Principal, needed: frozenset[str], realm: str = REALM) -> None:
    """Refuse with 403 and an RFC 6750 ``insufficient_scope`` challenge unless every scope is granted.

    Raises:
        PermissionDeniedException: a scope in ``needed`` is not granted.
    """
    missing = needed - principal.scopes
    if missing:
        challenge = bearer_challenge(realm, "insufficient_scope", "the token lacks a required scope",
                                     " ".join(sorted(needed)))
        raise PermissionDeniedException(detail=f"missing scope {' '.join(sorted(missing))}",
                                        headers={"WWW-Authenticate": challenge})


def _bypass(scope: Scope, excluded: re.Pattern[str] | None) -> bool:
    if scope["type"] == ScopeType.HTTP and scope.get("method") == "OPTIONS" and _is_preflight(scope):
        return True
    return excluded is not None and excluded.search(scope["path"]) is not None


def _is_preflight(scope: Scope) -> bool:
    """A CORS preflight (it carries no credentials by design); any other OPTIONS request is authenticated."""
    names = {name for name, _ in scope.get("headers", ())}
    return b"origin" in names and b"access-control-request-method" in names


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").strip().partition(" ")
            token = credentials.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None
