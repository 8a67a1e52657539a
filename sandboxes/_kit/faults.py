"""Fault injection for sandboxes: an ASGI middleware driven by rules set at runtime.

Rules come in through ``POST /__sandbox/faults`` (see :mod:`sandboxes._kit.admin`). Each rule may target a
route pattern (a regular expression on ``"METHOD /path"``) and injects, in this order: a timeout (accept and
never answer, bounded), a 429 burst, an error (before the handler runs, or after it ran so the response is
lost), and latency: a fixed delay with jitter on every request, and latency spikes, which slow a few requests
that no other fault hit and then let them succeed (a slow success, unlike a timeout). Every draw comes from
generators seeded by ``seed``, so a sequential client sees the same faults on every run; spikes draw from a
generator of their own, so adding them to a rule leaves the rule's other faults where they were. Bodies and
headers are the vendor's own, supplied by a :class:`VendorFaults`.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

__all__ = ["FaultConfig", "FaultInjector", "FaultMiddleware", "FaultRule", "VendorFaults", "json_body"]

Headers = list[tuple[str, str]]
MAX_HANG_SECONDS = 120.0


class VendorFaults(Protocol):
    """What a vendor app supplies so injected faults look like the vendor's own."""

    def error_response(self, status: int) -> tuple[Headers, bytes]:
        """Headers and body of the vendor's 5xx answer."""
        ...

    def rate_limit_response(self, retry_after: int) -> tuple[Headers, bytes]:
        """Headers (Retry-After and friends) and body of the vendor's 429 answer."""
        ...


@dataclass
class FaultRule:
    """One fault rule; zero values mean "off"."""

    route: str | None = None
    """Regular expression matched (``re.search``) against ``"METHOD /path"``; None matches every route."""
    error_rate: float = 0.0
    """Probability a request gets the vendor's 5xx body."""
    error_status: int = 500
    """Status of injected errors."""
    error_after_rate: float = 0.0
    """Probability the handler runs but its response is replaced by a 5xx (the answer is lost)."""
    latency_ms: int = 0
    """Fixed delay added before the request is handled."""
    jitter_ms: int = 0
    """Extra uniform random delay in ``[0, jitter_ms]``."""
    rate_limit_rate: float = 0.0
    """Probability a 429 burst starts on a request."""
    burst_length: int = 1
    """How many consecutive matching requests a burst answers with 429."""
    retry_after: int = 1
    """Seconds announced in Retry-After."""
    timeout_rate: float = 0.0
    """Probability a request is accepted and never answered."""
    hang_seconds: float = 30.0
    """How long a timed-out request hangs before the connection is answered with a 5xx (bounded)."""
    spike_rate: float = 0.0
    """Probability a request no other fault hits is slowed by ``spike_ms`` and then handled normally."""
    spike_ms: int = 0
    """Length of a latency spike (bounded like ``hang_seconds``)."""
    spike_after: bool = False
    """Hold the handler's answer for the spike rather than the request: the work is done (a write committed)
    before the caller starts waiting, so a caller that gives up early retries a write that already happened."""

    def matches(self, method: str, path: str) -> bool:
        """Whether the rule applies to this request."""
        return self.route is None or re.search(self.route, f"{method} {path}") is not None


@dataclass
class FaultConfig:
    """The whole fault setup of one sandbox."""

    seed: int | None = None
    """Seed of the random draws; None draws from an unseeded generator."""
    rules: list[FaultRule] = field(default_factory=list)
    """Rules; the first matching rule decides."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        """Build a config from the admin route's JSON body.

        Accepts either ``{"seed": 1, "rules": [{...}]}`` or a single rule's fields at top level.

        Raises:
            ValueError: Unknown fields or wrong types.
        """
        if not isinstance(data, dict):
            raise ValueError("fault config must be a JSON object")
        data = dict(data)
        seed = data.pop("seed", None)
        raw_rules = data.pop("rules", None)
        if raw_rules is None:
            raw_rules = [data] if data else []
        elif data:
            raise ValueError(f"unknown fields: {sorted(data)}")
        try:
            rules = [FaultRule(**rule) for rule in raw_rules]
        except TypeError as exc:
            raise ValueError(str(exc)) from exc
        for rule in rules:
            rule.hang_seconds = min(float(rule.hang_seconds), MAX_HANG_SECONDS)
            rule.spike_ms = min(int(rule.spike_ms), int(MAX_HANG_SECONDS * 1000))
            if rule.route is not None:
                try:
                    re.compile(rule.route)
                except re.error as exc:
                    raise ValueError(f"route is not a regular expression: {exc}") from exc
        return cls(seed=None if seed is None else int(seed), rules=rules)

    def to_json(self) -> dict[str, Any]:
        """The config as JSON-ready data."""
        return {"seed": self.seed, "rules": [asdict(rule) for rule in self.rules]}


@dataclass
class Decision:
    """What to do to one request."""

    delay: float = 0.0
    hang: float | None = None
    rate_limited: int | None = None
    error: int | None = None
    error_after: int | None = None
    spike: float = 0.0
    spike_after: bool = False


class FaultInjector:
    """Holds the current config, the seeded generator and burst counters; decides per request."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.configure(config or FaultConfig())
        self.injected: list[dict[str, Any]] = []

    def configure(self, config: FaultConfig) -> None:
        """Replace the config and restart the random sequence."""
        self.config = config
        self._rng = random.Random(config.seed)
        self._spike_rng = random.Random(None if config.seed is None else f"spike:{config.seed}")
        self._bursts: dict[int, int] = {}
        self.injected = []

    def clear(self) -> None:
        """Switch every fault off."""
        self.configure(FaultConfig())

    def decide(self, method: str, path: str) -> Decision:
        """Draw the faults for one request."""
        for index, rule in enumerate(self.config.rules):
            if rule.matches(method, path):
                decision = self._draw(index, rule)
                if decision != Decision():
                    self.injected.append({"method": method, "path": path, **asdict(decision)})
                return decision
        return Decision()

    def _draw(self, index: int, rule: FaultRule) -> Decision:
        rng = self._rng
        # Draw every number on every request so the sequence does not depend on which branch fires.
        hang, burst, error, after, jitter = (rng.random() for _ in range(5))
        spike = self._spike_rng.random()
        delay = rule.latency_ms / 1000 + (jitter * rule.jitter_ms / 1000)
        if self._bursts.get(index, 0) > 0:
            self._bursts[index] -= 1
            return Decision(delay=delay, rate_limited=rule.retry_after)
        if hang < rule.timeout_rate:
            return Decision(delay=delay, hang=rule.hang_seconds)
        if burst < rule.rate_limit_rate:
            self._bursts[index] = max(0, rule.burst_length - 1)
            return Decision(delay=delay, rate_limited=rule.retry_after)
        if error < rule.error_rate:
            return Decision(delay=delay, error=rule.error_status)
        if after < rule.error_after_rate:
            return Decision(delay=delay, error_after=rule.error_status)
        if spike < rule.spike_rate and rule.spike_ms > 0:
            return Decision(delay=delay, spike=rule.spike_ms / 1000, spike_after=rule.spike_after)
        return Decision(delay=delay)


class FaultMiddleware:
    """ASGI middleware applying :class:`FaultInjector` decisions to HTTP requests.

    Args:
        app: The wrapped ASGI app.
        injector: Shared with the admin routes, which reconfigure it.
        vendor: Supplies the vendor's error and 429 responses.
        exempt_prefix: Paths never faulted (the admin routes).
    """

    def __init__(self, app: Any, injector: FaultInjector, vendor: VendorFaults,
                 exempt_prefix: str = "/__sandbox") -> None:
        self.app = app
        self.injector = injector
        self.vendor = vendor
        self.exempt_prefix = exempt_prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefix):
            await self.app(scope, receive, send)
            return
        decision = self.injector.decide(scope["method"], scope["path"])
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.spike and not decision.spike_after:
            await asyncio.sleep(decision.spike)
        if decision.hang is not None:
            await _hang(receive, decision.hang)
            await _answer(send, 504, *self.vendor.error_response(504))
        elif decision.rate_limited is not None:
            await _answer(send, 429, *self.vendor.rate_limit_response(decision.rate_limited))
        elif decision.error is not None:
            await _answer(send, decision.error, *self.vendor.error_response(decision.error))
        elif decision.error_after is not None:
            await self.app(scope, receive, _swallow)
            await _answer(send, decision.error_after, *self.vendor.error_response(decision.error_after))
        elif decision.spike_after:
            await self.app(scope, receive, _held(send, decision.spike))
        else:
            await self.app(scope, receive, send)


async def _swallow(message: dict[str, Any]) -> None:
    """Drop the real response: the work happened but the client never hears of it."""


def _held(send: Any, seconds: float) -> Any:
    """``send`` that waits ``seconds`` before the response starts: the handler has finished its work by then."""

    async def held(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
        await send(message)

    return held


async def _hang(receive: Any, seconds: float) -> None:
    """Wait until the client gives up (disconnects) or ``seconds`` pass."""

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnect(), timeout=seconds)
    except TimeoutError:
        return


async def _answer(send: Any, status: int, headers: Headers, body: bytes) -> None:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def json_body(data: Any) -> bytes:
    """Serialise a vendor body compactly (helper for :class:`VendorFaults` implementations)."""
    return json.dumps(data, separators=(",", ":")).encode()
