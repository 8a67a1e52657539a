"""Who is calling: the verified identity behind a request's access token.

The authentication middleware builds a :class:`Principal` from the claims of an RFC 9068 access token and
sets it as the connection's user, so handlers and guards read it as ``request.user``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

__all__ = ["Principal"]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The caller, as proven by a verified access token."""

    subject: str
    """``sub``: for client-credentials tokens, the client itself."""
    client_id: str
    """``client_id``: the OAuth client the token was issued to."""
    scopes: frozenset[str] = frozenset()
    """``scope``, split on spaces."""
    tenant: str | None = None
    """``tenant``: set for tenant-scoped (partner) clients, ``None`` for internal ones."""
    audience: tuple[str, ...] = ()
    """``aud``: the services the token is meant for."""
    token_id: str | None = None
    """``jti``: unique id of the token (for audit and logs)."""
    expires_at: datetime = datetime.fromtimestamp(0, UTC)
    """``exp`` as an aware UTC instant."""

    def has_scopes(self, *scopes: str) -> bool:
        """Whether the token grants every one of ``scopes``."""
        return self.scopes.issuperset(scopes)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """Build a principal from already-validated access-token claims."""
        aud = claims.get("aud", ())
        return cls(
            subject=str(claims["sub"]),
            client_id=str(claims["client_id"]),
            scopes=frozenset(str(claims.get("scope") or "").split()),
            tenant=claims.get("tenant"),
            audience=(aud,) if isinstance(aud, str) else tuple(aud),
            token_id=claims.get("jti"),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
