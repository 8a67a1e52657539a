"""The built-in rev-rec platform: revflow's own ASC 606 engine, with its book kept in Redis.

It is reached exactly like a vendor (``ports.RevrecConnector``), so the API can be pointed at NetSuite ARM
or Stripe Revenue Recognition instead, and the engine can verify their schedules. Contracts, their versions,
schedules, billings, postings and closed periods live in Redis (``_store``); allocation, schedules,
modifications, balances and journals come from the engine (``_convert``, ``_modify``, ``_book``).

The book closes its periods on one calendar (``_calendar``), given by the deployment and recorded with the
book the first time it is opened; every contract registered must state it, and a client may name a period as
``YYYY-MM`` or, in a fiscal book, by its ``FY<year>-P<nn>`` label.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec
from redis.asyncio import Redis

from contracts.money import Money
from services.runtime.redis import KeySpace
from services.system.revrec.connectors._book import (
    chart_of_accounts,
    deferred_at,
    erp_share,
    from_engine,
    lock,
    period_entries,
    recognized_in,
)
from services.system.revrec.connectors._calendar import (
    Calendar,
    calendar_of,
    convention_calendar,
    describe,
    require_book,
    resolve_convention,
)
from services.system.revrec.connectors._convert import (
    MEASURED,
    allocate_terms,
    check_date,
    obligation_schedule,
    schedule_obligation,
)
from services.system.revrec.connectors._measure import apply_measurement
from services.system.revrec.connectors._modify import apply_modification
from services.system.revrec.connectors._rates import merge_rates
from services.system.revrec.connectors._store import ContractRecord, Line, ObligationRecord, RevrecStore
from services.system.revrec.connectors._verify import verify
from services.system.revrec.connectors._views import (
    balances_view,
    contract_view,
    roll_forward_view,
    waterfall_view,
)
from services.system.revrec.errors import ContractNotFound, RevrecConflict, field_error
from services.system.revrec.schemas import (
    AllocationV1,
    BalancesV1,
    BillingLinkV1,
    BillingV1,
    BookCalendarV1,
    CalendarViewV1,
    ContractTermsV1,
    ContractViewV1,
    ExchangeRatesV1,
    JournalPageV1,
    MeasurementV1,
    ModificationV1,
    PeriodCloseV1,
    PostingV1,
    RegisterContractV1,
    RollForwardV1,
    SchedulePreviewV1,
    VerificationRequestV1,
    VerificationV1,
    WaterfallV1,
)

__all__ = ["BuiltinRevrecConnector"]


def _totals(amounts: dict[str, int]) -> list[Money]:
    return [Money(amount_minor=v, currency=k) for k, v in sorted(amounts.items())]


_SOURCES = {"period": "path", "fiscal_period": "path"}
"""Where each period-naming request field lives (the others are query parameters)."""


def _scheduled(terms: ContractTermsV1, allocation: AllocationV1) -> list[list[Line]]:
    """Schedules known at registration; measured obligations start empty and grow with their measurements."""
    return [[] if o.pattern in MEASURED else
            from_engine(schedule_obligation(o, i, line.amount.amount_minor, terms.currency, terms.convention))
            for i, (o, line) in enumerate(zip(terms.obligations, allocation.lines, strict=True))]


class BuiltinRevrecConnector:
    """``RevrecConnector`` over the engine and Redis."""

    def __init__(self, redis: Redis, keyspace: KeySpace, calendar: BookCalendarV1 | None = None, *,
                 gl_accounts: Mapping[str, str] | None = None) -> None:
        self.store = RevrecStore(redis, keyspace)
        self.calendar: Calendar = calendar_of(calendar or BookCalendarV1())
        self.accounts = chart_of_accounts(gl_accounts or {})
        """The GL account of each role the book posts to (closed periods keep the numbers they were posted with)."""

    async def prepare(self) -> None:
        """Record the book's calendar, or refuse to serve a book kept on another calendar.

        Raises:
            ValueError: The book was opened with another calendar (its periods cannot be re-cut).
        """
        recorded = await self.store.record_calendar(self.calendar.spec)
        if recorded != self.calendar.spec:
            raise ValueError(f"calendar: this book closes its periods on {describe(recorded)}, not on "
                             f"{describe(self.calendar.spec)}; a book's periods cannot be re-cut")

    def _key(self, text: str, field: str) -> str:
        return self.calendar.key(text, field, _SOURCES.get(field, "query"))

    async def _first_open(self) -> tuple[str | None, str | None]:
        closed = await self.store.closed_through()
        return closed, self.calendar.next_key(closed) if closed else None

    async def _load(self, contract_id: str) -> ContractRecord:
        record = await self.store.load(contract_id)
        if record is None:
            raise ContractNotFound(f"No revenue contract {contract_id!r}")
        return record

    async def register(self, request: RegisterContractV1, related: list[str] | None = None) -> ContractViewV1:
        cid = f"rc_{uuid.uuid4().hex[:20]}"
        if request.booked_on is not None:
            check_date(request.booked_on, "booked_on")
        request = msgspec.structs.replace(request, convention=resolve_convention(request.convention, self.calendar))
        require_book(request.convention, self.calendar)
        allocation = allocate_terms(request, cid)
        closed, first_open = await self._first_open()
        obligations = []
        for o, line, revised in zip(request.obligations, allocation.lines, _scheduled(request, allocation),
                                    strict=True):
            lines, _ = lock([], revised, o.id, request.currency, first_open, self.calendar)
            allocated = line.amount.amount_minor if o.pattern in MEASURED else None
            obligations.append(ObligationRecord(obligation=o, allocation=line, lines=lines, allocated=allocated))
        now = datetime.now(UTC)
        record = ContractRecord(id=cid, customer_id=request.customer_id, opportunity_id=request.opportunity_id,
                                booked_on=request.booked_on, currency=request.currency,
                                transaction_price=allocation.transaction_price.amount_minor,
                                convention=request.convention, residual_ids=request.residual_obligation_ids,
                                discount_ids=request.discount_obligation_ids, obligations=obligations,
                                related=related or [], obligation_terms=request.obligation_terms,
                                functional_currency=request.functional_currency,
                                exchange_rates=request.exchange_rates, created_at=now, updated_at=now,
                                variable_consideration=request.variable_consideration,
                                variable_included=allocation.variable_consideration.amount_minor
                                if allocation.variable_consideration else None)
        await self.store.create(record)
        return contract_view(record, closed)

    async def get(self, contract_id: str) -> ContractViewV1:
        record = await self._load(contract_id)
        return contract_view(record, await self.store.closed_through())

    async def modify(self, contract_id: str, request: ModificationV1) -> tuple[ContractViewV1, ContractViewV1 | None]:
        record = await self._load(contract_id)
        closed, first_open = await self._first_open()
        updated, separate_terms = apply_modification(record, request, first_open)
        separate = None
        if separate_terms is not None:
            separate = await self.register(separate_terms, related=[record.id])
            sid = separate.contract.id
            assert sid is not None
            entry = msgspec.structs.replace(updated.modifications[-1], separate_contract_id=sid)
            updated = msgspec.structs.replace(updated, modifications=[*updated.modifications[:-1], entry],
                                              related=[*updated.related, sid])
        await self.store.replace(updated)
        return contract_view(updated, closed), separate

    async def link_billing(self, contract_id: str, request: BillingLinkV1) -> ContractViewV1:
        record = await self._load(contract_id)
        if request.amount.currency != record.currency:
            raise field_error("amount.currency", f"must be the contract currency {record.currency}")
        if request.amount.amount_minor <= 0:
            raise field_error("amount", "must be greater than zero; the kind says which way it moves")
        check_date(request.document_date, "document_date")
        if record.exchange_rates and request.document_date < record.exchange_rates[0].on:
            raise field_error("document_date", f"is before the contract's first exchange rate "
                              f"({record.exchange_rates[0].on})", rule=True)
        closed, first_open = await self._first_open()
        own = self.calendar.period_of(request.document_date).key
        posts = max(own, first_open) if first_open else own
        billing = BillingV1(id=request.id, kind=request.kind, document_date=request.document_date,
                            amount=request.amount, accounting_period=self.calendar.wire(posts),
                            fiscal_period=self.calendar.label(posts))
        same = [b for b in record.billings if b.id == request.id]
        if same:
            if (same[0].kind, same[0].document_date, same[0].amount) != (billing.kind, billing.document_date,
                                                                          billing.amount):
                raise RevrecConflict(f"Billing document {request.id!r} is already linked with other terms")
            return contract_view(record, closed)
        updated = msgspec.structs.replace(record, version=record.version + 1, billings=[*record.billings, billing],
                                          updated_at=datetime.now(UTC))
        await self.store.replace(updated)
        return contract_view(updated, closed)

    async def measure(self, contract_id: str, obligation_id: str, request: MeasurementV1) -> ContractViewV1:
        record = await self._load(contract_id)
        closed, first_open = await self._first_open()
        updated = apply_measurement(record, obligation_id, request, first_open)
        await self.store.replace(updated)
        return contract_view(updated, closed)

    async def add_exchange_rates(self, contract_id: str, request: ExchangeRatesV1) -> ContractViewV1:
        record = await self._load(contract_id)
        closed = await self.store.closed_through()
        last_closed = (self.calendar.last_day(closed), self.calendar.label(closed) or closed) if closed else None
        rates = merge_rates(record, request, last_closed)
        if rates is None:
            return contract_view(record, closed)
        updated = msgspec.structs.replace(record, version=record.version + 1, exchange_rates=rates,
                                          updated_at=datetime.now(UTC))
        await self.store.replace(updated)
        return contract_view(updated, closed)

    async def _posting(self, period: str, closed: bool) -> PostingV1:
        records = await self.store.book()
        entries = period_entries(records, period, self.calendar, accounts=self.accounts)
        recognized = recognized_in(records, period)
        digest = hashlib.sha256(msgspec.json.encode([entries, sorted(recognized.items())])).hexdigest()
        stored = await self.store.posting(period)
        if stored is not None and stored.id.endswith(digest[:16]):
            return msgspec.structs.replace(stored, closed=closed)
        contributing = sum(1 for r in records if recognized_in([r], period).get(r.currency))
        return PostingV1(id=f"post-{period}-{digest[:16]}", accounting_period=self.calendar.wire(period),
                         fiscal_period=self.calendar.label(period), posted_at=datetime.now(UTC),
                         recognized=_totals(recognized), contracts=contributing, journal_entries=entries,
                         closed=closed)

    async def run_period(self, period: str, field: str = "period") -> PostingV1:
        key = self._key(period, field)
        closed_through = await self.store.closed_through()
        is_closed = closed_through is not None and key <= closed_through
        stored = await self.store.posting(key)
        if is_closed and stored is not None:
            return msgspec.structs.replace(stored, closed=True)
        posting = await self._posting(key, is_closed)
        if stored is None or stored.id != posting.id:
            await self.store.save_posting(key, posting)
        return posting

    async def close_period(self, period: str, field: str = "period") -> PeriodCloseV1:
        key, cal = self._key(period, field), self.calendar
        closed_through = await self.store.closed_through()
        if closed_through is not None and key <= closed_through:
            raise RevrecConflict(f"Periods are closed through {cal.label(closed_through) or closed_through}; "
                                 f"{cal.label(key) or key} is already closed")
        posting = await self._posting(key, True)
        records = await self.store.book()
        first_open = cal.next_key(key)
        closure = PeriodCloseV1(accounting_period=cal.wire(key), fiscal_period=cal.label(key),
                                closed_at=datetime.now(UTC), recognized=posting.recognized,
                                deferred_balance=_totals(deferred_at(records, key)),
                                journal_entry_ids=[e.id for e in posting.journal_entries if e.id],
                                first_open_period=cal.wire(first_open), first_open_fiscal_period=cal.label(first_open))
        await self.store.close(key, closure, posting, closed_through)
        return closure

    async def journal_entries(self, period: str, functional: bool = False, field: str = "period",
                              erp: bool = False) -> JournalPageV1:
        key = self._key(period, field)
        closed_through = await self.store.closed_through()
        closed = closed_through is not None and key <= closed_through
        stored = await self.store.posting(key) if closed and not functional else None
        entries = stored.journal_entries if stored else \
            period_entries(await self.store.book(), key, self.calendar, functional, self.accounts)
        if erp:
            entries = erp_share(entries, self.accounts)
        return JournalPageV1(accounting_period=self.calendar.wire(key), fiscal_period=self.calendar.label(key),
                             closed=closed, entries=entries)

    async def waterfall(self, contract_id: str, after: str | None, field: str = "after_period") -> WaterfallV1:
        key = self._key(after, field) if after is not None else None
        return waterfall_view(await self._load(contract_id), key)

    async def roll_forward(self, contract_id: str) -> RollForwardV1:
        return roll_forward_view(await self._load(contract_id))

    async def balances(self, contract_id: str, as_of: str, field: str = "as_of") -> BalancesV1:
        key = self._key(as_of, field)
        return balances_view(await self._load(contract_id), key)

    async def calendar_view(self, year: int | None) -> CalendarViewV1:
        if year is None:
            return CalendarViewV1(calendar=self.calendar.spec.calendar, fiscal_year=self.calendar.spec.fiscal_year)
        return self.calendar.year(year)

    def _resolved(self, terms: ContractTermsV1) -> ContractTermsV1:
        return msgspec.structs.replace(terms, convention=resolve_convention(terms.convention, self.calendar))

    def preview_allocation(self, terms: ContractTermsV1) -> AllocationV1:
        return allocate_terms(self._resolved(terms))

    def preview_schedule(self, terms: ContractTermsV1) -> SchedulePreviewV1:
        terms = self._resolved(terms)
        cal = convention_calendar(terms.convention)
        allocation = allocate_terms(terms)
        schedules = [obligation_schedule(o.id, [(x.period, x.amount, x.kind) for x in lines], terms.currency, None,
                                         cal)
                     for o, lines in zip(terms.obligations, _scheduled(terms, allocation), strict=True)]
        return SchedulePreviewV1(allocation=allocation, schedules=schedules)

    def verify(self, request: VerificationRequestV1) -> VerificationV1:
        return verify(request, self.calendar)
