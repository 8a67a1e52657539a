"""HubSpot request signatures (v3) on the card data-fetch route.

HubSpot signs each request it sends an app: ``X-HubSpot-Signature-v3`` is the base64 HMAC-SHA256, under the
app's client secret, of method + URI + raw body + ``X-HubSpot-Request-Timestamp`` (epoch milliseconds), where
the URI is the full URL HubSpot called with a fixed set of percent-escapes decoded. A request whose timestamp
is more than five minutes away from now is refused, so a captured request cannot be replayed later.

The CRM system API verifies HubSpot webhooks the same way; the two tiers share no code but ``runtime`` and
``contracts``, and this check is twenty lines of standard library, so the panel keeps its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from services.runtime.problems import send_problem

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "HubSpotSignatureMiddleware",
    "HubSpotVerifier",
    "SignatureRejectedError",
    "canonical_uri",
    "signature_v3",
]

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"

# HubSpot decodes exactly these escapes before hashing (its documentation lists them); others stay encoded.
_ESCAPES = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'", "%28": "(",
            "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


class SignatureRejectedError(Exception):
    """The request is not HubSpot's, or not any more (missing, wrong or stale signature)."""


def canonical_uri(uri: str) -> str:
    """The URI as HubSpot hashes it: the listed percent-escapes decoded (either case), the rest as sent."""
    for escape, char in _ESCAPES.items():
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return uri


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    """The ``X-HubSpot-Signature-v3`` value of a request."""
    message = method.upper().encode() + canonical_uri(uri).encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class HubSpotVerifier:
    """Checks v3 signatures with one app secret.

    Args:
        secret: The HubSpot app's client secret; ``None`` refuses every request.
        max_age_seconds: Largest distance between the request's timestamp and now.
        public_url: The panel's base URL as HubSpot sees it; ``None`` to use the request's scheme and Host.
        clock: Wall clock in seconds (replaceable in tests).
    """

    def __init__(self, secret: str | None, *, max_age_seconds: int = 300, public_url: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.secret, self.max_age_ms, self.clock = secret, max_age_seconds * 1000, clock
        self.public_url = public_url.rstrip("/") if public_url else None

    def uri_of(self, scope: Any) -> str:
        """The full URL of the request as HubSpot called it (raw path and query, as sent)."""
        base = self.public_url
        if base is None:
            host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), None)
            if host is None:
                server = scope.get("server") or ("localhost", None)
                host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
            base = f"{scope.get('scheme', 'http')}://{host}"
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        query = scope.get("query_string") or b""
        return base + path + ("?" + query.decode("latin-1") if query else "")

    def verify(self, *, method: str, uri: str, body: bytes, signature: str | None, timestamp: str | None) -> None:
        """Accept the request or raise ``SignatureRejectedError`` saying why.

        Raises:
            SignatureRejectedError: no secret configured; header missing; timestamp stale or malformed; mismatch.
        """
        if not self.secret:
            raise SignatureRejectedError("No HubSpot app secret is configured: HubSpot requests are refused.")
        if not signature or not timestamp:
            raise SignatureRejectedError(f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required.")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 15:
            raise SignatureRejectedError(f"{TIMESTAMP_HEADER} must be epoch milliseconds.")
        if abs(self.clock() * 1000 - int(timestamp)) > self.max_age_ms:
            raise SignatureRejectedError(f"{TIMESTAMP_HEADER} is more than {self.max_age_ms // 1000} s away from now: "
                                         "the request is stale or replayed.")
        expected = signature_v3(self.secret, method, uri, body, int(timestamp))
        if not hmac.compare_digest(expected.encode(), signature.encode("latin-1", "replace")):
            raise SignatureRejectedError(f"{SIGNATURE_HEADER} does not match the request.")


class HubSpotSignatureMiddleware(ASGIMiddleware):
    """Route middleware: only correctly signed, fresh HubSpot requests reach the handler; others get a 401 problem.

    It runs before the route's parameters are parsed, so an unsigned caller learns nothing about them. The
    verifier is the app's ``state.hubspot_verifier`` (built in the service's lifespan from its settings).
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, max_body_bytes: int = 65_536) -> None:
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: Any) -> None:
        verifier: HubSpotVerifier = scope["litestar_app"].state.hubspot_verifier
        body, messages = b"", []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await send_problem(send, scope, slug="payload-too-large", status=413,
                                   detail=f"A HubSpot request body is at most {self.max_body_bytes} bytes.")
                return
            if not message.get("more_body", False):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        try:
            verifier.verify(method=scope["method"], uri=verifier.uri_of(scope), body=body,
                            signature=headers.get(SIGNATURE_HEADER.lower()),
                            timestamp=headers.get(TIMESTAMP_HEADER.lower()))
        except SignatureRejectedError as exc:
            await send_problem(send, scope, slug="unauthorized", status=401, detail=str(exc))
            return
        replay = iter(messages)

        async def replayed() -> Any:
            return next(replay, None) or await receive()

        await next_app(scope, replayed, send)
