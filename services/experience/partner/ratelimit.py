"""Rate limits per client and plan, shared by every replica: GCRA in one Redis script.

Each partner client has a plan (``requests`` per ``window_seconds``). The generic cell rate algorithm keeps
one number per client, the theoretical arrival time (TAT) of its next request, and admits a request when
``TAT + interval - window <= now``: up to ``requests`` at once, then one every ``window / requests``. The
script reads the clock of Redis itself (``TIME``), so replicas with skewed clocks still share one limit, and
decides and updates in one step, so concurrent requests on any number of replicas can never overshoot.

Every answer carries the IETF ``RateLimit`` header fields (draft-ietf-httpapi-ratelimit-headers, as the
widely deployed ``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` triple plus
``RateLimit-Policy``); a refused request gets a 429 problem with ``Retry-After``.
"""

from __future__ import annotations

import math
from typing import Any

from litestar.datastructures import ResponseHeader
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.openapi import ResponseSpec
from redis.asyncio import Redis

from contracts.problems import Problem
from services.experience.partner.settings import PartnerSettings, PlanLimit
from services.runtime.auth.principal import Principal
from services.runtime.problems import PROBLEM_MEDIA_TYPE, send_problem
from services.runtime.redis import KeySpace

__all__ = ["RATE_LIMIT_HEADERS", "RATE_LIMIT_RESPONSE", "Decision", "RateLimitMiddleware", "RateLimiter"]

_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
if next_tat - window > now then
  return {0, next_tat - window - now, tat - now}
end
redis.call('SET', KEYS[1], next_tat, 'PX', math.max(1, next_tat - now))
return {1, 0, next_tat - now}
"""


class Decision:
    """The limiter's answer for one request, with the header fields that describe it."""

    def __init__(self, *, allowed: bool, plan: PlanLimit, retry_after_ms: int, backlog_ms: int) -> None:
        self.allowed, self.plan = allowed, plan
        self.retry_after_ms, self.backlog_ms = retry_after_ms, backlog_ms

    @property
    def remaining(self) -> int:
        """Requests that may still be made right now."""
        if not self.allowed:
            return 0
        interval = self.plan.window_seconds * 1000 / self.plan.requests
        return max(0, math.floor((self.plan.window_seconds * 1000 - self.backlog_ms) / interval))

    def headers(self) -> list[tuple[bytes, bytes]]:
        reset = max(0, math.ceil(self.backlog_ms / 1000))
        out = [(b"ratelimit-limit", str(self.plan.requests).encode()),
               (b"ratelimit-remaining", str(self.remaining).encode()),
               (b"ratelimit-reset", str(reset).encode()),
               (b"ratelimit-policy", f"{self.plan.requests};w={self.plan.window_seconds}".encode())]
        if not self.allowed:
            out.append((b"retry-after", str(max(1, math.ceil(self.retry_after_ms / 1000))).encode()))
        return out


class RateLimiter:
    """Plans by client, and the shared GCRA state in Redis."""

    def __init__(self, redis: Redis, keyspace: KeySpace, settings: PartnerSettings) -> None:
        self.keyspace, self.settings = keyspace, settings
        self._script = redis.register_script(_GCRA)

    def plan_of(self, client_id: str) -> tuple[str, PlanLimit]:
        name = self.settings.client_plans.get(client_id, self.settings.default_plan)
        plan = self.settings.plans.get(name) or self.settings.plans[self.settings.default_plan]
        return name, plan

    async def check(self, client_id: str) -> Decision:
        name, plan = self.plan_of(client_id)
        interval = plan.window_seconds * 1000 / plan.requests
        key = self.keyspace.tagged(f"ratelimit:{client_id}", name)
        allowed, retry_ms, backlog_ms = await self._script(keys=[key], args=[interval, plan.window_seconds * 1000])
        return Decision(allowed=bool(allowed), plan=plan, retry_after_ms=int(retry_ms), backlog_ms=int(backlog_ms))


class RateLimitMiddleware(ASGIMiddleware):
    """Counts every authenticated request against its client's plan (installed on the versioned routers)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: Any) -> None:
        principal = scope.get("user")
        limiter: RateLimiter | None = getattr(scope["app"].state, "rate_limiter", None)
        if not isinstance(principal, Principal) or limiter is None:
            await next_app(scope, receive, send)
            return
        decision = await limiter.check(principal.client_id)
        extra = decision.headers()
        if not decision.allowed:
            await send_problem(send, scope, slug="rate-limited", status=429, headers=dict(extra),
                               detail=f"Rate limit of {decision.plan.requests} requests per "
                                      f"{decision.plan.window_seconds} s exceeded; retry after the Retry-After "
                                      "seconds.")
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await next_app(scope, receive, with_headers)


RATE_LIMIT_HEADERS = [
    ResponseHeader(name="RateLimit-Limit", documentation_only=True,
                   description="Requests the client's plan allows per window"),
    ResponseHeader(name="RateLimit-Remaining", documentation_only=True,
                   description="Requests that may still be made right now"),
    ResponseHeader(name="RateLimit-Reset", documentation_only=True,
                   description="Seconds until the whole quota is available again"),
    ResponseHeader(name="RateLimit-Policy", documentation_only=True,
                   description="The plan as `<requests>;w=<window seconds>`"),
]
"""The header fields every partner answer carries, for the OpenAPI document."""

RATE_LIMIT_RESPONSE = {429: ResponseSpec(Problem, description="Rate limit exceeded; `Retry-After` says when to "
                                         "retry", media_type=PROBLEM_MEDIA_TYPE, generate_examples=False)}
"""The 429 every partner operation may answer, for the OpenAPI document."""
