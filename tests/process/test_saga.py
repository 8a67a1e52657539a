"""The saga runner's guarantees, with workflows defined here and run by real workers on a real Redis.

The steps of these workflows record what they did in Redis (a counter per step), so each test can count
effects independently of the runner's own bookkeeping.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.engine import Workflows
from services.process.quote_to_cash.saga import (
    LeaseLost,
    PersonRequest,
    RunnerPolicy,
    Step,
    StepContext,
    StepFailed,
    WaitUntil,
    WorkflowDefinition,
    WorkflowState,
)
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.process.quote_to_cash.worker import Worker
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace

pytestmark = pytest.mark.timeout(60)


class Effects:
    """What steps did, counted in Redis by the steps themselves."""

    def __init__(self, redis, prefix: str) -> None:
        self.redis, self.key = redis, f"{prefix}effects"

    async def add(self, what: str) -> None:
        await self.redis.hincrby(self.key, what, 1)

    async def counts(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in (await self.redis.hgetall(self.key)).items()}


def definitions(effects: Effects, behaviour: dict) -> dict[str, WorkflowDefinition]:
    async def first(ctx: StepContext) -> dict:
        await effects.add(f"{ctx.workflow.id}:first")
        return {"n": 1}

    async def flaky(ctx: StepContext) -> dict:
        await effects.add(f"{ctx.workflow.id}:flaky")
        if ctx.attempt <= behaviour.get("fail_times", 0):
            raise StepFailed("upstream answered 503", retryable=True)
        return {"n": ctx.output("first")["n"] + 1}

    async def sleepy(ctx: StepContext) -> dict:
        until = datetime.fromisoformat(ctx.input["until"])
        if datetime.now(UTC) < until:
            effects_from = date.fromisoformat(ctx.input["from"]) if "from" in ctx.input else None
            raise WaitUntil(until, "the renewal date", effects_from=effects_from)
        await effects.add(f"{ctx.workflow.id}:woke")
        return {"woke_at": datetime.now(UTC).isoformat()}

    async def slow(ctx: StepContext) -> dict:
        await effects.add(f"{ctx.workflow.id}:slow-start")
        await asyncio.sleep(ctx.input.get("seconds", 0.0))
        await effects.add(f"{ctx.workflow.id}:slow-end")
        return {}

    async def failing(ctx: StepContext) -> dict:
        raise StepFailed("upstream timed out", retryable=True)

    async def look(ctx: StepContext) -> dict | None:
        await effects.add(f"{ctx.workflow.id}:looked")
        return None

    async def refuse(ctx: StepContext) -> dict:
        raise StepFailed("item X missing", retryable=False, owner=ExceptionOwner.FINANCE_OPS,
                         business_status=BusinessStatus.BLOCKED_MASTER_DATA, fix="create item X")

    s = BusinessStatus.AWAITING_BILLING
    return {
        "retrying": WorkflowDefinition("retrying", (Step("first", first, s), Step("flaky", flaky, s))),
        "timer": WorkflowDefinition("timer", (Step("first", first, s), Step("sleepy", sleepy, s))),
        "slow": WorkflowDefinition("slow", (Step("slow", slow, s),)),
        "dated": WorkflowDefinition("dated", (Step("slow", slow, s),),
                                    dated=lambda data: date.fromisoformat(data["day"])),
        "refusing": WorkflowDefinition("refusing", (Step("first", first, s), Step("refuse", refuse, s))),
        "slow_then_first": WorkflowDefinition("slow_then_first", (Step("slow", slow, s), Step("first", first, s))),
        "unanswered": WorkflowDefinition("unanswered", (Step("first", first, s), Step(
            "failing", failing, s, undo=failing, find_unfinished=look))),
        "live": WorkflowDefinition("live", (Step("first", first, s), Step("refuse", refuse, s)), live_after="first",
                                   cancel_instead="end it with an agreed termination"),
    }


@asynccontextmanager
async def workers(redis, prefix: str, defs: dict, *, count: int = 1, max_attempts: int = 4, lease_ms: int = 1_000,
                  settle_s: float = 0.0) -> AsyncIterator[tuple[Workflows, list[asyncio.Event]]]:
    settings = QuoteToCashSettings(key_prefix=prefix, concurrency=4, lease_ms=lease_ms, claim_idle_ms=1_500)
    policy = RunnerPolicy(max_attempts=max_attempts, retry_base_s=0.05, retry_cap_s=0.2, subject_recheck_s=0.2,
                          unfinished_settle_s=settle_s)
    keyspace = KeySpace(prefix)
    flows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), defs, policy=policy,
                      lease_ms=lease_ms)
    stops = [asyncio.Event() for _ in range(count)]
    tasks = [asyncio.create_task(Worker(flows, redis, settings, name=f"w{i}").run(stop))
             for i, stop in enumerate(stops)]
    try:
        yield flows, stops
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def settled(flows: Workflows, workflow_id: str, states=("succeeded", "parked", "dead_lettered",
                                                              "compensated"), timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        record = await flows.store.load(workflow_id)
        if record is not None and record.state.value in states:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} never reached {states}: {await flows.store.load(workflow_id)}")


class TestRetries:
    async def test_transient_failures_retry_with_backoff_then_complete(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {"fail_times": 2})) as (flows, _):
            await flows.start("retrying", "deal-1", {})
            done = await settled(flows, "retrying:deal-1")
        assert done.state is WorkflowState.SUCCEEDED and done.output("flaky") == {"n": 2}
        assert await effects.counts() == {"retrying:deal-1:first": 1, "retrying:deal-1:flaky": 3}
        assert [h.event for h in done.history].count("retry_scheduled") == 2

    async def test_exhausted_retries_dead_letter_then_replay_completes(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        behaviour = {"fail_times": 99}
        async with workers(redis, key_prefix, definitions(effects, behaviour), max_attempts=3) as (flows, _):
            await flows.start("retrying", "deal-2", {})
            dead = await settled(flows, "retrying:deal-2")
            assert (dead.state, dead.business_status) == (WorkflowState.DEAD_LETTERED, BusinessStatus.NEEDS_ATTENTION)
            assert dead.exception.owner is ExceptionOwner.INTEGRATION and "Retried 3 times" in dead.exception.fix
            behaviour["fail_times"] = 0  # the upstream recovered
            await flows.request("retrying:deal-2", "retry")
            done = await settled(flows, "retrying:deal-2", states=("succeeded",))
        assert done.resumes == 1
        assert (await effects.counts())["retrying:deal-2:first"] == 1


class TestTimers:
    async def test_a_timer_survives_the_worker_that_set_it(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        defs = definitions(effects, {})
        until = datetime.now(UTC) + timedelta(seconds=1.5)
        async with workers(redis, key_prefix, defs) as (flows, _):
            await flows.start("timer", "deal-3", {"until": until.isoformat()})
            waiting = await settled(flows, "timer:deal-3", states=("waiting",))
        assert waiting.wake_at == until and "timer:deal-3:woke" not in await effects.counts()
        await asyncio.sleep(0.3)
        async with workers(redis, key_prefix, defs) as (flows, _):  # a new worker, nothing in memory
            done = await settled(flows, "timer:deal-3", states=("succeeded",))
        assert datetime.fromisoformat(done.output("sleepy")["woke_at"]) >= until
        assert (await effects.counts())["timer:deal-3:woke"] == 1


class TestOneAtATime:
    async def test_workflows_of_one_subject_run_in_order_others_concurrently(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {}), count=2) as (flows, _):
            await flows.start("slow", "deal-4", {"seconds": 0.8}, workflow_id="slow:a")
            await flows.start("slow", "deal-4", {"seconds": 0.0}, workflow_id="slow:b")
            await flows.start("slow", "deal-5", {"seconds": 0.0}, workflow_id="slow:c")
            other = await settled(flows, "slow:c")
            first = await flows.store.load("slow:a")
            assert first.state is not WorkflowState.SUCCEEDED  # deal-5 did not wait for deal-4
            a, b = await settled(flows, "slow:a"), await settled(flows, "slow:b")
        assert other.state is a.state is b.state is WorkflowState.SUCCEEDED
        assert b.history[-1].at > a.completed_at
        assert any(h.event == "waiting" and "slow:a" in (h.detail or "") for h in b.history)

    async def test_a_parked_workflow_holds_back_the_next_one_of_its_subject(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {})) as (flows, _):
            await flows.start("refusing", "deal-6", {})
            await flows.start("slow", "deal-6", {}, workflow_id="slow:after")
            parked = await settled(flows, "refusing:deal-6")
            await asyncio.sleep(0.5)
            behind = await flows.store.load("slow:after")
            assert parked.business_status is BusinessStatus.BLOCKED_MASTER_DATA
            assert behind.state is WorkflowState.WAITING and behind.waiting_for == "refusing:deal-6"
            await flows.request("refusing:deal-6", "cancel")
            await settled(flows, "refusing:deal-6", states=("compensated",))
            done = await settled(flows, "slow:after", states=("succeeded",))
        assert done.state is WorkflowState.SUCCEEDED


    async def test_a_dated_workflow_runs_ahead_of_one_waiting_for_a_later_day(self, redis, key_prefix):
        """A workflow about 19 April runs while an earlier one of its subject waits on a timer for changes from 20
        April; one about 20 April waits behind it."""
        effects = Effects(redis, key_prefix)
        until = datetime.now(UTC) + timedelta(seconds=2)
        async with workers(redis, key_prefix, definitions(effects, {}), count=2) as (flows, _):
            await flows.start("timer", "deal-7", {"until": until.isoformat(), "from": "2025-04-20"})
            await settled(flows, "timer:deal-7", states=("waiting",))
            await flows.start("dated", "deal-7", {"day": "2025-04-19"}, workflow_id="dated:19th")
            await flows.start("dated", "deal-7", {"day": "2025-04-20"}, workflow_id="dated:20th")
            ahead = await settled(flows, "dated:19th", states=("succeeded",))
            behind = await flows.store.load("dated:20th")
            assert ahead.completed_at < until
            assert behind.state is WorkflowState.WAITING and behind.waiting_for == "timer:deal-7"
            timer = await settled(flows, "timer:deal-7", states=("succeeded",))
            on_the_day = await settled(flows, "dated:20th", states=("succeeded",))
        assert on_the_day.history[-1].at > timer.completed_at


class TestRequests:
    async def test_a_cancel_asked_during_a_step_stops_the_workflow_before_its_next_step(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {})) as (flows, _):
            await flows.start("slow_then_first", "deal-c1", {"seconds": 0.4})
            workflow_id = "slow_then_first:deal-c1"
            async with asyncio.timeout(10):
                while "slow_then_first:deal-c1:slow-start" not in await effects.counts():
                    await asyncio.sleep(0.02)
            await flows.request(workflow_id, "cancel")
            done = await settled(flows, workflow_id)
        assert done.state is WorkflowState.COMPENSATED
        assert await effects.counts() == {f"{workflow_id}:slow-start": 1, f"{workflow_id}:slow-end": 1}
        started = [h.step for h in done.history if h.event == "step_started"]
        assert started == ["slow"]
        assert [s.status for s in done.steps] == ["done", "skipped"]  # "slow" has no undo: it is kept, not undone
        assert [(h.event, h.step) for h in done.history if h.event.startswith("step_")][-1] == ("step_kept", "slow")

    async def test_cancel_is_refused_once_the_live_step_is_done_even_if_asked_before(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {})) as (flows, _):
            record, _ = await flows.start("live", "deal-l1", {})
            await settled(flows, record.id, states=("parked",))
            with pytest.raises(ValueError, match="end it with an agreed termination"):
                await flows.request(record.id, "cancel")
            # A request accepted before the live step finished is applied after it: the worker refuses it too.
            await flows.store.request(record.id, PersonRequest(action="cancel", actor="bo@example.com"))
            await flows.kick(record.id)
            async with asyncio.timeout(10):
                while not [h for h in (await flows.store.load(record.id)).history if h.event == "cancel_refused"]:
                    await asyncio.sleep(0.05)
            after = await flows.store.load(record.id)
        assert after.state is WorkflowState.PARKED and not after.compensate
        assert [h.actor for h in after.history if h.event == "cancel_refused"] == ["bo@example.com"]
        assert await effects.counts() == {f"{record.id}:first": 1}

    async def test_an_unfinished_step_is_looked_for_only_once_its_write_has_had_time_to_land(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {}), max_attempts=50, settle_s=1.0) as (flows, _):
            record, _ = await flows.start("unanswered", "deal-u1", {})
            async with asyncio.timeout(10):
                while (await flows.store.load(record.id)).step("failing").attempts < 1:
                    await asyncio.sleep(0.02)
            await flows.request(record.id, "cancel")
            done = await settled(flows, record.id, states=("compensated",))
        [started] = [h.at for h in done.history if h.event == "step_started" and h.step == "failing"][-1:]
        [checked] = [h.at for h in done.history if h.event == "step_checked"]
        assert (checked - started).total_seconds() >= 1.0
        assert any("may still land" in (h.detail or "") for h in done.history if h.event == "undo_retry_scheduled")
        assert (await effects.counts())[f"{record.id}:looked"] == 1
        assert [s.status for s in done.steps] == ["done", "skipped"]

    async def test_a_request_taken_by_a_worker_that_dies_before_saving_is_applied_by_the_next(
            self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        defs = definitions(effects, {})
        keyspace = KeySpace(key_prefix)
        flows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), defs, lease_ms=200)
        record, _ = await flows.start("refusing", "deal-r1", {})
        async with workers(redis, key_prefix, defs, lease_ms=200) as (running, stops):
            await settled(running, record.id, states=("parked",))
            for stop in stops:
                stop.set()
        await flows.request(record.id, "cancel", actor="ana@example.com")
        dying = await flows.store.claim(record.id)  # takes the lease with the request, then is killed
        assert dying is not None and dying.request is not None and dying.request.action == "cancel"
        await asyncio.sleep(0.3)  # its lease lapses
        async with workers(redis, key_prefix, defs, lease_ms=200) as (running, _):
            await running.kick(record.id)
            done = await settled(running, record.id, states=("compensated",))
        assert [h.actor for h in done.history if h.event == "cancel_requested"] == ["ana@example.com"]
        assert await redis.exists(flows.store.request_key(record.id)) == 0, "an applied request is consumed"


class TestExactlyOnce:
    async def test_duplicate_kicks_and_starts_run_each_step_once(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {}), count=3) as (flows, _):
            for _ in range(5):
                await flows.start("slow", "deal-7", {"seconds": 0.3})
                await flows.kick("slow:deal-7")
            await settled(flows, "slow:deal-7")
        assert await effects.counts() == {"slow:deal-7:slow-start": 1, "slow:deal-7:slow-end": 1}

    async def test_a_holder_killed_between_saving_the_end_and_indexing_it_leaves_no_stale_row(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)
        async with workers(redis, key_prefix, definitions(effects, {})) as (flows, _):
            record, _ = await flows.start("slow", "deal-i1", {})
            done = await settled(flows, record.id)
            # What the listing holds when the holder died after saving the record as succeeded, before its row.
            stale = msgspec.structs.replace(done, state=WorkflowState.RUNNING)
            await flows.store.index_row(stale)
            assert (await flows.store.rows_by_id())[record.id].state is WorkflowState.RUNNING
            await flows.kick(record.id)  # the dead holder's kick, reclaimed by another worker
            async with asyncio.timeout(10):
                while (await flows.store.rows_by_id())[record.id].state is not WorkflowState.SUCCEEDED:
                    await asyncio.sleep(0.05)
        assert await effects.counts() == {"slow:deal-i1:slow-start": 1, "slow:deal-i1:slow-end": 1}

    async def test_a_stalled_holder_cannot_overwrite_the_new_holder(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        flows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"),
                          definitions(Effects(redis, key_prefix), {}), lease_ms=200)
        record, _ = await flows.start("slow", "deal-8", {})
        stale_claim = await flows.store.claim(record.id)
        assert await flows.store.claim(record.id) is None  # held
        await asyncio.sleep(0.3)  # the stalled holder's lease lapses
        fresh_claim = await flows.store.claim(record.id)
        assert stale_claim and fresh_claim and stale_claim.token != fresh_claim.token
        stale = stale_claim.token
        record.note("from the stalled worker")
        with pytest.raises(LeaseLost):
            await flows.store.save(record, stale)
        loaded = await flows.store.load(record.id)
        assert all(h.event != "from the stalled worker" for h in loaded.history)


class TestIndexMirror:
    """Each process reads the index through its own mirror; another process's writes must show on the next read."""

    async def test_a_reader_sees_every_write_made_by_another_process_before_its_read(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        defs = definitions(Effects(redis, key_prefix), {})
        writer = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), defs)
        reader = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), defs)
        for n in range(5):
            await writer.start("slow", f"deal-m{n}", {})
        assert sorted(r.subject for r in await reader.store.summaries()) == [f"deal-m{n}" for n in range(5)]

        record = await writer.store.load("slow:deal-m2")
        claim = await writer.store.claim(record.id)
        assert claim is not None
        token = claim.token
        record.state = WorkflowState.PARKED
        await writer.store.save(record, token)
        await writer.start("slow", "deal-m9", {})
        rows = {r.id: r for r in await reader.store.summaries()}
        assert rows["slow:deal-m2"].state is WorkflowState.PARKED
        assert "slow:deal-m9" in rows and len(rows) == 6
        # What a fresh process would read straight from Redis, row for row.
        raw = {k.decode(): v for k, v in (await redis.hgetall(writer.store.index.key)).items()}
        assert {wid: row.state.value for wid, row in rows.items()} == {
            wid: json.loads(value)["state"] for wid, value in raw.items()}

    async def test_an_index_cleared_behind_the_reader_is_read_again(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        defs = definitions(Effects(redis, key_prefix), {})
        flows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), defs)
        for n in range(3):
            await flows.start("slow", f"deal-c{n}", {})
        assert len(await flows.store.summaries()) == 3
        store = flows.store
        await redis.delete(store.index.key, store.index.version_key, store.index.changes_key, store.index.epoch_key)
        assert await flows.store.summaries() == []
        await flows.start("slow", "deal-c7", {})
        assert [r.subject for r in await flows.store.summaries()] == ["deal-c7"]

    async def test_an_index_cleared_and_refilled_past_the_version_seen_is_read_again(self, redis, key_prefix):
        keyspace = KeySpace(key_prefix)
        flows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"),
                          definitions(Effects(redis, key_prefix), {}))
        for n in range(2):
            await flows.start("slow", f"deal-r{n}", {})
        assert len(await flows.store.summaries()) == 2  # this process has seen version 2
        store = flows.store
        await redis.delete(store.index.key, store.index.version_key, store.index.changes_key, store.index.epoch_key)
        for n in range(4):  # refilled behind the mirror's back, up to version 4
            await flows.start("slow", f"deal-s{n}", {})
        assert sorted(r.subject for r in await flows.store.summaries()) == [f"deal-s{n}" for n in range(4)]


class TestRefusals:
    async def test_a_refusal_undoes_what_was_done_even_when_an_undo_must_wait_and_never_runs_on(self, redis,
                                                                                                key_prefix):
        effects = Effects(redis, key_prefix)
        undo_tries: list[int] = []

        async def first(ctx: StepContext) -> dict:
            await effects.add("first")
            return {}

        async def undo_first(ctx: StepContext) -> None:
            undo_tries.append(1)
            if len(undo_tries) == 1:
                raise StepFailed("billing answered 503", retryable=True)
            await effects.add("first-undone")

        async def check(ctx: StepContext) -> dict:
            await effects.add("check")
            raise StepFailed("credit exceeds the invoice", retryable=False, owner=ExceptionOwner.BILLING_OPS,
                             code="credit_exceeds_billed", fix="ask again for less", refused=True)

        async def after(ctx: StepContext) -> dict:
            await effects.add("after")
            return {}

        s = BusinessStatus.AWAITING_BILLING
        defs = {"credit": WorkflowDefinition("credit", (Step("first", first, s, undo=undo_first),
                                                        Step("check", check, s), Step("after", after, s)))}
        async with workers(redis, key_prefix, defs) as (flows, _):
            record, _ = await flows.start("credit", "deal-r", {})
            done = await settled(flows, record.id, states=("compensated", "succeeded"))
        assert (done.state, done.business_status) == ("compensated", "cancelled")
        assert [(s.name, s.status) for s in done.steps] == [("first", "undone"), ("check", "refused"),
                                                            ("after", "skipped")]
        assert await effects.counts() == {"first": 1, "check": 1, "first-undone": 1}
        [refused] = [h for h in done.history if h.event == "refused"]
        assert refused.detail.startswith("credit_exceeds_billed: credit exceeds the invoice. ask again for less")
        assert done.exception is None


class TestStepsOfAnEarlierVersion:
    async def test_a_record_saved_before_a_step_was_added_goes_on_from_where_it_was(self, redis, key_prefix):
        effects = Effects(redis, key_prefix)

        def counting(name: str):
            async def step(ctx: StepContext) -> dict:
                await effects.add(name)
                return {"by": name}
            return step

        s = BusinessStatus.AWAITING_BILLING
        old = {"usage": WorkflowDefinition("usage", (Step("bill", counting("bill"), s),
                                                     Step("recognise", counting("recognise"), s)))}
        new = {"usage": WorkflowDefinition("usage", (Step("validate", counting("validate"), s),
                                                     Step("bill", counting("bill"), s),
                                                     Step("recognise", counting("recognise"), s)))}
        keyspace = KeySpace(key_prefix)
        earlier = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), old)
        record, _ = await earlier.start("usage", "deal-v", {})
        saved = await earlier.store.load(record.id)
        saved.steps[0].status, saved.steps[0].output, saved.step_index = "done", {"by": "bill"}, 1
        await redis.set(earlier.store.record_key(record.id), msgspec.json.encode(saved))
        async with workers(redis, key_prefix, new) as (flows, _):
            await flows.kick(record.id)
            done = await settled(flows, record.id)
        assert done.state == "succeeded", done.exception
        assert [(s.name, s.status) for s in done.steps] == [("validate", "skipped"), ("bill", "done"),
                                                            ("recognise", "done")]
        assert done.steps[1].output == {"by": "bill"}
        assert await effects.counts() == {"recognise": 1}
        assert [h.event for h in done.history].count("steps_aligned") == 1
