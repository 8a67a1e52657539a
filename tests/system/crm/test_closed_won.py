"""Push + pull: every closed-won deal is announced exactly once, even when push notifications are lost.

The CRM API's push URL is registered at the sandbox, whose sender posts Outbound Messages (Salesforce) or
signed webhooks (HubSpot) as the vendor does. Half the deals are pushed; the notifications of the other half
are lost (Salesforce: the listener is unreachable, so each delivery is retried and given up; HubSpot: the
sandbox's delivery faults drop every delivery). A pull (``POST /v1/sync/closed-won``) finds every deal push
missed; a second pull, which re-reads the watermark's overlap, and every notification delivered again once
the listener is back publish nothing more. Events are counted on the Redis stream with the runtime's
Consumer.
"""

from __future__ import annotations

import asyncio

from contracts.events import decode_event_data
from services.runtime.events import Consumer
from services.runtime.redis import KeySpace
from services.runtime.testing import free_port
from tests.system.crm.journeys import account, deal_lines


async def drain(redis, key_prefix: str) -> list:
    seen = []

    async def collect(event) -> None:
        seen.append(event)

    consumer = Consumer(redis, KeySpace(key_prefix), "crm", group="test", name="t1", handler=collect)
    while (await consumer.run_once()).processed:
        pass
    return seen


def _push_url(vendor, api_url: str) -> str:
    return f"{api_url}/v1/webhooks/{vendor.vendor}"


def _pushing_api(start_crm, vendor):
    port = free_port()
    vendor.push_to(_push_url(vendor, f"http://127.0.0.1:{port}"))
    return start_crm(port=port)


class TestPushAndPull:
    async def test_lost_notifications_are_found_by_pull_and_each_close_is_announced_once(
            self, start_crm, vendor, redis, key_prefix):
        crm = _pushing_api(start_crm, vendor)
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deals = [vendor.create_deal("ACME-001", f"Deal {i}", deal_lines(), "2024-03-28") for i in range(6)]
        for deal in deals[:3]:
            vendor.win(deal)
        vendor.flush_push()
        pushed = await drain(redis, key_prefix)
        assert sorted(e.subject for e in pushed) == sorted(deals[:3])
        vendor.hold_push()  # notifications for the rest are lost
        for deal in deals[3:]:
            vendor.win(deal)
        vendor.flush_push()
        assert await drain(redis, key_prefix) == []
        first = crm.ok("POST", "/v1/sync/closed-won")
        assert (first["examined"], first["published"]) == (6, 3)
        pulled = await drain(redis, key_prefix)
        assert sorted(e.subject for e in pulled) == sorted(deals[3:])
        again = crm.ok("POST", "/v1/sync/closed-won")
        assert again["published"] == 0 and await drain(redis, key_prefix) == []
        vendor.release_push(_push_url(vendor, crm.url))  # all six notifications again
        vendor.flush_push()
        assert await drain(redis, key_prefix) == []
        event = pulled[0]
        payload = decode_event_data(event)
        assert event.type == "revflow.crm.opportunity.closed_won.v1" and event.source == "/services/system/crm"
        assert payload.opportunity.id == event.subject and len(payload.opportunity.lines) == 2
        assert payload.customer.id == "ACME-001" and payload.opportunity.customer_id == "ACME-001"

    async def test_pull_first_then_push_publishes_once(self, start_crm, vendor, redis, key_prefix):
        crm = start_crm()
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deal = vendor.create_deal("ACME-001", "Deal", deal_lines(), "2024-03-28")
        vendor.win(deal)
        assert crm.ok("POST", "/v1/sync/closed-won")["published"] == 1
        assert len(await drain(redis, key_prefix)) == 1


class TestPoller:
    async def test_background_poller_announces_won_deals(self, start_crm, vendor, redis, key_prefix):
        crm = start_crm(poll_interval_seconds=0.1)
        crm.ok("PUT", "/v1/accounts/ACME-001", account())
        deal = vendor.create_deal("ACME-001", "Deal", deal_lines(), "2024-03-28")
        vendor.win(deal)
        seen: list = []
        for _ in range(100):  # bounded wait for the poller's next tick; no timing is asserted
            seen += await drain(redis, key_prefix)
            if seen:
                break
            await asyncio.sleep(0.05)
        assert [e.subject for e in seen] == [deal]
