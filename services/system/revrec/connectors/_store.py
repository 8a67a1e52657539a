"""What the built-in platform keeps in Redis, and the only place that knows its keys.

Per contract, under the Cluster hash tag ``{revrec:<contract id>}``: ``contract`` (the current version as
JSON) and ``versions`` (a list of every version ever written, oldest first). The book, under
``{revrec:book}``: ``contracts`` (a set of contract ids). The period book, under ``{revrec:periods}``:
``calendar`` (the book's period calendar, recorded when the book is first opened), ``closed_through`` (the
last closed period; every period up to it is locked), ``closures`` and ``postings`` (hashes keyed by period).
Periods are the built-in platform's keys (``2026-01``, or ``FY2026-P01`` in a fiscal book). A contract write
is a compare-and-set on its version, so two concurrent changes cannot both win; closing a period is a
compare-and-set on ``closed_through``.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from redis.asyncio import Redis
from redis.exceptions import WatchError

from contracts.revenue import PerformanceObligation, RevenueContractStatus
from services.runtime.redis import KeySpace
from services.system.revrec.errors import RevrecConflict
from services.system.revrec.schemas import (
    AllocationLineV1,
    BillingV1,
    BookCalendarV1,
    ConventionV1,
    ExchangeRateV1,
    MeasurementRecordV1,
    ModificationRecordV1,
    ObligationTermsV1,
    PeriodCloseV1,
    PostingV1,
    VariableConsiderationV1,
)

__all__ = ["ContractRecord", "Line", "ObligationRecord", "RevrecStore"]


class Line(msgspec.Struct, frozen=True, array_like=True):
    """One stored schedule line: period key, minor units, kind (``recognition``/``catch_up``/``adjustment``)."""

    period: str
    amount: int
    kind: str = "recognition"


class ObligationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An obligation as registered (``obligation.end_date`` follows modifications) and its schedule."""

    obligation: PerformanceObligation
    allocation: AllocationLineV1
    """The original allocation; the current amount is the sum of ``lines`` (or ``allocated``)."""
    lines: list[Line]
    allocated: int | None = None
    """Current allocation of a measured obligation (progress, milestone: re-estimates; usage: usage to date)."""


class ContractRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One version of a contract as the built-in platform keeps it."""

    id: str
    version: int = 1
    status: RevenueContractStatus = RevenueContractStatus.ACTIVE
    customer_id: str
    opportunity_id: str | None = None
    booked_on: date | None = None
    currency: str
    transaction_price: int
    convention: ConventionV1
    residual_ids: list[str] = []
    discount_ids: list[str] = []
    obligations: list[ObligationRecord]
    modifications: list[ModificationRecordV1] = []
    billings: list[BillingV1] = []
    related: list[str] = []
    obligation_terms: list[ObligationTermsV1] = []
    functional_currency: str | None = None
    exchange_rates: list[ExchangeRateV1] = []
    measurements: list[MeasurementRecordV1] = []
    variable_consideration: VariableConsiderationV1 | None = None
    variable_included: int | None = None
    """The constrained estimate of ``variable_consideration`` included in ``transaction_price`` at registration."""
    created_at: datetime
    updated_at: datetime


_decode_record = msgspec.json.Decoder(ContractRecord).decode


class RevrecStore:
    """Reads and writes the built-in platform's state."""

    def __init__(self, redis: Redis, keyspace: KeySpace) -> None:
        self.redis = redis
        self.keys = keyspace

    def _contract(self, cid: str) -> str:
        return self.keys.tagged(f"revrec:{cid}", "contract")

    def _versions(self, cid: str) -> str:
        return self.keys.tagged(f"revrec:{cid}", "versions")

    def _periods(self, name: str) -> str:
        return self.keys.tagged("revrec:periods", name)

    @property
    def _book(self) -> str:
        return self.keys.tagged("revrec:book", "contracts")

    async def load(self, cid: str) -> ContractRecord | None:
        raw = await self.redis.get(self._contract(cid))
        return None if raw is None else _decode_record(raw)

    async def create(self, record: ContractRecord) -> None:
        """Store a new contract and add it to the book."""
        body = msgspec.json.encode(record)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._contract(record.id), body, nx=True)
            pipe.rpush(self._versions(record.id), body)
            created, _ = await pipe.execute()
        if not created:
            raise RevrecConflict(f"Contract {record.id!r} already exists")
        await self.redis.sadd(self._book, record.id)

    async def replace(self, record: ContractRecord) -> None:
        """Write ``record`` as the next version; refused when someone else wrote in between."""
        key = self._contract(record.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                raw = await pipe.get(key)
                if raw is None or _decode_record(raw).version != record.version - 1:
                    raise RevrecConflict(f"Contract {record.id!r} changed meanwhile; read it again and retry")
                body = msgspec.json.encode(record)
                pipe.multi()
                pipe.set(key, body)
                pipe.rpush(self._versions(record.id), body)
                await pipe.execute()
            except WatchError:
                raise RevrecConflict(f"Contract {record.id!r} changed meanwhile; read it again and retry") from None

    async def versions(self, cid: str) -> list[ContractRecord]:
        return [_decode_record(raw) for raw in await self.redis.lrange(self._versions(cid), 0, -1)]

    async def book(self) -> list[ContractRecord]:
        """Every contract of the book (latest versions), in id order."""
        ids = sorted(m.decode() for m in await self.redis.smembers(self._book))
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.get(self._contract(cid))
            raws = await pipe.execute()
        return [_decode_record(raw) for raw in raws if raw is not None]

    async def record_calendar(self, calendar: BookCalendarV1) -> BookCalendarV1:
        """Record the book's calendar on first use; returns the calendar the book was recorded with.

        A book that already holds contracts but has no recorded calendar predates fiscal calendars: it was
        kept in calendar months.
        """
        key = self._periods("calendar")
        raw = await self.redis.get(key)
        if raw is None:
            recorded = BookCalendarV1() if await self.redis.scard(self._book) else calendar
            await self.redis.set(key, msgspec.json.encode(recorded), nx=True)
            raw = await self.redis.get(key)
        return msgspec.json.decode(raw, type=BookCalendarV1)

    async def closed_through(self) -> str | None:
        raw = await self.redis.get(self._periods("closed_through"))
        return None if raw is None else raw.decode()

    async def posting(self, period: str) -> PostingV1 | None:
        raw = await self.redis.hget(self._periods("postings"), period)
        return None if raw is None else msgspec.json.decode(raw, type=PostingV1)

    async def save_posting(self, period: str, posting: PostingV1) -> None:
        await self.redis.hset(self._periods("postings"), period, msgspec.json.encode(posting))

    async def closure(self, period: str) -> PeriodCloseV1 | None:
        raw = await self.redis.hget(self._periods("closures"), period)
        return None if raw is None else msgspec.json.decode(raw, type=PeriodCloseV1)

    async def close(self, period: str, closure: PeriodCloseV1, posting: PostingV1, expected: str | None) -> None:
        """Lock every period through ``period``, if nobody closed one meanwhile."""
        key = self._periods("closed_through")
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                current = await pipe.get(key)
                if (current.decode() if current else None) != expected:
                    raise RevrecConflict("Another period was closed meanwhile; read the period book and retry")
                pipe.multi()
                pipe.set(key, period)
                pipe.hset(self._periods("closures"), period, msgspec.json.encode(closure))
                pipe.hset(self._periods("postings"), period, msgspec.json.encode(posting))
                await pipe.execute()
            except WatchError:
                raise RevrecConflict("Another period was closed meanwhile; retry") from None
