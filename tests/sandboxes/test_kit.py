"""The vendor-agnostic sandbox kit: ids, pagination, forms, fault decisions, webhook delivery."""

from __future__ import annotations

import pytest

from sandboxes._kit import (
    CursorNotFoundError,
    Delivery,
    FaultConfig,
    FaultInjector,
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


class TestDispatcher:
    def test_unreachable_receiver_is_retried_then_given_up(self) -> None:
        dispatcher = WebhookDispatcher(max_attempts=2, retry_delay=0.01, timeout=0.5)
        dispatcher.submit(Delivery("evt_1", "http://127.0.0.1:9/none", b"{}", lambda body: {"X-Sig": "s"}))
        assert dispatcher.flush(5)
        assert [entry["attempt"] for entry in dispatcher.log] == [1, 2]
        assert all(entry["outcome"] == "failed" for entry in dispatcher.log)
