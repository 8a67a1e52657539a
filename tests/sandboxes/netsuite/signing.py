"""An independent OAuth 1.0a TBA signer for the NetSuite sandbox tests, built on ``oauthlib``'s client.

It signs like NetSuite's documentation asks (HMAC-SHA256, ``realm`` = account id, ``oauth_body_hash`` for
JSON bodies) without sharing code with the sandbox's verifier, so a test that passes proves the two agree.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from sandboxes.netsuite import DEV_SETTINGS, NetSuiteSettings

__all__ = ["NetSuiteHttp", "Signer"]


class _BodyHashClient(Client):
    """oauthlib's client plus the ``oauth_body_hash`` parameter (draft-eaton-oauth-bodyhash)."""

    body_hash: str | None = None

    def get_oauth_params(self, request: Any) -> list[tuple[str, str]]:
        params = super().get_oauth_params(request)
        if self.body_hash is not None:
            params.append(("oauth_body_hash", self.body_hash))
        return params


class Signer:
    """Signs requests for one account and token.

    Args:
        settings: Credentials (defaults: the sandbox's documented dev credentials).
        token_secret: Override the token secret (to sign with a wrong one).
        timestamp: Fix ``oauth_timestamp`` (to test stale requests).
        nonce: Fix ``oauth_nonce`` (to test replays).
    """

    def __init__(self, settings: NetSuiteSettings = DEV_SETTINGS, *, token_secret: str | None = None,
                 timestamp: str | None = None, nonce: str | None = None, body_hash: bool = True) -> None:
        self.settings = settings
        self.token_secret = token_secret if token_secret is not None else settings.token_secret
        self.timestamp, self.nonce, self.body_hash = timestamp, nonce, body_hash

    def authorization(self, method: str, url: str, body: bytes = b"") -> str:
        """The ``Authorization`` header for a request to ``url`` (query included)."""
        s = self.settings
        client = _BodyHashClient(s.consumer_key, client_secret=s.consumer_secret, resource_owner_key=s.token_id,
                                 resource_owner_secret=self.token_secret, signature_method=SIGNATURE_HMAC_SHA256,
                                 realm=s.account_id, timestamp=self.timestamp, nonce=self.nonce)
        if body and self.body_hash:
            client.body_hash = base64.b64encode(hashlib.sha1(body).digest()).decode()
        _, headers, _ = client.sign(url, method, body=None, headers={})
        return headers["Authorization"]


class NetSuiteHttp:
    """A minimal signed client for the sandbox: ``request(method, "/record/v1/customer", json=...)``.

    Args:
        base: ``http://127.0.0.1:PORT`` of the sandbox.
        signer: Signs each request (a fresh nonce and timestamp per request unless fixed).
    """

    def __init__(self, base: str, signer: Signer | None = None) -> None:
        self.base = base
        self.signer = signer or Signer()
        self.http = httpx.Client(timeout=10)

    def build(self, method: str, subpath: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> httpx.Request:
        """A signed request, not yet sent (tests may tamper with it)."""
        body = json.dumps(json_body).encode() if json_body is not None else b""
        request = self.http.build_request(method, f"{self.base}/services/rest{subpath}", params=params,
                                          content=body or None,
                                          headers={"Content-Type": "application/json", **(headers or {})})
        request.headers["Authorization"] = self.signer.authorization(method, str(request.url), body)
        return request

    def request(self, method: str, subpath: str, **kwargs: Any) -> httpx.Response:
        """Sign and send."""
        return self.http.send(self.build(method, subpath, **kwargs))

    def suiteql(self, query: str, limit: int | None = None, offset: int | None = None) -> httpx.Response:
        """Run a SuiteQL query (``Prefer: transient``)."""
        params = {k: v for k, v in (("limit", limit), ("offset", offset)) if v is not None}
        return self.request("POST", "/query/v1/suiteql", json_body={"q": query}, params=params or None,
                            headers={"Prefer": "transient"})
