"""OAuth 1.0a token-based authentication (TBA) as NetSuite verifies it, as an ``httpx.Auth``.

HMAC-SHA256 over the URL actually called (query included), ``realm`` = the account id, and
``oauth_body_hash`` (base64 SHA-1 of the body) when a body is sent. The runtime client runs the auth flow
once per attempt, so every retry carries a fresh nonce and timestamp (NetSuite refuses a reused nonce).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Generator
from typing import Any

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

__all__ = ["TokenCredentials", "TokenSigner"]


class TokenCredentials:
    """One account's integration (consumer) and access token credentials."""

    __slots__ = ("account_id", "consumer_key", "consumer_secret", "token_id", "token_secret")

    def __init__(self, *, account_id: str, consumer_key: str, consumer_secret: str, token_id: str,
                 token_secret: str) -> None:
        self.account_id, self.consumer_key, self.consumer_secret = account_id, consumer_key, consumer_secret
        self.token_id, self.token_secret = token_id, token_secret

    def __repr__(self) -> str:  # never print a secret
        return f"TokenCredentials(account_id={self.account_id!r}, consumer_key=..., token_id=...)"


class _BodyHashClient(Client):
    """oauthlib's OAuth 1 client plus ``oauth_body_hash`` among the signed parameters."""

    body_hash: str | None = None

    def get_oauth_params(self, request: Any) -> list[tuple[str, str]]:
        params = super().get_oauth_params(request)
        if self.body_hash is not None:
            params.append(("oauth_body_hash", self.body_hash))
        return params


class TokenSigner(httpx.Auth):
    """Signs every attempt with a fresh nonce and timestamp.

    Args:
        credentials: The account and token credentials.
    """

    requires_request_body = True

    def __init__(self, credentials: TokenCredentials) -> None:
        self._cred = credentials

    def authorization(self, method: str, url: str, body: bytes) -> str:
        """The ``Authorization`` header for one request."""
        c = self._cred
        client = _BodyHashClient(c.consumer_key, client_secret=c.consumer_secret, resource_owner_key=c.token_id,
                                 resource_owner_secret=c.token_secret, signature_method=SIGNATURE_HMAC_SHA256,
                                 realm=c.account_id)
        if body:
            client.body_hash = base64.b64encode(hashlib.sha1(body).digest()).decode()  # SHA-1: the body-hash spec
        _, headers, _ = client.sign(url, method, body=None, headers={})
        return str(headers["Authorization"])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization(request.method, str(request.url), request.content)
        yield request
