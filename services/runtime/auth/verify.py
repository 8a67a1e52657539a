"""Verification of RFC 9068 JWT access tokens with joserfc.

Order of checks: header (alg allow-list, ``typ: at+jwt``, ``kid``) → signature against the issuer's key
for that ``kid`` → claims (``iss``, ``aud``, ``exp``/``nbf``/``iat`` with leeway, ``sub``, ``client_id``,
``jti``, ``scope``). ``joserfc.jwt.decode`` checks only the signature, so every claim is checked here.

Verified tokens are kept in a bounded LRU keyed by the token string until ``exp`` (plus leeway), so the hot
path does no cryptography per request; a cached token is still rejected once it has expired.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from services.runtime.auth.jwks import JWKSCache, KeySource, SigningKeysUnavailableError, StaticKeys, jwks_url
from services.runtime.auth.principal import Principal
from services.runtime.settings import RuntimeSettings

__all__ = [
    "ACCESS_TOKEN_TYPES",
    "ALGORITHMS",
    "AccessTokenVerifier",
    "InvalidTokenError",
    "SigningKeysUnavailableError",
    "VerifiedToken",
]

ALGORITHMS: tuple[str, ...] = ("ES256", "RS256")
"""Signature algorithms accepted by default; ``none`` and HMAC (``HS*``) are never accepted."""
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
"""``typ`` header values of an RFC 9068 access token."""
_ASYMMETRIC = frozenset({"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})


class InvalidTokenError(Exception):
    """The access token was rejected; ``reason`` says why in plain words, safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VerifiedToken(NamedTuple):
    """A token that passed every check, as a principal plus its raw claims."""

    principal: Principal
    claims: Mapping[str, Any]
    deadline: float
    """Unix time after which the token is no longer accepted (``exp`` + leeway)."""
    kid: str = ""
    """The signing key; a cached token is dropped once the issuer stops publishing it."""


class AccessTokenVerifier:
    """Verifies access tokens for one audience (the service) from one issuer."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        algorithms: Iterable[str] = ALGORITHMS,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Configure the verifier.

        Args:
            keys: Resolves a ``kid`` to the issuer's public key (``JWKSCache`` or ``StaticKeys``).
            issuer: Expected ``iss``.
            audience: This service's name; ``aud`` must contain it.
            leeway: Clock skew tolerated on ``exp``, ``nbf`` and ``iat``, in seconds.
            algorithms: Accepted signature algorithms (asymmetric only).
            cache_size: Most verified tokens kept; the least recently used is dropped first.
            clock: Wall clock in Unix seconds, replaceable in tests.

        Raises:
            ValueError: ``algorithms`` names ``none``, an HMAC algorithm or an unknown one.
        """
        self._algorithms = frozenset(algorithms)
        if not self._algorithms or not self._algorithms <= _ASYMMETRIC:
            raise ValueError(f"only asymmetric signature algorithms are allowed, got {sorted(self._algorithms)}")
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self._leeway = leeway
        self._cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, VerifiedToken] = OrderedDict()

    @classmethod
    def from_key_set(cls, keys: KeySet, *, issuer: str, audience: str, **options: Any) -> AccessTokenVerifier:
        """A verifier trusting a fixed in-memory key set (tests, benchmarks)."""
        return cls(StaticKeys(keys), issuer=issuer, audience=audience, **options)

    @classmethod
    def from_issuer(
        cls, issuer_url: str, *, audience: str, issuer: str | None = None, min_refetch_interval: float = 10.0,
        **options: Any,
    ) -> AccessTokenVerifier:
        """A verifier reading keys from ``<issuer_url>/.well-known/jwks.json``; ``iss`` defaults to the URL."""
        keys = JWKSCache(jwks_url(issuer_url), min_refetch_interval=min_refetch_interval)
        return cls(keys, issuer=issuer or issuer_url.rstrip("/"), audience=audience, **options)

    @classmethod
    def from_settings(cls, settings: RuntimeSettings) -> AccessTokenVerifier:
        """The verifier a service built on the runtime uses: its name is the audience."""
        return cls.from_issuer(settings.issuer_url, audience=settings.service_name,
                               issuer=settings.token_issuer, leeway=settings.auth_leeway_seconds)

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token.

        Raises:
            InvalidTokenError: the token is malformed, forged, expired, or not meant for this service.
            SigningKeysUnavailableError: the token's key is unknown and the issuer's JWKS cannot be fetched.
        """
        return (await self.verify_token(token)).principal

    async def verify_token(self, token: str) -> VerifiedToken:
        """Like :meth:`verify`, also returning the claims and the acceptance deadline."""
        now = self._clock()
        cached = self._cache.get(token)
        if cached is not None:
            if now > cached.deadline:
                del self._cache[token]
                raise InvalidTokenError("token expired")
            await self.keys.revalidate_if_stale()
            if not self.keys.publishes(cached.kid):
                del self._cache[token]
                raise InvalidTokenError("unknown signing key")
            self._cache.move_to_end(token)
            return cached
        claims, kid = await self._decode(token)
        self._check_claims(claims, now)
        verified = VerifiedToken(Principal.from_claims(claims), MappingProxyType(claims),
                                 claims["exp"] + self._leeway, kid)
        self._cache[token] = verified
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return verified

    async def _decode(self, token: str) -> tuple[dict[str, Any], str]:
        """Check the header and the signature; return the (not yet validated) claims and the key id."""
        try:
            header = jws.extract_compact(token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeError, TypeError):
            raise InvalidTokenError("malformed token") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise InvalidTokenError("unsupported token algorithm")
        if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            raise InvalidTokenError("not an access token")
        kid = header.get("kid")
        key = await self.keys.get_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidTokenError("unknown signing key")
        try:
            return dict(jwt.decode(token, key, algorithms=[alg]).claims), kid
        except BadSignatureError:
            raise InvalidTokenError("invalid signature") from None
        except (JoseError, ValueError, TypeError):
            # e.g. an RS256 header naming an EC key: the signature cannot be valid
            raise InvalidTokenError("invalid signature") from None

    def _check_claims(self, claims: dict[str, Any], now: float) -> None:
        if claims.get("iss") != self.issuer:
            raise InvalidTokenError("wrong issuer")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if self.audience not in audiences:
            raise InvalidTokenError("wrong audience")
        self._check_times(claims, now)
        for name in ("sub", "client_id", "jti"):
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise InvalidTokenError(f"missing claim {name}")
        for name in ("scope", "tenant"):
            if name in claims and not isinstance(claims[name], str):
                raise InvalidTokenError(f"malformed claim {name}")

    def _check_times(self, claims: dict[str, Any], now: float) -> None:
        for name in ("exp", "iat"):
            if not _is_number(claims.get(name)):
                raise InvalidTokenError(f"missing claim {name}")
        if "nbf" in claims and not _is_number(claims["nbf"]):
            raise InvalidTokenError("malformed claim nbf")
        if now > claims["exp"] + self._leeway:
            raise InvalidTokenError("token expired")
        if claims.get("nbf", claims["iat"]) > now + self._leeway or claims["iat"] > now + self._leeway:
            raise InvalidTokenError("token not yet valid")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
