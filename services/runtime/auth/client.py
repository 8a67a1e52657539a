"""Service-to-service calls with the caller's own client-credentials token, as an ``httpx.Auth``.

Attach it to the shared client of a downstream (``httpx.AsyncClient(auth=ClientCredentials(...))``): it
fetches a token from the issuer, reuses it until ``skew`` seconds before it expires, lets concurrent
requests share one refresh, and retries a request once with a fresh token when the callee answers 401
(the issuer rotated its key, or the token was revoked). Async clients only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterable

import httpx

__all__ = ["ClientCredentials", "TokenRequestError"]


class TokenRequestError(httpx.HTTPError):
    """The issuer refused to issue a token (bad credentials, scope, audience) or gave an unusable reply."""


class ClientCredentials(httpx.Auth):
    """Bearer auth with an OAuth 2.0 client-credentials token, cached and refreshed before expiry."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        audience: str,
        scope: str | Iterable[str] = "",
        skew: float = 60.0,
        timeout: float = 5.0,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the credentials; nothing is fetched before the first request.

        Args:
            token_url: The issuer's token endpoint (``<issuer_url>/oauth/token``).
            client_id: This service's client id.
            client_secret: This service's client secret (sent with HTTP Basic).
            audience: The one service the token is for (its ``aud``; the issuer refuses several).
            scope: Scopes to ask for; all the client is allowed when empty.
            skew: Refresh this many seconds before expiry (at most half the token's lifetime).
            timeout: Timeout of a token request, in seconds.
            http: Client for token requests; a short-lived one per refresh when ``None``.
            clock: Monotonic clock, replaceable in tests.
        """
        self._url = token_url
        self._credentials = (client_id, client_secret)
        self._scope = scope if isinstance(scope, str) else " ".join(scope)
        self._audience = audience
        self._skew = skew
        self._timeout = timeout
        self._http = http
        self._clock = clock
        self._token = ""
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.refreshes = 0
        """Number of tokens fetched so far (for metrics and tests)."""

    async def token(self, *, stale: str | None = None) -> str:
        """A current access token; with ``stale``, a new one unless another task already replaced it."""
        async with self._lock:
            expired = not self._token or self._clock() >= self._refresh_at
            if expired or (stale is not None and stale == self._token):
                await self._fetch()
            return self._token

    async def _fetch(self) -> None:
        data = {"grant_type": "client_credentials"}
        if self._scope:
            data["scope"] = self._scope
        if self._audience:
            data["audience"] = self._audience
        if self._http is not None:
            response = await self._http.post(self._url, data=data, auth=self._credentials, timeout=self._timeout)
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, data=data, auth=self._credentials)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            error = body if isinstance(body, dict) else {}
            reason = f"{error.get('error') or ''} {error.get('error_description') or ''}"
            raise TokenRequestError(f"token request refused: HTTP {response.status_code} {reason}".strip())
        try:
            token, lifetime = str(body["access_token"]), float(body.get("expires_in", 300))
        except (KeyError, TypeError, ValueError):
            raise TokenRequestError("token response carries no usable access_token") from None
        self._token = token
        self._refresh_at = self._clock() + lifetime - min(self._skew, lifetime / 2)
        self.refreshes += 1

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {await self.token(stale=token)}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("ClientCredentials works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator, as httpx expects
