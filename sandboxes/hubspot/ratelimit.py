"""HubSpot's ``X-HubSpot-RateLimit-*`` headers on every answer, and the 429 the fault injector sends.

The sandbox never throttles on its own (rate limiting is a kit fault); it reports the budget a private app
on a Professional portal has (190 requests per 10 s, 500,000 a day) and how much of it the requests used.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sandboxes._kit import json_body

from .errors import error_body

__all__ = ["HubSpotFaults", "RateBudget", "RateLimitHeaders"]

Headers = list[tuple[str, str]]


class RateBudget:
    """Counts requests in HubSpot's daily, ten-second and one-second windows."""

    def __init__(self, daily: int = 500_000, interval_max: int = 190, interval_ms: int = 10_000, secondly: int = 19,
                 clock: Callable[[], float] = time.time) -> None:
        self.daily, self.interval_max, self.interval_ms, self.secondly = daily, interval_max, interval_ms, secondly
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def _used(self, name: str, window: int, now: float, count: bool) -> int:
        start = int(now // window) * window
        begun, used = self._windows.get(name, (start, 0))
        if begun != start:
            used = 0
        if count:
            used += 1
        self._windows[name] = (start, used)
        return used

    def headers(self, count: bool = True, exhausted: bool = False) -> Headers:
        """The rate-limit headers after (optionally) counting one request."""
        now = self.clock()
        with self._lock:
            day = self._used("day", 86_400, now, count)
            interval = self._used("interval", self.interval_ms // 1000, now, count)
            second = self._used("second", 1, now, count)

        def left(cap: int, used: int) -> str:
            return "0" if exhausted else str(max(0, cap - used))

        return [("X-HubSpot-RateLimit-Daily", str(self.daily)),
                ("X-HubSpot-RateLimit-Daily-Remaining", left(self.daily, day)),
                ("X-HubSpot-RateLimit-Interval-Milliseconds", str(self.interval_ms)),
                ("X-HubSpot-RateLimit-Max", str(self.interval_max)),
                ("X-HubSpot-RateLimit-Remaining", left(self.interval_max, interval)),
                ("X-HubSpot-RateLimit-Secondly", str(self.secondly)),
                ("X-HubSpot-RateLimit-Secondly-Remaining", left(self.secondly, second))]


class HubSpotFaults:
    """HubSpot-looking responses for the kit's fault middleware."""

    def __init__(self, budget: RateBudget) -> None:
        self.budget = budget

    def error_response(self, status: int) -> tuple[Headers, bytes]:
        """HubSpot's 5xx body."""
        cid = str(uuid.uuid4())
        body = error_body("internal error", "INTERNAL_ERROR", cid)
        return [("content-type", "application/json;charset=utf-8"), ("X-HubSpot-Correlation-Id", cid)], json_body(body)

    def rate_limit_response(self, retry_after: int) -> tuple[Headers, bytes]:
        """HubSpot's 429: its documented body (``errorType: RATE_LIMIT``, ``policyName``) and exhausted budget.

        HubSpot sends no ``Retry-After`` on 429s; the interval header tells a client how long the window is.
        """
        cid = str(uuid.uuid4())
        body = error_body("You have reached your ten_secondly_rolling limit.", "RATE_LIMITS", cid,
                          errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING", requestId=str(uuid.uuid4()))
        headers = [("content-type", "application/json;charset=utf-8"), ("X-HubSpot-Correlation-Id", cid),
                   *self.budget.headers(count=False, exhausted=True)]
        return headers, json_body(body)


class RateLimitHeaders:
    """ASGI middleware counting API requests and adding the rate-limit headers to answers lacking them."""

    def __init__(self, app: Any, budget: RateBudget, exempt_prefix: str = "/__sandbox") -> None:
        self.app = app
        self.budget = budget
        self.exempt_prefix = exempt_prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefix):
            await self.app(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in self.budget.headers()]

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-hubspot-ratelimit-max" for k, _ in headers):
                    message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, with_headers)
