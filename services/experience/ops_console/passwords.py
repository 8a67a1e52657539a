"""Password hashes for console sign-in (scrypt), and the documented development users.

A hash reads ``scrypt$<n>$<r>$<p>$<salt>$<key>`` with base64url salt and key, so the cost can be raised
later without invalidating stored hashes. Make one with::

    python -m services.experience.ops_console.passwords        # prompts for the password

Development users (never for production; their passwords are public, like the issuer's dev clients):

============  ====================  ==============  =====================================================
username      password              role            may
============  ====================  ==============  =====================================================
``finance``   ``finance-dev-pass``  ``finance_ops`` everything: resume, retry, cancel, replay, close
``sales``     ``sales-dev-pass``    ``sales_ops``   resume and retry what sales ops owns
``billing``   ``billing-dev-pass``  ``billing_ops`` resume and retry what billing ops owns, replay
``viewer``    ``viewer-dev-pass``   ``viewer``      read every page, change nothing
============  ====================  ==============  =====================================================
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os

from services.experience.ops_console.settings import ConsoleUser

__all__ = ["DEV_USERS", "hash_password", "verify_password"]

_N, _R, _P, _KEY_BYTES = 2**14, 8, 1, 32
_MAX_N = 2**20


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None, n: int = _N, r: int = _R, p: int = _P) -> str:
    """A salted scrypt hash of ``password`` in the stored format."""
    salt = salt or os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=256 * 1024 * 1024)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed hash matches nothing. Constant-time compare."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        if scheme != "scrypt" or not 2 <= n_ <= _MAX_N or not 1 <= r_ <= 32 or not 1 <= p_ <= 16:
            return False
        expected = _unb64(key)
        actual = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=n_, r=r_, p=p_, dklen=len(expected),
                                maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
"""Checked against when the username is unknown, so a wrong username costs as long as a wrong password."""

DEV_USERS: tuple[ConsoleUser, ...] = (
    ConsoleUser(username="finance", name="Fran Okafor", roles=("finance_ops",),
                password_hash="scrypt$16384$8$1$CmXejf6Imd_dfcq4YUeJtg$cIkVjBpGAiAK1PH63jEmHq_UaKd_MmPlqYPOdrPwKuk"),
    ConsoleUser(username="sales", name="Sam Lindqvist", roles=("sales_ops",),
                password_hash="scrypt$16384$8$1$3PyOmgD_7-Ux2lfS3mBTXg$uFnOiMFFVO6pqSMk4rZrzHVRZxuSMmpF-KmnXXYu4nE"),
    ConsoleUser(username="billing", name="Bea Moreau", roles=("billing_ops",),
                password_hash="scrypt$16384$8$1$YMG0bgRHGERfmDtY8GxHTg$4yRAI7pKKb6zpCZFVgiEGCnJjI1XnILsUAE6D01gwK0"),
    ConsoleUser(username="viewer", name="Vic Tanaka", roles=("viewer",),
                password_hash="scrypt$16384$8$1$HLi-s8jKBr2jRv1asa3kVQ$5zPwH14KONb-FZKrSQLhJN_bigAXhcKsw73wG-Al8Wc"),
)
"""The development users (see the module docstring for their public passwords)."""


def main() -> None:
    """Print the hash of a password read from the terminal."""
    password = getpass.getpass("password: ")
    if password != getpass.getpass("again: "):
        raise SystemExit("the passwords differ")
    print(hash_password(password))


if __name__ == "__main__":
    main()
