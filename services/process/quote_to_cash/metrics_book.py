"""Finance metrics at the size of a real book: each deal's figures kept per period and summed incrementally.

Reading every deal's systems on each request (``metrics.metrics``) costs four calls per deal: minutes for ten
thousand deals. Instead each activated deal's figures over the periods it touches (``DealFigures``) are read once
from the systems of record, with the same rules, and kept in a versioned hash that every process mirrors. A deal
is read again when it moves: when one of its workflows changed after its figures were read. Each process keeps
the sum per currency, metric and period current by subtracting a deal's old figures and adding its new ones, so
a request costs the deals that changed, not the book's size.

A request first reads again the stale deals, up to ``inline_limit`` of them; the workers' sweep reads the rest,
and the answer says how many are pending (``stale_deals``) and when its oldest figure was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from contracts.deals import Opportunity
from services.process.quote_to_cash.metrics import (
    FIELDS,
    MetricsV1,
    Series,
    check_range,
    currency_metrics,
    deal_series,
    read_deal,
)
from services.process.quote_to_cash.mirror import HashMirror, VersionedHash
from services.process.quote_to_cash.reconciliation import invoice_period, periods_between
from services.runtime.redis import KeySpace

__all__ = ["DealFigures", "MetricsBook", "MetricsSweep", "read_figures"]

_PARALLEL = 8
_log = logging.getLogger("revflow.process")
_CLOCK_SKEW = timedelta(seconds=2)
"""Figures read this close to a workflow change (clocks of two processes) are read again, to be safe."""


class DealFigures(msgspec.Struct, frozen=True, kw_only=True):
    """One deal's metrics per period, as read from the systems of record at ``read_at``."""

    deal: str
    read_at: datetime
    currency: str | None = None
    """``None`` when the opportunity is gone from the CRM (it counts nothing; the reconciliation reports it)."""
    first: str | None = None
    last: str | None = None
    """The periods the deal touches: before ``first`` every figure is 0, after ``last`` only deferred revenue
    (a balance) can be non-zero: ``deferred_after``."""
    values: dict[str, dict[str, int]] = {}
    """Metric -> period -> amount (minor units), zeros left out."""
    deferred_after: int = 0


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(DealFigures)


def _month(value: Any) -> str:
    return str(value)[:7]


async def read_figures(systems: Any, links: Any, deal: str) -> DealFigures:
    """Read one deal from the systems of record and compute its figures over the periods it touches."""
    now = datetime.now(UTC)
    opportunity, facts = await read_deal(systems, links, deal)
    if opportunity is None:
        return DealFigures(deal=deal, read_at=now)
    terms = msgspec.convert(opportunity, Opportunity)
    touched = {terms.close_date.strftime("%Y-%m")}
    touched |= {_month(line.service_start) for line in terms.lines} | {_month(line.service_end) for line in terms.lines}
    touched |= {invoice_period(i) for i in facts["invoices"]} | {r["accounting_period"] for r in facts["roll_forward"]}
    first, last = min(touched), max(touched)
    series = Series()
    deal_series(series, list(periods_between(first, last)), terms, facts)
    values = {name: {p: v for p, v in row.items() if v} for name, row in series.values.items()}
    return DealFigures(deal=deal, read_at=now, currency=terms.currency, first=first, last=last,
                       values={name: row for name, row in values.items() if row},
                       deferred_after=series.values.get("deferred_revenue", {}).get(last, 0))


class MetricsBook:
    """Every activated deal's figures, and this process's sums of them per currency, metric and period."""

    def __init__(self, redis: Any, keyspace: KeySpace, *, inline_limit: int = 100) -> None:
        self.figures = VersionedHash(redis, keyspace, "q2c:metrics:deals")
        self.inline_limit = inline_limit
        self._mirror = HashMirror(self.figures, _decoder.decode)
        self._seen: dict[str, DealFigures] = {}
        self._sums: dict[str, dict[str, dict[str, int]]] = {}
        """Currency -> metric -> period -> amount."""
        self._carried: dict[str, dict[str, int]] = {}
        """Currency -> last period of a deal -> deferred balance carried into every later period."""
        self._deals_in: dict[str, int] = {}
        """Currency -> deals counted in it."""
        self._lock = asyncio.Lock()

    async def refresh(self, systems: Any, links: Any, deals: list[str]) -> int:
        """Read ``deals`` again from the systems and store their figures; how many were stored."""
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(deal: str) -> None:
            async with gate:
                await self.figures.put(deal, _encoder.encode(await read_figures(systems, links, deal)))

        await asyncio.gather(*(one(deal) for deal in deals))
        return len(deals)

    async def stale(self, links: Any, activity: dict[str, datetime], *,
                    max_age: timedelta | None = None, quiet: timedelta | None = None) -> list[str]:
        """Activated deals whose figures are missing or out of date, oldest figures first.

        Out of date: read before (or about when) the deal's latest workflow change, or, with ``max_age``, read
        longer ago than that (a change made in a vendor's own UI moves no workflow). With ``quiet``, deals that
        changed less than that long ago are left out: they are still moving, and would be read again soon.
        """
        held = await self._mirror.rows()
        now = datetime.now(UTC)
        oldest_allowed = now - max_age if max_age is not None else None
        moving_since = now - quiet if quiet is not None else None
        found = [deal for deal in await links.deals() if (
            (f := held.get(deal)) is None
            or (deal in activity and activity[deal] >= f.read_at - _CLOCK_SKEW)
            or (oldest_allowed is not None and f.read_at < oldest_allowed))
            and not (moving_since is not None and deal in activity and activity[deal] > moving_since)]
        never = datetime.min.replace(tzinfo=UTC)
        return sorted(found, key=lambda d: held[d].read_at if d in held else never)

    async def report(self, systems: Any, links: Any, activity: dict[str, datetime], start: str,
                     end: str) -> MetricsV1:
        """The metrics of ``start`` to ``end`` after reading again up to ``inline_limit`` stale deals.

        Raises:
            ValueError: the range is empty or longer than ``MAX_PERIODS``.
            StepFailed: a system could not be read.
        """
        periods = check_range(start, end)
        stale = await self.stale(links, activity)
        if stale and systems is not None:
            await self.refresh(systems, links, stale[:self.inline_limit])
        deals = await links.deals()
        async with self._lock:
            held = await self._sync(set(deals))
        counted = list(held.values())
        refreshed = min(len(stale), self.inline_limit) if systems is not None else 0
        return MetricsV1(
            from_period=start, to_period=end, deals=len(deals),
            currencies=[currency_metrics(code, self._values(code, periods), periods)
                        for code, count in sorted(self._deals_in.items()) if count],
            stale_deals=len(stale) - refreshed, figures_as_of=min((f.read_at for f in counted), default=None))

    async def _sync(self, activated: set[str]) -> dict[str, DealFigures]:
        """Bring the sums to the figures held for the ``activated`` deals.

        A deal that left the set (one whose subscription a renewal took over) no longer counts.
        """
        held = {deal: f for deal, f in (await self._mirror.rows()).items() if deal in activated}
        for deal, figures in held.items():
            old = self._seen.get(deal)
            if old is not figures:
                if old is not None:
                    self._apply(old, -1)
                self._apply(figures, 1)
                self._seen[deal] = figures
        for deal in self._seen.keys() - held.keys():
            self._apply(self._seen.pop(deal), -1)
        return held

    def _apply(self, figures: DealFigures, sign: int) -> None:
        if figures.currency is None:
            return
        self._deals_in[figures.currency] = self._deals_in.get(figures.currency, 0) + sign
        sums = self._sums.setdefault(figures.currency, {})
        for name, row in figures.values.items():
            target = sums.setdefault(name, {})
            for period, amount in row.items():
                target[period] = target.get(period, 0) + sign * amount
        if figures.deferred_after and figures.last:
            carried = self._carried.setdefault(figures.currency, {})
            carried[figures.last] = carried.get(figures.last, 0) + sign * figures.deferred_after

    def _values(self, code: str, periods: list[str]) -> dict[str, dict[str, int]]:
        sums = self._sums.get(code, {})
        values = {name: {p: sums.get(name, {}).get(p, 0) for p in periods} for name in FIELDS}
        carried = sorted(self._carried.get(code, {}).items())
        lasts = [last for last, _ in carried]
        running = [0]
        for _, amount in carried:
            running.append(running[-1] + amount)
        for p in periods:  # balances carried from deals whose last period is before p
            values["deferred_revenue"][p] += running[bisect_left(lasts, p)]
        return values


class MetricsSweep:
    """Reads stale deals again in the background, so requests seldom have to (one worker per interval)."""

    def __init__(self, book: MetricsBook, redis: Any, keyspace: KeySpace, *, interval_s: float = 15.0,
                 batch: int = 500, max_age: timedelta = timedelta(hours=1), quiet: timedelta | None = None) -> None:
        self.book, self.redis, self.interval_s, self.batch, self.max_age = book, redis, interval_s, batch, max_age
        self.quiet = quiet if quiet is not None else timedelta(seconds=interval_s / 2)
        """A deal that changed this recently is left to a later sweep (it is likely still moving)."""
        self.lock_key = keyspace.tagged("q2c:metrics:sweep")
        self._next = 0.0

    async def tick(self, systems: Any, links: Any, activity: Any) -> int | None:
        """Sweep if this worker's turn has come and no other worker swept this interval; deals read, or ``None``."""
        now = asyncio.get_running_loop().time()
        if systems is None or now < self._next:
            return None
        self._next = now + self.interval_s
        if not await self.redis.set(self.lock_key, "1", nx=True, px=int(self.interval_s * 1000)):
            return None
        stale = await self.book.stale(links, await activity(), max_age=self.max_age, quiet=self.quiet)
        return await self.book.refresh(systems, links, stale[:self.batch]) if stale else 0

    async def run(self, stop: asyncio.Event, systems: Any, links: Any, activity: Any) -> None:
        """Sweep every interval until ``stop`` is set (its own task: a slow vendor must not hold up timers)."""
        while not stop.is_set():
            try:
                await self.tick(systems, links, activity)
            except Exception:
                _log.exception("metrics sweep failed; retrying next interval")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(self.interval_s, 1.0))
