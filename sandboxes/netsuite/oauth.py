"""OAuth 1.0a token-based authentication (TBA) as NetSuite verifies it: HMAC-SHA256 over the called URL.

The signature base string is built from the URL the client actually called (scheme, host and port as sent,
the raw path, and every query parameter), the ``Authorization`` header's ``oauth_*`` parameters (``realm``
and ``oauth_signature`` excluded) and, when present, ``oauth_body_hash`` (base64 SHA-1 of the body), which
this verifier also checks against the body received. A stale ``oauth_timestamp`` or a reused nonce is
refused. Every failure answers NetSuite's one 401 ``INVALID_LOGIN`` body: NetSuite never says which part
was wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature, utils

from .errors import invalid_login
from .settings import NetSuiteSettings

__all__ = ["NonceCache", "OAuthVerifier", "SignedRequest"]

log = logging.getLogger(__name__)
_REQUIRED = ("oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_timestamp", "oauth_nonce",
             "oauth_signature")


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs of one HTTP request."""

    method: str
    url: str
    """``scheme://host[:port]/raw/path`` as the client called it, without the query."""
    query: str
    """The raw query string."""
    authorization: str
    body: bytes


@dataclass
class NonceCache:
    """Nonces seen within the timestamp window, per consumer key and token."""

    window: int = 300
    seen: dict[tuple[str, str, str], float] = field(default_factory=dict)
    limit: int = 10_000
    """Nonces kept before the expired ones are dropped; it doubles with the live ones, so dropping stays rare
    (it used to run on every request once more than 10,000 nonces were live)."""

    def use(self, key: tuple[str, str, str], now: float) -> bool:
        """Record a nonce; False when it was already used inside the window."""
        if len(self.seen) > self.limit:
            self.seen = {k: t for k, t in self.seen.items() if t > now - 2 * self.window}
            self.limit = max(10_000, 2 * len(self.seen))
        if key in self.seen and self.seen[key] > now - 2 * self.window:
            return False
        self.seen[key] = now
        return True

    def clear(self) -> None:
        """Forget every nonce."""
        self.seen.clear()
        self.limit = 10_000


class OAuthVerifier:
    """Checks NetSuite TBA ``Authorization`` headers for one account.

    Args:
        settings: The account id and the token's credentials.
        clock: Unix seconds (tests may pin it).
    """

    def __init__(self, settings: NetSuiteSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.nonces = NonceCache(settings.timestamp_window)

    def verify(self, req: SignedRequest) -> None:
        """Accept the request or raise NetSuite's 401.

        Raises:
            NetSuiteError: ``INVALID_LOGIN`` for any failure.
        """
        params = self._header_params(req.authorization)
        reason = self._check(req, params)
        if reason is not None:
            log.info("netsuite sandbox refused a login: %s", reason)
            raise invalid_login()

    @staticmethod
    def _header_params(authorization: str) -> dict[str, str]:
        try:
            pairs = utils.parse_authorization_header(authorization)
        except (ValueError, TypeError):
            return {}
        return {k: utils.unescape(v) for k, v in pairs}

    def _check(self, req: SignedRequest, params: dict[str, str]) -> str | None:
        """Why the request is refused, or None when it is accepted."""
        missing = [name for name in _REQUIRED if not params.get(name)]
        if missing:
            return f"missing {missing}"
        s = self.settings
        if params.get("realm", "").upper() != s.account_id.upper():
            return "wrong realm (account id)"
        if params["oauth_signature_method"] != "HMAC-SHA256":
            return "signature method is not HMAC-SHA256"
        if params.get("oauth_version", "1.0") != "1.0":
            return "oauth_version is not 1.0"
        if not (_same(params["oauth_consumer_key"], s.consumer_key) and _same(params["oauth_token"], s.token_id)):
            return "unknown consumer key or token"
        if not params["oauth_timestamp"].isdigit():
            return "timestamp is not a number"
        now = self.clock()
        if abs(now - int(params["oauth_timestamp"])) > s.timestamp_window:
            return "stale timestamp"
        body_hash = params.get("oauth_body_hash")
        if body_hash is not None and not _same(body_hash, base64.b64encode(hashlib.sha1(req.body).digest()).decode()):
            return "oauth_body_hash does not match the body"
        if not self._signature_ok(req, params["oauth_signature"]):
            return "signature mismatch"
        if not self.nonces.use((s.consumer_key, s.token_id, params["oauth_nonce"]), now):
            return "nonce reused"
        return None

    def _signature_ok(self, req: SignedRequest, sig: str) -> bool:
        headers = {"Authorization": req.authorization}
        try:
            oauth_request = OAuthRequest(req.url, req.method, headers=headers)
            oauth_request.params = signature.collect_parameters(uri_query=req.query, headers=headers)
            oauth_request.signature = sig
            return signature.verify_hmac_sha256(oauth_request, self.settings.consumer_secret,
                                                self.settings.token_secret)
        except (ValueError, TypeError, UnicodeError):
            return False


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
