"""The correlation id of the work in progress, carried in a context variable.

Inbound: ``X-Correlation-ID`` is accepted (when well-formed) or created per request. Outbound HTTP calls,
published events, audit entries, log lines and problem bodies all read it from here.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar, Token

__all__ = ["HEADER", "current_correlation_id", "new_correlation_id", "set_correlation_id", "valid_correlation_id"]

HEADER = "X-Correlation-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_current: ContextVar[str | None] = ContextVar("revflow_correlation_id", default=None)


def new_correlation_id() -> str:
    """32 random hex digits (the shape of a W3C trace id), cheaper to make than a UUID object."""
    return os.urandom(16).hex()


def valid_correlation_id(value: str | None) -> bool:
    """Accept only short, printable ids, so a header cannot inject into logs or downstream headers."""
    return bool(value) and bool(_VALID.match(value or ""))


def current_correlation_id() -> str | None:
    return _current.get()


def set_correlation_id(value: str) -> Token[str | None]:
    return _current.set(value)
