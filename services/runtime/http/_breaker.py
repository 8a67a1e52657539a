"""A per-upstream circuit breaker: closed, open (fail fast), half-open (a few probes decide).

Every attempt (not every logical call) passes through the breaker, so a retrying read against a dead
upstream counts each failed attempt, and a circuit that opens between two attempts stops the retries.
Single event loop, no awaits inside: no lock needed.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from collections.abc import Callable

from services.runtime.http._config import BreakerPolicy
from services.runtime.metrics import CIRCUIT_STATE

__all__ = ["BreakerState", "CircuitBreaker"]

_log = logging.getLogger(__name__)


class BreakerState(enum.IntEnum):
    """State of a circuit; the value is what the ``CIRCUIT_STATE`` gauge shows."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Opens after consecutive failures or a failure ratio in a sliding window; probes after a timeout.

    Args:
        name: Upstream name, the label of the ``CIRCUIT_STATE`` gauge.
        policy: Thresholds and timings.
        clock: Monotonic clock in seconds (injectable for tests).
    """

    def __init__(self, name: str, policy: BreakerPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.policy = policy
        self._clock = clock
        self._gauge = CIRCUIT_STATE.labels(upstream=name)
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._outcomes: deque[tuple[float, bool]] = deque()
        self._window_failures = 0
        self._opened_at = 0.0
        self._probes = 0
        self._gauge.set(BreakerState.CLOSED)

    @property
    def state(self) -> BreakerState:
        """Current state; an open circuit whose reset timeout has passed reads as half-open."""
        if self._state is BreakerState.OPEN and self.retry_after() == 0:
            self._transition(BreakerState.HALF_OPEN)
        return self._state

    def retry_after(self) -> float:
        """Seconds until an open circuit lets probes through (0 when not open)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.policy.reset_timeout - self._clock())

    def allow(self) -> bool | None:
        """Ask to make one attempt.

        Returns:
            ``None`` when the circuit refuses (fail fast); otherwise whether the attempt is a half-open
            probe, to be passed back to ``success``, ``failure`` or ``release``.
        """
        state = self.state
        if state is BreakerState.CLOSED:
            return False
        if state is BreakerState.HALF_OPEN and self._probes < self.policy.half_open_probes:
            self._probes += 1
            return True
        return None

    def success(self, probe: bool) -> None:
        """The attempt got a healthy answer."""
        if probe:
            self._probes -= 1
            if self._state is BreakerState.HALF_OPEN:
                self._close()
            return
        self._consecutive = 0
        self._record(failed=False)

    def failure(self, probe: bool) -> None:
        """The attempt failed (network error, timeout, 5xx)."""
        if probe:
            self._probes -= 1
            if self._state is BreakerState.HALF_OPEN:
                self._open()
            return
        if self._state is not BreakerState.CLOSED:
            return  # a straggler from before the circuit opened: it already counted
        self._consecutive += 1
        self._record(failed=True)
        if self._consecutive >= self.policy.failure_threshold or self._ratio_exceeded():
            self._open()

    def release(self, probe: bool) -> None:
        """The attempt ended without a verdict on the upstream's health (cancelled, rate limited)."""
        if probe:
            self._probes -= 1

    def _record(self, *, failed: bool) -> None:
        now = self._clock()
        self._outcomes.append((now, failed))
        self._window_failures += failed
        horizon = now - self.policy.window
        while self._outcomes and self._outcomes[0][0] < horizon:
            self._window_failures -= self._outcomes.popleft()[1]

    def _ratio_exceeded(self) -> bool:
        calls = len(self._outcomes)
        return calls >= self.policy.min_calls and self._window_failures / calls >= self.policy.failure_ratio

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._transition(BreakerState.OPEN)

    def _close(self) -> None:
        self._consecutive = 0
        self._outcomes.clear()
        self._window_failures = 0
        self._transition(BreakerState.CLOSED)

    def _transition(self, state: BreakerState) -> None:
        if state is not self._state:
            level = logging.WARNING if state is BreakerState.OPEN else logging.INFO
            _log.log(level, "circuit %s: %s -> %s", self.name, self._state.name.lower(), state.name.lower())
        self._state = state
        self._gauge.set(state)
