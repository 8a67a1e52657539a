"""Configuration of the built-in issuer, read by ``from_env(IssuerSettings, "REVFLOW_ISSUER_")``.

``REVFLOW_ISSUER_CLIENTS`` holds a JSON list of clients (or ``REVFLOW_ISSUER_CLIENTS_FILE`` a path to one);
``REVFLOW_ISSUER_SIGNING_KEYS`` a private JWK set (or ``REVFLOW_ISSUER_SIGNING_KEYS_FILE`` a path to one).
With neither, the documented dev clients are served and a fresh key is generated at start-up.
"""

from __future__ import annotations

from typing import Any

from services.runtime.settings import SecretsHidden

__all__ = ["ClientConfig", "IssuerSettings"]


class ClientConfig(SecretsHidden, frozen=True, kw_only=True):
    """One OAuth client allowed to use the client-credentials grant."""

    secret_fields = frozenset({"client_secret"})

    client_id: str
    client_secret: str
    """Shared secret, compared in constant time."""
    scopes: tuple[str, ...] = ()
    """Scopes the client may be granted; a token gets those of its audience (all of them when ``scope`` is not
    given)."""
    audiences: tuple[str, ...] = ()
    """Services (``aud`` values) the client may get tokens for, one per token; a request names it unless only one."""
    tenant: str | None = None
    """Tenant written into every token of this client (partner clients); ``None`` for internal ones."""


class IssuerSettings(SecretsHidden, frozen=True, kw_only=True):
    """Settings of the built-in client-credentials issuer."""

    secret_fields = frozenset({"signing_keys", "admin_secret"})

    issuer_url: str = "http://127.0.0.1:8100"
    """Public base URL of the issuer (falls back to ``REVFLOW_ISSUER_URL``)."""
    issuer: str | None = None
    """``iss`` of issued tokens; defaults to ``issuer_url`` (what resource servers expect by default)."""
    token_ttl_seconds: int = 900
    """Lifetime of an access token."""
    clients: tuple[ClientConfig, ...] | None = None
    """Registered clients; when neither this nor ``clients_file`` is set, the dev clients."""
    clients_file: str | None = None
    """Path of a JSON file holding a list of clients."""
    signing_keys: dict[str, Any] | None = None
    """Private JWK set; the first key signs, the others are published for verification only."""
    signing_keys_file: str | None = None
    """Path of a JSON file holding such a private JWK set."""
    admin_secret: str | None = None
    """Enables ``POST /admin/rotate`` for callers presenting ``Authorization: Bearer <admin_secret>``."""
    retired_keys_kept: int = 2
    """How many previous signing keys stay in the JWKS after a rotation, so live tokens keep verifying."""

    @property
    def token_issuer(self) -> str:
        return self.issuer or self.issuer_url.rstrip("/")
