"""The issuer's signing keys: generated or loaded at start-up, rotated on demand.

The first key signs; after a rotation the previous ones stay published in the JWKS (``retain`` of them) so
tokens they signed keep verifying until they expire. Keys live in this process: several issuer replicas
must share a configured key set (``signing_keys`` / ``signing_keys_file``) rather than generate their own.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey, import_key

from services.runtime.auth.issuer.settings import IssuerSettings

__all__ = ["SigningKeys"]


def _new_kid() -> str:
    return f"ec-{time.strftime('%Y%m%d', time.gmtime())}-{secrets.token_hex(4)}"


def _generate() -> ECKey:
    kid = _new_kid()
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"})


class SigningKeys:
    """An ordered set of private signing keys; the first one signs."""

    def __init__(self, keys: list[ECKey | RSAKey], *, retain: int = 2) -> None:
        if not keys:
            raise ValueError("at least one signing key is needed")
        for key in keys:
            if not key.is_private or not key.kid:
                raise ValueError("signing keys must be private and carry a kid")
            if isinstance(key, ECKey) and key.curve_name != "P-256":
                raise ValueError("EC signing keys must use P-256 (ES256)")
        self._keys = list(keys)
        self._retain = retain

    @classmethod
    def generate(cls, *, retain: int = 2) -> SigningKeys:
        """One freshly generated ES256 key."""
        return cls([_generate()], retain=retain)

    @classmethod
    def from_jwks(cls, jwks: dict[str, Any], *, retain: int = 2) -> SigningKeys:
        """Keys from a private JWK set (``{"keys": [...]}``), in order.

        Raises:
            ValueError: a key is not an EC P-256 or RSA private key with a ``kid``.
        """
        keys = [import_key(item) for item in jwks.get("keys", [])]
        if not all(isinstance(key, ECKey | RSAKey) for key in keys):
            raise ValueError("signing keys must be EC (P-256) or RSA keys")
        return cls(keys, retain=retain)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, settings: IssuerSettings) -> SigningKeys:
        """Configured keys (inline or from a file), else a generated one."""
        retain = settings.retired_keys_kept
        if settings.signing_keys is not None:
            return cls.from_jwks(settings.signing_keys, retain=retain)
        if settings.signing_keys_file is not None:
            return cls.from_jwks(json.loads(Path(settings.signing_keys_file).read_text()), retain=retain)
        return cls.generate(retain=retain)

    @property
    def active(self) -> ECKey | RSAKey:
        """The key that signs new tokens."""
        return self._keys[0]

    @property
    def algorithm(self) -> str:
        """JWS ``alg`` of the active key."""
        return "ES256" if isinstance(self.active, ECKey) else "RS256"

    @property
    def kids(self) -> list[str]:
        return [str(key.kid) for key in self._keys]

    def rotate(self) -> str:
        """Sign with a new key from now on, keep ``retain`` previous ones published; return the new kid."""
        self._keys = [_generate(), *self._keys][: 1 + self._retain]
        return str(self._keys[0].kid)

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document: public parts only (no ``d``)."""
        return dict(KeySet(list(self._keys)).as_dict(private=False))
