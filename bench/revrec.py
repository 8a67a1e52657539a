"""Benchmark the revenue engine on a synthetic book (prints figures; asserts nothing about timing).

Book: 100,000 contracts x 3 obligations (300,000), 36-month terms, mixed conventions (calendar months with
exact days / even periods / prorate first-last / 30/360, and a 4-4-5 fiscal calendar), each contract invoiced
yearly in advance and paid 30 days later.

1. Full schedule generation: every obligation's schedule, as integer arrays.
2. Period-end run for one period (June 2025, or the fiscal period holding 15 June 2025 in the 4-4-5 book):
   each contract's balances for the period from its precomputed schedules and billings
   (``engine.period_balance``), its balanced journal entries (``engine.journal_entries``), and their
   aggregation per period, currency and account (``engine.aggregate``): the engine's own period-end path.
3. The same period-end run from scratch: every schedule generated first.

The targets are absolute (> 1 M lines/s, a period-end run under 5 s for the whole book): no baseline.

Run: ``uv run python bench/revrec.py [--contracts 100000] [--quick]`` (``--quick``: 5,000 contracts), or
``uv run revflow bench revrec``, which records the figures in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from revflow.benchmarks import BenchResult, Figure
from services.system.revrec.engine import (
    AllocationLine,
    BillingEvent,
    BillingKind,
    Convention,
    DayCount,
    Fiscal445,
    JournalEntry,
    Method,
    RemainderPolicy,
    Schedule,
    aggregate,
    allocate,
    journal_entries,
    period_balance,
    ratable_amounts,
)

CONTRACTS = 100_000
QUICK_CONTRACTS = 5_000
CURRENCY = "USD"
PERIOD_DAY = date(2025, 6, 15)
"""The period-end run is for the period holding this day, in each contract's calendar."""
CONVENTIONS = [
    Convention(),
    Convention(method=Method.EVEN_PERIODS),
    Convention(method=Method.PRORATE_FIRST_LAST, remainder=RemainderPolicy.NEXT_TO_LAST),
    Convention(day_count=DayCount.THIRTY_360),
    Convention(calendar=Fiscal445(year_start=date(2023, 1, 1), first_year=2023)),
]


@dataclass(frozen=True, slots=True)
class Deal:
    """One contract of the book: its obligations' allocations and dates, convention and billing events."""

    id: str
    obligations: tuple[tuple[str, int], ...]
    start: date
    end: date
    convention: Convention
    events: tuple[BillingEvent, ...]


def _billings(cid: str, price: int, start: date) -> tuple[BillingEvent, ...]:
    """Yearly invoices in advance (a third of the price each, the remainder on the first), paid 30 days later."""
    third, rest = divmod(price, 3)
    out = []
    for year in range(3):
        on = date(start.year + year, start.month, min(start.day, 28))
        amount = third + (rest if year == 0 else 0)
        out.append(BillingEvent(id=f"{cid}-in{year}", kind=BillingKind.INVOICE, on=on, amount=amount,
                                currency=CURRENCY))
        out.append(BillingEvent(id=f"{cid}-py{year}", kind=BillingKind.PAYMENT, on=on + timedelta(days=30),
                                amount=amount, currency=CURRENCY))
    return tuple(out)


def build_book(seed: int = 7, contracts: int = CONTRACTS) -> list[Deal]:
    """A reproducible book: random starts in 2024, three obligations per contract allocated by relative SSP."""
    rng = random.Random(seed)
    book = []
    for c in range(contracts):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        end = date(start.year + 3, start.month, 1) + timedelta(days=start.day - 2)
        lines = [AllocationLine(obligation_id=f"{c}-{i}", ssp=rng.randrange(1_000, 500_000)) for i in range(3)]
        price = int(sum(x.ssp for x in lines) * rng.uniform(0.7, 1.0))
        alloc = allocate(transaction_price=price, currency=CURRENCY, lines=lines)
        cid = f"c{c}"
        book.append(Deal(id=cid, obligations=tuple((x.obligation_id, x.amount) for x in alloc.lines), start=start,
                         end=end, convention=CONVENTIONS[c % len(CONVENTIONS)], events=_billings(cid, price, start)))
    return book


def generate(book: list[Deal]) -> list[tuple[Schedule, ...]]:
    """Every obligation's schedule, contract by contract."""
    out = []
    for deal in book:
        schedules = []
        for oid, amount in deal.obligations:
            periods, amounts = ratable_amounts(amount, deal.start, deal.end, deal.convention)
            schedules.append(Schedule(obligation_id=oid, currency=CURRENCY, total=amount, periods=periods,
                                      amounts=tuple(amounts)))
        out.append(tuple(schedules))
    return out


def period_end(book: list[Deal], schedules: list[tuple[Schedule, ...]]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """The period-end run: each contract's period balance and journal entries, aggregated by account."""
    keys: dict[int, str] = {}
    entries: list[JournalEntry] = []
    for deal, contract in zip(book, schedules, strict=True):
        calendar = deal.convention.calendar
        key = keys.get(id(calendar))
        if key is None:
            key = keys[id(calendar)] = calendar.period_of(PERIOD_DAY).key
        row = period_balance(currency=CURRENCY, schedules=contract, events=deal.events, calendar=calendar,
                             period=key)
        entries.extend(journal_entries([row], CURRENCY))
    return aggregate(entries)


def _timed(label: str, run: Callable[[], object]) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = run()
    took = time.perf_counter() - t0
    print(f"{label}: {took:.2f}s")
    return out, took


def measure(contracts: int) -> BenchResult:
    """Build the book, then time schedule generation and the period-end run (precomputed and from scratch)."""
    t0 = time.perf_counter()
    book = build_book(contracts=contracts)
    obligations = sum(len(d.obligations) for d in book)
    print(f"book: {contracts:,} contracts, {obligations:,} obligations (allocation {time.perf_counter() - t0:.2f}s)")
    t0 = time.perf_counter()
    schedules = generate(book)
    gen = time.perf_counter() - t0
    lines = sum(len(s.amounts) for contract in schedules for s in contract)
    print(f"full schedules: {lines:,} lines in {gen:.2f}s = {lines / gen:,.0f} lines/s")
    totals, run_s = _timed("period-end run (precomputed schedules, balances, journal entries, aggregation)",
                           lambda: period_end(book, schedules))
    for (period, currency, account), (debit, credit) in sorted(totals.items()):
        print(f"  {period} {currency} {account:<20} Dr {debit:>16,} Cr {credit:>16,}")
    debits = sum(d for d, _ in totals.values())
    credits = sum(c for _, c in totals.values())
    if debits != credits:
        raise AssertionError(f"the period's entries do not balance: Dr {debits} Cr {credits}")
    cold, took = _timed("period-end run from scratch (all schedules, then the run)",
                        lambda: period_end(book, generate(book)))
    if cold != totals:
        raise AssertionError("the period-end run from scratch disagrees with the one on precomputed schedules")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {peak_kib / 1024:,.0f} MiB")
    whole = "" if contracts == CONTRACTS else f" (the target is for {CONTRACTS:,} contracts)"
    return BenchResult(
        title="Revenue engine", settings=f"--contracts {contracts}", baseline="",
        figures=[
            Figure(name=f"full schedule generation ({lines:,} lines in {gen:.2f} s)", value=lines / gen / 1e6,
                   unit="M lines/s", target=f"> 1 M lines/s: {'met' if lines / gen > 1e6 else '**not met**'}"),
            Figure(name="period-end run on precomputed schedules: balances, journal entries, aggregation",
                   value=run_s, unit="s", target=f"< 5 s{whole}: {'met' if run_s < 5 else '**not met**'}"),
            Figure(name="period-end run from scratch (all schedules, then the run)", value=took, unit="s"),
            Figure(name="peak RSS", value=peak_kib / 1024, unit="MiB"),
        ],
        notes=[f"Book: {contracts:,} contracts, {obligations:,} obligations, 36-month terms, five conventions, "
               f"yearly invoices paid after 30 days; the period holding {PERIOD_DAY} in each contract's calendar; "
               "one core, pure Python."])


def run(quick: bool) -> BenchResult:
    """Entry point of ``revflow bench revrec``."""
    return measure(QUICK_CONTRACTS if quick else CONTRACTS)


def main() -> None:
    """Command line: ``--contracts N`` or ``--quick``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=CONTRACTS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CONTRACTS:,} contracts")
    ns = parser.parse_args()
    measure(QUICK_CONTRACTS if ns.quick else ns.contracts)


if __name__ == "__main__":
    main()
