"""Where a resource server finds the issuer's public signing keys.

:class:`JWKSCache` reads ``<issuer_url>/.well-known/jwks.json`` over HTTP and keeps it in memory. A token
signed with a ``kid`` the cache does not know (the issuer rotated its key) triggers a refetch, at most once
per ``min_refetch_interval`` so a stream of forged ``kid`` values cannot turn every request into a call to
the issuer; concurrent refetches are coalesced into one. :class:`StaticKeys` serves a fixed in-memory
``KeySet`` (tests, benchmarks, offline verification).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, import_key

__all__ = ["JWKSCache", "KeySource", "SigningKeysUnavailableError", "StaticKeys", "jwks_url"]

logger = logging.getLogger(__name__)

_SIGNING_KEY_TYPES = frozenset({"EC", "RSA"})


class SigningKeysUnavailableError(Exception):
    """The issuer's JWKS could not be fetched, so an unknown ``kid`` cannot be resolved right now."""


class KeySource(Protocol):
    """Anything that resolves a ``kid`` to a public verification key."""

    async def get_key(self, kid: str) -> Key | None:
        """The key with this ``kid``, or ``None`` when the issuer does not publish one."""
        ...

    async def revalidate_if_stale(self) -> None:
        """Refetch the keys when they are older than the source's maximum age (never raises)."""
        ...

    def publishes(self, kid: str) -> bool:
        """Whether the latest known key set still contains ``kid``."""
        ...


def jwks_url(issuer_url: str) -> str:
    """The JWKS address of an issuer base URL."""
    return f"{issuer_url.rstrip('/')}/.well-known/jwks.json"


def _public_keys(jwks: Any) -> dict[str, Key]:
    """Import the usable signing keys of a JWKS document, by ``kid``; skip anything else."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("not a JWK set")
    keys: dict[str, Key] = {}
    for item in jwks["keys"]:
        if not isinstance(item, dict) or item.get("kty") not in _SIGNING_KEY_TYPES:
            continue
        if not isinstance(item.get("kid"), str) or item.get("use", "sig") != "sig":
            continue
        public = {name: value for name, value in item.items() if name not in {"d", "p", "q", "dp", "dq", "qi"}}
        try:
            keys[item["kid"]] = import_key(public)
        except (JoseError, ValueError, TypeError):
            logger.warning("ignoring unusable key %s in JWKS", item["kid"])
    return keys


class StaticKeys:
    """A fixed set of verification keys held in memory."""

    def __init__(self, keys: KeySet) -> None:
        self._keys = _public_keys(keys.as_dict(private=False))

    async def get_key(self, kid: str) -> Key | None:
        return self._keys.get(kid)

    async def revalidate_if_stale(self) -> None:
        return None

    def publishes(self, kid: str) -> bool:
        return kid in self._keys


class JWKSCache:
    """The issuer's JWKS, fetched over HTTP, cached, and refetched on an unknown ``kid`` (rate-limited)."""

    def __init__(
        self,
        url: str,
        *,
        min_refetch_interval: float = 10.0,
        max_age: float = 600.0,
        timeout: float = 5.0,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the cache; nothing is fetched until the first key is asked for.

        Args:
            url: The JWKS address, usually ``jwks_url(issuer_url)``.
            min_refetch_interval: Seconds that must pass between two fetches.
            max_age: Seconds after which the key set is refetched even though every ``kid`` is known.
            timeout: Timeout of one fetch, in seconds.
            http: Client to fetch with; a short-lived one per fetch when ``None`` (fetches are rare).
            clock: Monotonic clock, replaceable in tests.
        """
        self.url = url
        self.fetches = 0
        """Number of fetch attempts so far (for metrics and tests)."""
        self._interval = min_refetch_interval
        self._max_age = max_age
        self._timeout = timeout
        self._http = http
        self._clock = clock
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._failure: Exception | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    async def get_key(self, kid: str) -> Key | None:
        """Resolve ``kid``, refetching the JWKS once when it is unknown and the rate limit allows.

        Raises:
            SigningKeysUnavailableError: the key is unknown and the latest fetch failed.
        """
        await self.revalidate_if_stale()
        key = self._keys.get(kid)
        if key is None:
            await self._refresh()
            key = self._keys.get(kid)
        return key

    async def revalidate_if_stale(self) -> None:
        """Refetch a key set older than ``max_age``, so a key the issuer withdrew stops being trusted.

        An issuer outage keeps the last good keys: it must not stop every service from verifying.
        """
        if self._fetched_at is None or self._clock() - self._fetched_at < self._max_age:
            return
        with contextlib.suppress(SigningKeysUnavailableError):
            await self._refresh()

    def publishes(self, kid: str) -> bool:
        """Whether the latest key set still contains ``kid``."""
        return kid in self._keys

    async def _refresh(self) -> None:
        seen = self._generation
        async with self._lock:
            recent = self._fetched_at is not None and self._clock() - self._fetched_at < self._interval
            if self._generation != seen or recent:
                # Someone else just fetched (coalesced) or we fetched too recently (rate limit).
                self._raise_if_failed()
                return
            self._fetched_at = self._clock()
            self.fetches += 1
            try:
                self._keys = _public_keys(await self._fetch())
                self._failure = None
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("cannot fetch JWKS from %s: %s", self.url, exc)
                self._failure = exc
            finally:
                self._generation += 1
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise SigningKeysUnavailableError(f"JWKS unavailable at {self.url}") from self._failure

    async def _fetch(self) -> Any:
        if self._http is not None:
            response = await self._http.get(self.url, timeout=self._timeout)
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self.url)
        response.raise_for_status()
        return response.json()
