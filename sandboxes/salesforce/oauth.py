"""``POST /services/oauth2/token``: the client-credentials and JWT bearer grants of a connected app.

Errors are OAuth's ``{"error", "error_description"}`` with Salesforce's wording. The JWT bearer assertion
(RS256, ``iss`` = consumer key, ``sub`` = username, ``aud`` = the login or instance URL, ``exp`` in the
future) is verified against the configured certificate; without one (dev only) its signature is not checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from .settings import SalesforceSettings
from .store import USER_ID, OrgState

__all__ = ["JWT_GRANT", "OAuthError", "issue_token"]

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


class OAuthError(Exception):
    """A 400 (or 401) OAuth error body."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


def _public_key(pem: str) -> RSAKey:
    data = pem.encode()
    if b"BEGIN CERTIFICATE" in data:
        data = x509.load_pem_x509_certificate(data).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return RSAKey.import_key(data)


def _unverified_claims(assertion: str) -> dict[str, Any]:
    try:
        payload = assertion.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise OAuthError("invalid_grant", "invalid assertion") from exc
    if not isinstance(claims, dict):
        raise OAuthError("invalid_grant", "invalid assertion")
    return claims


def _jwt_claims(settings: SalesforceSettings, assertion: str, base_url: str) -> dict[str, Any]:
    if settings.jwt_certificate is None:
        claims = _unverified_claims(assertion)
    else:
        try:
            claims = dict(jwt.decode(assertion, _public_key(settings.jwt_certificate), algorithms=["RS256"]).claims)
        except (JoseError, ValueError) as exc:
            raise OAuthError("invalid_grant", "invalid assertion") from exc
    if claims.get("iss") != settings.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if claims.get("aud") not in (*AUDIENCES, base_url.rstrip("/"), settings.instance_url):
        raise OAuthError("invalid_grant", "audience is invalid")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time():
        raise OAuthError("invalid_grant", "expired authorization code")
    if not claims.get("sub"):
        raise OAuthError("invalid_grant", "invalid assertion")
    return claims


def _client(settings: SalesforceSettings, form: dict[str, str], authorization: str) -> None:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if authorization.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id = secret = None
    if client_id != settings.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not secret or not hmac.compare_digest(secret, settings.client_secret):
        raise OAuthError("invalid_client", "invalid client credentials")


def issue_token(state: OrgState, settings: SalesforceSettings, form: dict[str, str], authorization: str,
                base_url: str) -> dict[str, Any]:
    """Run a grant and answer Salesforce's token response.

    Raises:
        OAuthError: Unsupported grant, unknown client, bad secret or bad assertion.
    """
    grant = form.get("grant_type")
    if grant == "client_credentials":
        _client(settings, form, authorization)
    elif grant == JWT_GRANT:
        _jwt_claims(settings, form.get("assertion", ""), base_url)
    else:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    token = f"{state.org_id[:15]}!{secrets.token_urlsafe(40)}"
    state.sessions.add(token)
    issued = str(int(time.time() * 1000))
    identity = f"https://login.salesforce.com/id/{state.org_id}/{USER_ID}"
    signature = base64.b64encode(hmac.new(settings.client_secret.encode(), f"{identity}{issued}".encode(),
                                          hashlib.sha256).digest()).decode()
    return {"access_token": token, "signature": signature, "scope": "api", "instance_url":
            settings.instance_url or base_url.rstrip("/"), "id": identity, "token_type": "Bearer",
            "issued_at": issued}
