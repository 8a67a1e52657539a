"""Authentication and authorisation for every revflow service.

Owns: verifying RFC 9068 JWT access tokens against the issuer's JWKS (``verify``, ``jwks``), the bearer
middleware that makes the caller ``request.user`` (``middleware``), scope and tenant guards (``guards``),
service-to-service tokens (``client``) and the built-in dev issuer (``issuer``, its own app). Must never
accept an unsigned or HMAC-signed token, read settings at import time, or reveal why a signature failed
beyond a plain reason.
"""

from services.runtime.auth.client import ClientCredentials, TokenRequestError
from services.runtime.auth.guards import current_principal, requires, requires_tenant
from services.runtime.auth.jwks import JWKSCache, SigningKeysUnavailableError, StaticKeys
from services.runtime.auth.middleware import DEFAULT_EXCLUDE, BearerAuthMiddleware
from services.runtime.auth.principal import Principal
from services.runtime.auth.verify import AccessTokenVerifier, InvalidTokenError

__all__ = [
    "DEFAULT_EXCLUDE",
    "AccessTokenVerifier",
    "BearerAuthMiddleware",
    "ClientCredentials",
    "InvalidTokenError",
    "JWKSCache",
    "Principal",
    "SigningKeysUnavailableError",
    "StaticKeys",
    "TokenRequestError",
    "current_principal",
    "requires",
    "requires_tenant",
]
