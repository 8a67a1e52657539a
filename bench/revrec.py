"""Benchmark the revenue engine on a synthetic book (prints figures; asserts nothing about timing).

Book: 100,000 contracts x 3 obligations (300,000), 36-month terms, mixed conventions (calendar months
with exact days / even periods / prorate first-last / 30/360, and a 4-4-5 fiscal calendar).

1. Full schedule generation: every obligation's schedule, as integer arrays.
2. Period-end run for one period: each obligation's amount for the period from its (precomputed)
   schedule, aggregated into journal totals per currency and account.

The targets are absolute (> 1 M lines/s, a period-end run under 5 s for the whole book): no baseline.

Run: ``uv run python bench/revrec.py [--contracts 100000] [--quick]`` (``--quick``: 5,000 contracts), or
``uv run revflow bench revrec``, which records the figures in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import date, timedelta

from revflow.benchmarks import BenchResult, Figure
from services.system.revrec.engine import (
    AllocationLine,
    Convention,
    DayCount,
    Fiscal445,
    Method,
    RemainderPolicy,
    allocate,
    ratable_amounts,
)

CONTRACTS = 100_000
QUICK_CONTRACTS = 5_000
CONVENTIONS = [
    Convention(),
    Convention(method=Method.EVEN_PERIODS),
    Convention(method=Method.PRORATE_FIRST_LAST, remainder=RemainderPolicy.NEXT_TO_LAST),
    Convention(day_count=DayCount.THIRTY_360),
    Convention(calendar=Fiscal445(year_start=date(2023, 1, 1), first_year=2023)),
]


def build_book(seed: int = 7, contracts: int = CONTRACTS) -> list[tuple[str, int, date, date, Convention]]:
    rng = random.Random(seed)
    book = []
    for c in range(contracts):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        end = date(start.year + 3, start.month, 1) + timedelta(days=start.day - 2)
        lines = [AllocationLine(obligation_id=f"{c}-{i}", ssp=rng.randrange(1_000, 500_000)) for i in range(3)]
        price = int(sum(x.ssp for x in lines) * rng.uniform(0.7, 1.0))
        alloc = allocate(transaction_price=price, currency="USD", lines=lines)
        conv = CONVENTIONS[c % len(CONVENTIONS)]
        book.extend((x.obligation_id, x.amount, start, end, conv) for x in alloc.lines)
    return book


def generate(book):
    return [(oid, *ratable_amounts(amount, start, end, conv)) for oid, amount, start, end, conv in book]


def period_end(schedules, key: str) -> dict[tuple[str, str], int]:
    revenue = 0
    for _oid, periods, amounts in schedules:
        for p, a in zip(periods, amounts, strict=True):
            if p.key == key:
                revenue += a
                break
    return {("USD", "deferred_revenue"): revenue, ("USD", "revenue"): -revenue}


def measure(contracts: int) -> BenchResult:
    t0 = time.perf_counter()
    book = build_book(contracts=contracts)
    print(f"book: {contracts:,} contracts, {len(book):,} obligations (allocation {time.perf_counter() - t0:.2f}s)")
    t0 = time.perf_counter()
    schedules = generate(book)
    gen = time.perf_counter() - t0
    lines = sum(len(a) for _, _, a in schedules)
    print(f"full schedules: {lines:,} lines in {gen:.2f}s = {lines / gen:,.0f} lines/s")
    t0 = time.perf_counter()
    totals = period_end(schedules, "2025-06")
    run_s = time.perf_counter() - t0
    print(f"period-end run (2025-06, precomputed schedules, journal aggregation): {run_s:.2f}s, totals {totals}")
    t0 = time.perf_counter()
    cold = period_end(generate(book), "2025-06")
    took = time.perf_counter() - t0
    print(f"period-end run from scratch (schedules + aggregation): {took:.2f}s, equal={cold == totals}")
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
            Figure(name="period-end run on precomputed schedules, with journal aggregation", value=run_s, unit="s",
                   target=f"< 5 s{whole}: {'met' if run_s < 5 else '**not met**'}"),
            Figure(name="period-end run from scratch (all schedules + aggregation)", value=took, unit="s"),
            Figure(name="peak RSS", value=peak_kib / 1024, unit="MiB"),
        ],
        notes=[f"Book: {contracts:,} contracts, {len(book):,} obligations, 36-month terms, five conventions; "
               "one core, pure Python."])


def run(quick: bool) -> BenchResult:
    return measure(QUICK_CONTRACTS if quick else CONTRACTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=CONTRACTS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CONTRACTS:,} contracts")
    ns = parser.parse_args()
    measure(QUICK_CONTRACTS if ns.quick else ns.contracts)


if __name__ == "__main__":
    main()
