"""Per-account concurrency governance: at most N requests in flight, the rest refused with a 429.

NetSuite governs web-services traffic by concurrent requests per account rather than by request rate:
a request arriving while the account already has its limit in flight is refused at once with
``CONCURRENCY_LIMIT_EXCEEDED`` (it is not queued). The account is the OAuth ``realm`` of the request.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ERROR_MEDIA_TYPE, concurrency_limit

__all__ = ["ConcurrencyGovernor", "Governance"]

_REALM = re.compile(r'realm="([^"]*)"', re.IGNORECASE)


class Governance:
    """The in-flight counts, shared by every route's middleware instance.

    Args:
        limit: Requests one account may have in flight.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight: dict[str, int] = {}
        self.refused = 0
        self.peak = 0


class ConcurrencyGovernor:
    """ASGI middleware admitting at most ``governance.limit`` in-flight requests per account.

    Args:
        app: The wrapped ASGI app.
        governance: The shared counts.
        exempt_prefix: Paths never governed (the admin routes).
    """

    def __init__(self, app: Any, governance: Governance, exempt_prefix: str = "/__sandbox") -> None:
        self.app = app
        self.governance = governance
        self.exempt_prefix = exempt_prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefix):
            await self.app(scope, receive, send)
            return
        gov, account = self.governance, _account(scope)
        if gov.in_flight.get(account, 0) >= gov.limit:
            gov.refused += 1
            await _refuse(send)
            return
        gov.in_flight[account] = gov.in_flight.get(account, 0) + 1
        gov.peak = max(gov.peak, gov.in_flight[account])
        try:
            await self.app(scope, receive, send)
        finally:
            gov.in_flight[account] -= 1


def _account(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            found = _REALM.search(value.decode("latin-1"))
            return found.group(1).upper() if found else ""
    return ""


async def _refuse(send: Any) -> None:
    body = json.dumps(concurrency_limit().body(), separators=(",", ":")).encode()
    headers = [(b"content-type", ERROR_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
