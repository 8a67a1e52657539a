"""The vendor-agnostic sandbox kit: ids, pagination, forms, fault decisions, webhook delivery."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from sandboxes._kit import (
    CursorNotFoundError,
    Delivery,
    FaultConfig,
    FaultInjector,
    FaultMiddleware,
    FormError,
    IdFactory,
    WebhookDispatcher,
    cursor_page,
    parse_bracket_form,
)


class TestIds:
    def test_seeded_ids_repeat(self) -> None:
        a, b = IdFactory(seed=1), IdFactory(seed=1)
        assert [a.new("cus") for _ in range(3)] == [b.new("cus") for _ in range(3)]
        assert a.new("cus").startswith("cus_") and len(a.new("cus")) == 28

    def test_unseeded_ids_differ(self) -> None:
        assert IdFactory().new("cus") != IdFactory().new("cus")


class TestPagination:
    items = [{"id": f"o{n}"} for n in range(5)]

    def test_pages(self) -> None:
        first = cursor_page(self.items, 2)
        assert [i["id"] for i in first.items] == ["o0", "o1"] and first.has_more
        last = cursor_page(self.items, 2, starting_after="o3")
        assert [i["id"] for i in last.items] == ["o4"] and not last.has_more
        back = cursor_page(self.items, 2, ending_before="o3")
        assert [i["id"] for i in back.items] == ["o1", "o2"] and back.has_more

    def test_unknown_cursor(self) -> None:
        with pytest.raises(CursorNotFoundError):
            cursor_page(self.items, 2, starting_after="nope")


class TestForms:
    def test_brackets(self) -> None:
        body = b"items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2&metadata[k]=v&expand[]=a&expand[]=b"
        assert parse_bracket_form(body) == {
            "items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}], "metadata": {"k": "v"},
            "expand": ["a", "b"]}

    @pytest.mark.parametrize("body", [b"%%%&&&=", b"\xff", b"a]b[=1", b"a=1&a[b]=2"])
    def test_garbage(self, body: bytes) -> None:
        with pytest.raises(FormError):
            parse_bracket_form(body)


class TestFaults:
    def test_seeded_decisions_replay(self) -> None:
        config = {"seed": 9, "error_rate": 0.2, "rate_limit_rate": 0.1, "burst_length": 3}
        runs = []
        for _ in range(2):
            injector = FaultInjector(FaultConfig.from_json(config))
            runs.append([injector.decide("GET", "/v1/x") for _ in range(50)])
        assert runs[0] == runs[1]
        assert any(d.error for d in runs[0]) and any(d.rate_limited for d in runs[0])

    def test_bursts_are_consecutive(self) -> None:
        injector = FaultInjector(FaultConfig.from_json({"seed": 1, "rate_limit_rate": 1.0, "burst_length": 3}))
        assert all(injector.decide("GET", "/x").rate_limited for _ in range(6))

    def test_route_patterns(self) -> None:
        injector = FaultInjector(FaultConfig.from_json({"rules": [{"route": "^POST /v1/a", "error_rate": 1.0}]}))
        assert injector.decide("POST", "/v1/a").error == 500
        assert injector.decide("GET", "/v1/a").error is None


FLAKY = {"error_rate": 0.2, "error_after_rate": 0.05, "rate_limit_rate": 0.05, "burst_length": 3,
         "timeout_rate": 0.05, "hang_seconds": 2.0, "jitter_ms": 100}


def _decisions(rule: dict[str, Any], seed: int = 7, n: int = 400) -> list[Any]:
    injector = FaultInjector(FaultConfig.from_json({"seed": seed, "rules": [rule]}))
    return [injector.decide("POST", "/v1/x") for _ in range(n)]


class TestLatencySpikes:
    def test_spikes_replay_and_hit_only_requests_no_other_fault_hit(self) -> None:
        rule = {**FLAKY, "spike_rate": 0.2, "spike_ms": 2000}
        first, again = _decisions(rule), _decisions(rule)
        assert first == again
        spiked = [d for d in first if d.spike]
        assert spiked and all(d.spike == 2.0 and not d.spike_after for d in spiked)
        assert all(d.hang is d.rate_limited is d.error is d.error_after is None for d in spiked)
        assert _decisions(rule, seed=8) != first

    def test_adding_spikes_leaves_the_other_faults_where_they_were(self) -> None:
        without = _decisions(FLAKY)
        with_spikes = _decisions({**FLAKY, "spike_rate": 0.3, "spike_ms": 2000})
        assert any(d.spike for d in with_spikes)
        assert [dataclasses.replace(d, spike=0.0) for d in with_spikes] == without

    def test_spikes_are_bounded_and_listed(self) -> None:
        config = FaultConfig.from_json({"spike_rate": 1.0, "spike_ms": 10_000_000, "spike_after": True})
        assert config.to_json()["rules"][0]["spike_ms"] == 120_000
        injector = FaultInjector(config)
        assert injector.decide("GET", "/x").spike == 120.0 and injector.injected[0]["spike_after"] is True


class _Vendor:
    def error_response(self, status: int) -> tuple[list[tuple[str, str]], bytes]:
        return [("content-type", "text/plain")], b"vendor error"

    def rate_limit_response(self, retry_after: int) -> tuple[list[tuple[str, str]], bytes]:
        return [("retry-after", str(retry_after))], b"slow down"


class _Recorded:
    """A tiny vendor app behind the fault middleware, and the messages the client was sent."""

    def __init__(self, rule: dict[str, Any]) -> None:
        self.handled = asyncio.Event()
        self.sent: list[dict[str, Any]] = []
        injector = FaultInjector(FaultConfig.from_json({"seed": 1, "rules": [rule]}))
        self.middleware = FaultMiddleware(self._app, injector, _Vendor())

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.handled.set()
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"created"})

    async def _receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def _send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def call(self) -> asyncio.Task[None]:
        scope = {"type": "http", "method": "POST", "path": "/v1/things"}
        return asyncio.create_task(self.middleware(scope, self._receive, self._send))


class TestSpikeMiddleware:
    async def test_a_spiked_request_succeeds_with_the_real_answer(self) -> None:
        vendor = _Recorded({"spike_rate": 1.0, "spike_ms": 10})
        await vendor.call()
        assert [m.get("status") or m.get("body") for m in vendor.sent] == [201, b"created"]
        assert vendor.middleware.injector.injected[0]["spike"] == 0.01

    async def test_a_spike_before_the_handler_holds_the_request(self) -> None:
        vendor = _Recorded({"spike_rate": 1.0, "spike_ms": 60_000})
        call = vendor.call()
        await asyncio.sleep(0.2)  # the caller's patience, far shorter than the spike
        assert not vendor.handled.is_set() and vendor.sent == []
        call.cancel()

    async def test_a_spike_after_the_handler_holds_only_the_answer(self) -> None:
        vendor = _Recorded({"spike_rate": 1.0, "spike_ms": 60_000, "spike_after": True})
        call = vendor.call()
        await vendor.handled.wait()  # the work is done at once ...
        await asyncio.sleep(0.2)
        assert vendor.sent == []  # ... and its answer is still held
        call.cancel()


class TestDispatcher:
    def test_unreachable_receiver_is_retried_then_given_up(self) -> None:
        dispatcher = WebhookDispatcher(max_attempts=2, retry_delay=0.01, timeout=0.5)
        dispatcher.submit(Delivery("evt_1", "http://127.0.0.1:9/none", b"{}", lambda body: {"X-Sig": "s"}))
        assert dispatcher.flush(5)
        assert [entry["attempt"] for entry in dispatcher.log] == [1, 2]
        assert all(entry["outcome"] == "failed" for entry in dispatcher.log)
