"""The catalogue memo: an item synced to billing with the same definition recently is not synced again."""

from __future__ import annotations

import asyncio

from services.process.quote_to_cash.engine import CatalogMemo
from services.runtime.redis import KeySpace

PLAN = {"name": "Platform", "prices": [{"currency": "USD", "billing_frequency": "monthly",
                                         "unit_amount": {"amount_minor": 10_000, "currency": "USD"}}]}


async def test_the_same_definition_is_remembered_until_it_expires(redis, key_prefix):
    memo = CatalogMemo(redis, KeySpace(key_prefix), ttl_s=0.3)
    assert not await memo.synced("PLAT", PLAN)
    await memo.remember("PLAT", PLAN)
    assert await memo.synced("PLAT", dict(reversed(PLAN.items())))  # the same definition, keys in another order
    assert not await memo.synced("SETUP", PLAN)  # another item
    await asyncio.sleep(0.4)
    assert not await memo.synced("PLAT", PLAN)


async def test_a_changed_definition_is_synced_again(redis, key_prefix):
    memo = CatalogMemo(redis, KeySpace(key_prefix), ttl_s=60)
    await memo.remember("PLAT", PLAN)
    repriced = {**PLAN, "prices": [{**PLAN["prices"][0], "unit_amount": {"amount_minor": 12_000, "currency": "USD"}}]}
    assert not await memo.synced("PLAT", repriced)
    assert not await memo.synced("PLAT", {**PLAN, "name": "Platform 2"})


async def test_a_zero_ttl_syncs_every_time(redis, key_prefix):
    memo = CatalogMemo(redis, KeySpace(key_prefix), ttl_s=0)
    await memo.remember("PLAT", PLAN)
    assert not await memo.synced("PLAT", PLAN)
    assert await redis.keys(f"{key_prefix}*") == []
