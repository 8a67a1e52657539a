"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>``, sent as ``Revflow-Signature``.

The scheme is Stripe's, so receivers already know it::

    Revflow-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``t`` is when the attempt was signed (Unix seconds); ``v1`` is the lower-case hex HMAC-SHA256 of the bytes
``<t>.<raw request body>`` under the webhook's secret (the whole ``whsec_...`` string, UTF-8). A receiver
recomputes it from the raw body (before any JSON parsing), compares in constant time, and refuses a ``t``
older than its tolerance (5 minutes is usual) so a captured request cannot be replayed later. Every attempt
is signed afresh, redeliveries included; the event ``id`` stays the same, so receivers deduplicate on it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

__all__ = ["SIGNATURE_HEADER", "SignatureError", "new_secret", "sign", "signature_header", "verify"]

SIGNATURE_HEADER = "Revflow-Signature"


class SignatureError(ValueError):
    """A signature header that does not prove the body came from revflow with this secret, recently."""


def new_secret() -> str:
    """A fresh webhook secret (256 bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` signature of ``body`` at ``timestamp``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Revflow-Signature`` value for one attempt."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={sign(secret, stamp, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> int:
    """Check a ``Revflow-Signature`` header as a receiver should; return its timestamp.

    Raises:
        SignatureError: malformed header, no matching ``v1``, or a timestamp outside ``tolerance`` seconds.
    """
    parts = [item.partition("=") for item in header.split(",")]
    stamps = [value for key, _, value in parts if key.strip() == "t"]
    candidates = [value.strip() for key, _, value in parts if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not candidates:
        raise SignatureError("malformed signature header")
    stamp = int(stamps[0])
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    expected = sign(secret, stamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("no signature matches the body")
    return stamp
