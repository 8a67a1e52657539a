"""Usages, events and the time machine.

``/subscriptions/{id}/usages`` and ``/usages``, ``/events``, and ``/time_machines/delorean``, which bills
renewals as the site clock moves forward.
"""

from __future__ import annotations

import re
from typing import Any

from ..cycles import travel
from ..errors import duplicate, invalid_state, not_found, wrong_value
from ..wire import Call, endpoint
from ._common import list_response

__all__ = ["ROUTES", "time_machine"]

_ID = re.compile(r"^[A-Za-z0-9_\-.]{1,100}$")
TIME_MACHINE = "delorean"


def create_usage(call: Call) -> dict[str, Any]:
    state, p = call.state, call.params
    sub = state.get("subscription", call.path["id"])
    if sub["status"] not in ("active", "non_renewing"):
        raise invalid_state(f"Usages cannot be added to a subscription in {sub['status']} state")
    price_id = p.text("item_price_id", required=True)
    si = next((si for si in sub["subscription_items"] if si["item_price_id"] == price_id), None)
    if si is None:
        raise wrong_value("item_price_id", f"{price_id} is not part of the subscription")
    if not state.objects["item"][state.objects["item_price"][price_id]["item_id"]].get("metered"):
        raise wrong_value("item_price_id", f"{price_id} is not a metered item price")
    quantity = p.text("quantity", required=True)
    if not re.fullmatch(r"\d{1,12}", quantity):
        raise wrong_value("quantity", "should be a non-negative whole number")
    usage_date = p.integer("usage_date", required=True, minimum=0)
    if not sub["started_at"] <= usage_date <= state.now():
        raise wrong_value("usage_date", "should be between the subscription's start and the current time")
    uid = p.text("id")
    if uid is not None and (not _ID.match(uid) or uid in state.objects["usage"]):
        raise duplicate("id", uid) if _ID.match(uid) else wrong_value("id", "invalid value")
    usage = {"id": uid or state.new_id("usage_"), "usage_date": usage_date, "subscription_id": sub["id"],
             "item_price_id": price_id, "quantity": str(int(quantity)), "source": "api", "note": p.text("note"),
             "created_at": state.now(), "object": "usage"}
    state.add(state.touch(usage))
    return {"usage": usage}


def retrieve_usage(call: Call) -> dict[str, Any]:
    state = call.state
    state.get("subscription", call.path["id"])
    usage = state.objects["usage"].get(call.params.text("id", required=True) or "")
    if usage is None or usage["subscription_id"] != call.path["id"]:
        raise not_found("id")
    return {"usage": usage}


def list_usages(call: Call) -> dict[str, Any]:
    return list_response(call.state, call.params, "usage", lambda u: {"usage": u},
                         ("id", "subscription_id", "item_price_id", "invoice_id", "usage_date", "updated_at"))


def _event_view(call: Call, event: dict[str, Any]) -> dict[str, Any]:
    status = call.state.webhook_status
    if status is not None and event["webhook_status"] != "not_configured":
        event["webhook_status"] = status(event["id"])
        for hook in event.get("webhooks", []):
            hook["webhook_status"] = event["webhook_status"]
    return {"event": event}


def retrieve_event(call: Call) -> dict[str, Any]:
    return _event_view(call, call.state.get("event", call.path["id"]))


def list_events(call: Call) -> dict[str, Any]:
    return list_response(call.state, call.params, "event", lambda e: _event_view(call, e),
                         ("id", "event_type", "source", "occurred_at", "webhook_status"))


def time_machine(call: Call) -> dict[str, Any]:
    """Chargebee's test-site time machine; travel here is synchronous, so it always reads ``succeeded``."""
    state = call.state
    if call.path["name"] != TIME_MACHINE:
        raise not_found()
    genesis = int(state.clock())
    return {"time_machine": {"name": TIME_MACHINE, "time_travel_status": "succeeded", "genesis_time": genesis,
                             "destination_time": state.now(), "object": "time_machine"}}


def travel_forward(call: Call) -> dict[str, Any]:
    state = call.state
    if call.path["name"] != TIME_MACHINE:
        raise not_found()
    travel(state, call.params.integer("destination_time", required=True, minimum=0))
    return time_machine(call)


ROUTES = [
    endpoint("POST", "/subscriptions/{id:str}/usages", create_usage, "createUsage"),
    endpoint("GET", "/subscriptions/{id:str}/usages", retrieve_usage, "retrieveUsage"),
    endpoint("GET", "/usages", list_usages, "listUsages"),
    endpoint("GET", "/events", list_events, "listEvents"),
    endpoint("GET", "/events/{id:str}", retrieve_event, "retrieveEvent"),
    endpoint("GET", "/time_machines/{name:str}", time_machine, "retrieveTimeMachine"),
    endpoint("POST", "/time_machines/{name:str}/travel_forward", travel_forward, "travelForwardTimeMachine"),
]
