"""Inbound Stripe webhooks: ``Stripe-Signature`` verification and event translation.

The header is ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>``; during a secret rotation
it carries several ``v1`` values (and perhaps a ``v0`` test scheme, ignored). A delivery is authentic when
any ``v1`` matches any configured secret and ``t`` lies within the tolerance (300 s, Stripe's default).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence

__all__ = ["TOLERANCE_SECONDS", "verify_signature"]

TOLERANCE_SECONDS = 300


def _parse(header: str) -> tuple[int | None, list[str]]:
    stamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            stamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    return stamp, signatures


def verify_signature(header: str | None, body: bytes, secrets: Sequence[str], *,
                     tolerance: int = TOLERANCE_SECONDS, clock: Callable[[], float] = time.time) -> str | None:
    """Check a ``Stripe-Signature`` header.

    Args:
        header: The header value (``None`` when absent).
        body: The raw request body, exactly as received.
        secrets: The endpoint's signing secrets (more than one while rotating).
        tolerance: Largest accepted age (and clock skew into the future) of ``t``, in seconds.
        clock: Current unix time.

    Returns:
        ``None`` when authentic, else the reason it is not.
    """
    if not secrets:
        return "no webhook signing secret is configured"
    if not header:
        return "the Stripe-Signature header is missing"
    stamp, signatures = _parse(header)
    if stamp is None or not signatures:
        return "the Stripe-Signature header has no timestamp or no v1 signature"
    if abs(clock() - stamp) > tolerance:
        return f"the signature timestamp is outside the {tolerance} s tolerance"
    signed = f"{stamp}.".encode() + body
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return None
    return "no v1 signature matches the payload"
