"""The pipeline board regroups only changed deals; after any run of writes it must equal a regrouping from scratch.

A real Redis and the real workflow store: workflows are created, parked, finished and removed at random, and
after each batch the board's rows are compared with ``deal_rows`` over every index row read fresh from Redis.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import msgspec

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.pipeline import DealBoard, deal_rows
from services.process.quote_to_cash.saga import (
    ExceptionRecord,
    Summary,
    WorkflowRecord,
    WorkflowState,
    WorkflowStore,
)
from services.runtime.redis import KeySpace

KINDS = ("activation", "amendment", "invoice_sync", "period_close")


def _fresh(raw: dict) -> list[Summary]:
    return [msgspec.json.decode(value, type=Summary) for value in raw.values()]


def _key(rows) -> list:
    return sorted(msgspec.to_builtins(rows), key=lambda r: r["opportunity_id"])


async def test_board_matches_a_regrouping_from_scratch_after_random_writes(redis, key_prefix):
    store = WorkflowStore(redis, KeySpace(key_prefix))
    board = DealBoard(store)
    rng, now = random.Random(11), datetime.now(UTC)
    ids: list[str] = []
    for batch in range(12):
        for n in range(25):
            roll = rng.random()
            if roll < 0.5 or not ids:
                deal = f"006D{rng.randrange(40):04d}"
                kind = rng.choice(KINDS)
                subject = "2026-01" if kind == "period_close" else rng.choice([deal, f"{deal}:term-end"])
                record = WorkflowRecord(id=f"{kind}:{subject}:{batch}-{n}", kind=kind, subject=subject,
                                        input={"customer": {"name": f"Customer {deal}"}},
                                        created_at=now + timedelta(seconds=batch * 100 + n), updated_at=now)
                await store.create(record)
                ids.append(record.id)
            elif roll < 0.9:
                record = await store.load(rng.choice(ids))
                claim = await store.claim(record.id)
                assert claim is not None
                token = claim.token
                record.state = rng.choice([WorkflowState.SUCCEEDED, WorkflowState.PARKED, WorkflowState.RUNNING])
                record.business_status = rng.choice(list(BusinessStatus))
                record.exception = None if record.state is not WorkflowState.PARKED else ExceptionRecord(
                    step="erp_items", owner=rng.choice(list(ExceptionOwner)), reason="r", fix="f", occurred_at=now)
                await store.save(record, token)
                await store.release(record.id, token)
            else:
                await store.index.delete(ids.pop(rng.randrange(len(ids))))
        expected = deal_rows(_fresh(await redis.hgetall(store.index.key)))
        assert _key(await board.rows()) == _key(expected), f"after batch {batch}"
    assert len(expected) > 10
