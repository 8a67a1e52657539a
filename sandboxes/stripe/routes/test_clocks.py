"""Test clocks (``/v1/test_helpers/test_clocks``): advancing one bills every renewal due on the way."""

from __future__ import annotations

from typing import Any

from ..cycles import run_clock
from ..errors import invalid
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, list_response, mark_deleted

__all__ = ["ROUTES"]


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow("frozen_time", "name")
    frozen = p.integer("frozen_time", required=True)
    clock = {"id": call.state.new_id("test_helpers.test_clock"), "object": "test_helpers.test_clock",
             "created": int(call.state.clock()), "deletes_after": int(call.state.clock()) + 30 * 86400,
             "frozen_time": frozen, "livemode": False, "name": p.text("name"), "status": "ready"}
    call.state.add(clock)
    emit(call.state, "test_helpers.test_clock.created", clock, created=clock["created"])
    return clock


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("test_helpers.test_clock", call.path["test_clock"], "test_clock")


def advance(call: Call) -> dict[str, Any]:
    """Advance synchronously; answer ``advancing`` as Stripe does, while a later GET reads ``ready``."""
    p = call.params.allow("frozen_time")
    clock = call.state.get("test_helpers.test_clock", call.path["test_clock"], "test_clock")
    target = p.integer("frozen_time", required=True)
    if target <= clock["frozen_time"]:
        raise invalid("frozen_time", "The frozen time must be after the current frozen time of the test clock.",
                      None)
    run_clock(call.state, clock, target)
    emit(call.state, "test_helpers.test_clock.ready", clock, created=int(call.state.clock()))
    return {**clock, "status": "advancing"}


def delete(call: Call) -> dict[str, Any]:
    call.params.allow()
    return mark_deleted(call.state, "test_helpers.test_clock", call.path["test_clock"])


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS)
    return list_response(call.state, p, "test_helpers.test_clock", "/v1/test_helpers/test_clocks")


_ID = "/v1/test_helpers/test_clocks/{test_clock:str}"
ROUTES = [
    endpoint("POST", "/v1/test_helpers/test_clocks", create, "PostTestHelpersTestClocks"),
    endpoint("GET", "/v1/test_helpers/test_clocks", list_, "GetTestHelpersTestClocks"),
    endpoint("GET", _ID, retrieve, "GetTestHelpersTestClocksTestClock"),
    endpoint("DELETE", _ID, delete, "DeleteTestHelpersTestClocksTestClock"),
    endpoint("POST", _ID + "/advance", advance, "PostTestHelpersTestClocksTestClockAdvance"),
]
