"""The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) issuing RFC 9068 JWT access tokens.

Framework-free: the token endpoint hands over the ``Authorization`` header and the form fields and gets
back a JSON-ready response or a :class:`OAuthError` in the RFC 6749 §5.2 wire format.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote_plus

from joserfc import jwt

from services.runtime.auth.issuer.keys import SigningKeys
from services.runtime.auth.issuer.settings import ClientConfig

__all__ = ["OAuthError", "TokenRequest", "authenticate_client", "issue_token", "token_response"]

_DUMMY_SECRET = secrets.token_urlsafe(32)


class OAuthError(Exception):
    """An RFC 6749 error response: ``{"error": ..., "error_description": ...}`` with its status."""

    def __init__(self, error: str, description: str, status_code: int = 400,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status_code = status_code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _invalid_client(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401, {"WWW-Authenticate": 'Basic realm="revflow"'})


class TokenRequest:
    """The fields of a token request: form values (repeatable) plus the Authorization header."""

    def __init__(self, form: Mapping[str, Sequence[str]], authorization: str | None) -> None:
        self.form = form
        self.authorization = authorization

    def one(self, name: str) -> str | None:
        """The single value of ``name``; a repeated parameter is an ``invalid_request`` (RFC 6749 §3.2)."""
        values = self.form.get(name) or []
        if len(values) > 1:
            raise OAuthError("invalid_request", f"parameter {name} is repeated")
        return values[0] if values else None

    def words(self, *names: str) -> list[str]:
        """Space-separated values of every occurrence of each of ``names``."""
        return [word for name in names for value in self.form.get(name) or [] for word in value.split()]


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client("unsupported client authentication scheme")
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_client("malformed Basic credentials") from None
    if not sep:
        raise _invalid_client("malformed Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(request: TokenRequest, clients: Mapping[str, ClientConfig]) -> ClientConfig:
    """The client proven by ``client_secret_basic`` or ``client_secret_post`` (exactly one of them).

    Raises:
        OAuthError: ``invalid_request`` for two methods at once, ``invalid_client`` (401) otherwise.
    """
    form_id, form_secret = request.one("client_id"), request.one("client_secret")
    if request.authorization:
        if form_secret is not None:
            raise OAuthError("invalid_request", "use one client authentication method, not two")
        client_id, secret = _basic_credentials(request.authorization)
        if form_id is not None and form_id != client_id:
            raise OAuthError("invalid_request", "client_id does not match the authenticated client")
    elif form_id is not None and form_secret is not None:
        client_id, secret = form_id, form_secret
    else:
        raise _invalid_client("client authentication required")
    client = clients.get(client_id)
    expected = client.client_secret if client is not None else _DUMMY_SECRET  # same work for unknown ids
    if not hmac.compare_digest(secret.encode(), expected.encode()) or client is None:
        raise _invalid_client("unknown client or wrong secret")
    return client


def _granted(requested: list[str], allowed: Sequence[str], error: str, what: str) -> list[str]:
    if not requested:
        return list(allowed)
    granted = [item for item in dict.fromkeys(requested) if item in allowed]
    if not granted:
        raise OAuthError(error, f"none of the requested {what} is allowed for this client")
    return granted


def _audience(requested: list[str], allowed: Sequence[str]) -> str:
    """The token's one audience (RFC 8707): the one requested, else the client's only one."""
    names = list(dict.fromkeys(requested))
    if not allowed:
        raise OAuthError("invalid_target", "this client may not call any service")
    listed = f"allowed audiences: {', '.join(allowed)}"
    if len(names) > 1:
        raise OAuthError("invalid_target", f"a token is for one audience, not several ({', '.join(names)}); {listed}")
    if not names and len(allowed) > 1:
        raise OAuthError("invalid_target", f"audience is required for this client; {listed}")
    audience = names[0] if names else allowed[0]
    if audience not in allowed:
        raise OAuthError("invalid_target", f"audience {audience} is not allowed for this client; {listed}")
    return audience


def _scopes_for(audience: str, allowed: Sequence[str]) -> list[str]:
    """The client's scopes that mean something to ``audience``: ``<audience>:<access>``, and any unprefixed ones."""
    return [scope for scope in allowed if ":" not in scope or scope.split(":", 1)[0] == audience]


def issue_token(request: TokenRequest, client: ClientConfig, keys: SigningKeys, *, issuer: str,
                ttl: int, now: float | None = None) -> dict[str, Any]:
    """Mint an access token for an authenticated client; return the RFC 6749 §5.1 response body.

    The token names exactly one audience, from ``audience`` or ``resource``; a client allowed only one service
    may leave it out. Its scopes are the requested ones the client is allowed for that audience (all of those
    when none are requested): a ``crm`` token never lists ``erp:write``, so a token that leaks from one
    service's traffic grants nothing anywhere else, even to a service that forgot its audience check.

    Raises:
        OAuthError: ``invalid_scope`` when no requested scope is allowed; ``invalid_target`` when the
            audience is missing (the client may call several services), several, or not allowed.
    """
    audience = _audience(request.words("resource", "audience"), client.audiences)
    scopes = _granted(request.words("scope"), _scopes_for(audience, client.scopes), "invalid_scope",
                      f"scopes for audience {audience}")
    issued_at = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": issuer, "sub": client.client_id, "client_id": client.client_id, "aud": audience,
        "iat": issued_at, "nbf": issued_at, "exp": issued_at + ttl,
        "jti": secrets.token_urlsafe(16), "scope": " ".join(scopes),
    }
    if client.tenant is not None:
        claims["tenant"] = client.tenant
    header = {"alg": keys.algorithm, "kid": str(keys.active.kid), "typ": "at+jwt"}
    token = jwt.encode(header, claims, keys.active, algorithms=[keys.algorithm])
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": claims["scope"]}


def token_response(request: TokenRequest, clients: Mapping[str, ClientConfig], keys: SigningKeys, *,
                   issuer: str, ttl: int) -> dict[str, Any]:
    """Handle a whole token request: grant type, client authentication, then issuance.

    Raises:
        OAuthError: the request is refused; its ``body()`` and ``status_code`` are the response.
    """
    grant_type = request.one("grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
    client = authenticate_client(request, clients)
    return issue_token(request, client, keys, issuer=issuer, ttl=ttl)
