"""The panel cache on a real Redis: generations make invalidation safe against slow fills."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.events import new_event
from contracts.process import BusinessStatus
from services.experience.crm_panel.cache import PanelCache
from services.experience.crm_panel.schemas import DealPanelV1, Tone
from services.runtime.redis import KeySpace


def _panel(deal: str, status: BusinessStatus = BusinessStatus.COMPLETED) -> DealPanelV1:
    return DealPanelV1(opportunity_id=deal, finance_status=status, finance_status_label=status.value,
                       tone=Tone.INFO, as_of=datetime(2026, 1, 1, tzinfo=UTC))


def _event(kind: str, subject: str, workflow: str = "activation"):
    return new_event(type=f"revflow.process.workflow.{kind}.v1", source="/services/process/quote_to_cash",
                     subject=subject, data={"workflow_id": f"{workflow}:{subject}", "workflow": workflow,
                                            "subject": subject})


class TestPanelCache:
    async def test_a_stored_panel_is_served_until_its_deal_is_invalidated(self, redis, key_prefix):
        cache = PanelCache(redis, KeySpace(key_prefix), ttl_seconds=3600)
        _, stamp = await cache.get("006A")
        await cache.put("006A", _panel("006A"), stamp)
        hit, _ = await cache.get("006A")
        assert hit is not None and hit.panel == _panel("006A")
        await cache.invalidate("006B")
        assert (await cache.get("006A"))[0] is not None  # another deal's change leaves it alone
        await cache.invalidate("006A")
        assert (await cache.get("006A"))[0] is None

    async def test_a_fill_that_started_before_an_invalidation_is_never_served_after_it(self, redis, key_prefix):
        cache = PanelCache(redis, KeySpace(key_prefix), ttl_seconds=3600)
        _, stamp = await cache.get("006A")  # a request starts reading the process API...
        await cache.invalidate("006A")  # ...the status changes meanwhile and the event is handled...
        await cache.put("006A", _panel("006A", BusinessStatus.AWAITING_BILLING), stamp)  # ...then its stale write
        assert (await cache.get("006A"))[0] is None

    async def test_unknown_deals_are_cached_too(self, redis, key_prefix):
        cache = PanelCache(redis, KeySpace(key_prefix), ttl_seconds=3600)
        _, stamp = await cache.get("006Z")
        await cache.put("006Z", None, stamp)
        hit, _ = await cache.get("006Z")
        assert hit is not None and hit.panel is None

    async def test_workflow_events_invalidate_their_deal_and_a_period_close_every_deal(self, redis, key_prefix):
        cache = PanelCache(redis, KeySpace(key_prefix), ttl_seconds=3600)

        async def fill(*deals: str) -> None:
            for deal in deals:
                _, stamp = await cache.get(deal)
                await cache.put(deal, _panel(deal), stamp)

        async def cached(*deals: str) -> list[bool]:
            return [(await cache.get(deal))[0] is not None for deal in deals]

        await fill("006A", "006B")
        await cache.on_event(_event("needs_attention", "006A"))
        assert await cached("006A", "006B") == [False, True]
        await fill("006A")
        await cache.on_event(_event("completed", "006B:term-end", workflow="cancellation"))
        assert await cached("006A", "006B") == [True, False]
        await fill("006B")
        unrelated = new_event(type="revflow.crm.opportunity.closed_won.v1", source="/services/system/crm",
                              subject="006A", data={"subject": "006A"})
        await cache.on_event(unrelated)
        assert await cached("006A", "006B") == [True, True]
        await cache.on_event(_event("completed", "period:2025-01", workflow="period_close"))
        assert await cached("006A", "006B") == [False, False]
