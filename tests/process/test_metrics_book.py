"""The metrics book's sums, on a real Redis: they follow the figures held for the activated deals only.

Figures are written the way ``MetricsBook.refresh`` writes them; expectations are sums worked out here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from services.process.quote_to_cash.engine import DealLinks
from services.process.quote_to_cash.metrics_book import DealFigures, MetricsBook
from services.runtime.redis import KeySpace

NOW = datetime.now(UTC)


def _figures(deal: str, monthly: int, first: str, last: str, deferred_after: int = 0) -> DealFigures:
    return DealFigures(deal=deal, read_at=NOW, currency="USD", first=first, last=last,
                       values={"billings": {first: monthly}, "deferred_revenue": {last: deferred_after}},
                       deferred_after=deferred_after)


async def _put(book: MetricsBook, figures: DealFigures) -> None:
    await book.figures.put(figures.deal, msgspec.json.encode(figures))


async def test_only_activated_deals_count_and_carried_balances_roll_forward(redis, key_prefix):
    keyspace = KeySpace(key_prefix)
    links, book = DealLinks(redis, keyspace), MetricsBook(redis, keyspace)
    await links.record("D1", subscription_id="sub_1")
    await links.record("D2", subscription_id="sub_2")
    await _put(book, _figures("D1", 1_000, "2025-01", "2025-03", deferred_after=300))
    await _put(book, _figures("D2", 20_000, "2025-01", "2025-06"))

    first = await book.report(None, links, {}, "2025-01", "2025-05")
    [usd] = first.currencies
    assert usd.periods[0].billings == 21_000
    # D1's 300 of deferred revenue stays after its last period (March); nothing before it.
    assert [p.deferred_revenue for p in usd.periods] == [0, 0, 300, 300, 300]

    # A renewal takes D1's subscription over: D1 leaves the activated set and stops counting.
    await links.record("D3", subscription_id="sub_1")
    second = await book.report(None, links, {}, "2025-01", "2025-05")
    [usd] = second.currencies
    assert (second.deals, second.stale_deals) == (2, 1)  # D2, and D3 whose figures were never read
    assert usd.periods[0].billings == 20_000
    assert [p.deferred_revenue for p in usd.periods] == [0, 0, 0, 0, 0]
