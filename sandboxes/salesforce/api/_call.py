"""A REST call inside the sandbox, independent of the HTTP framework (composite replays calls through it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import SalesforceError
from ..store import OrgState

__all__ = ["BASE", "Call", "Reply", "method_not_allowed"]

BASE = "/services/data/v62.0"


@dataclass
class Call:
    """One request to ``/services/data/v62.0/...``."""

    state: OrgState
    method: str
    segments: list[str]
    """Decoded path segments after the version (``["sobjects", "Account", "001…"]``)."""
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-cased request headers."""


@dataclass
class Reply:
    """What the call answers; ``body`` None means an empty body."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def method_not_allowed(method: str, allowed: str) -> SalesforceError:
    """``405 METHOD_NOT_ALLOWED`` as Salesforce words it."""
    return SalesforceError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}")
