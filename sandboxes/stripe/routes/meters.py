"""Billing meters (``/v1/billing/meters``) and meter events (``/v1/billing/meter_events``)."""

from __future__ import annotations

from typing import Any

from ..errors import StripeError, invalid
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, list_response

__all__ = ["ROUTES"]


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow("display_name", "event_name", "default_aggregation", "customer_mapping",
                          "value_settings", "event_time_window")
    agg = p.sub("default_aggregation", required=True)
    assert agg is not None
    agg.allow("formula")
    mapping = p.sub("customer_mapping")
    value = p.sub("value_settings")
    now = call.state.now()
    event_name = p.text("event_name", required=True)
    if any(m["event_name"] == event_name and m["status"] == "active"
           for m in call.state.objects["billing.meter"].values()):
        raise invalid("event_name", f"An active meter with event_name `{event_name}` already exists.", None)
    meter = {
        "id": call.state.new_id("billing.meter"), "object": "billing.meter", "created": now,
        "customer_mapping": {"event_payload_key": (mapping.text("event_payload_key") if mapping else None)
                             or "stripe_customer_id", "type": "by_id"},
        "default_aggregation": {"formula": agg.enum("formula", ("count", "sum"), required=True)},
        "display_name": p.text("display_name", required=True), "event_name": event_name,
        "event_time_window": p.enum("event_time_window", ("day", "hour")), "livemode": False,
        "status": "active", "status_transitions": {"deactivated_at": None}, "updated": now,
        "value_settings": {"event_payload_key": (value.text("event_payload_key") if value else None) or "value"},
    }
    return call.state.add(meter)


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("billing.meter", call.path["id"])


def _status(call: Call, status: str) -> dict[str, Any]:
    call.params.allow()
    meter = call.state.get("billing.meter", call.path["id"])
    now = call.state.now()
    meter.update(status=status, updated=now)
    meter["status_transitions"]["deactivated_at"] = now if status == "inactive" else None
    return meter


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "status")
    status = p.text("status")
    return list_response(call.state, p, "billing.meter", "/v1/billing/meters",
                         lambda m: status is None or m["status"] == status)


def meter_event(call: Call) -> dict[str, Any]:
    p = call.params.allow("event_name", "payload", "identifier", "timestamp")
    name = p.text("event_name", required=True)
    payload = p.sub("payload", required=True)
    assert payload is not None
    meter = next((m for m in call.state.objects["billing.meter"].values()
                  if m["event_name"] == name and m["status"] == "active"), None)
    if meter is None:
        raise invalid("event_name", f"No active meter was found that matches the event name `{name}`.", None)
    customer = payload.text(meter["customer_mapping"]["event_payload_key"], required=True)
    cust = call.state.get("customer", customer, payload.name(meter["customer_mapping"]["event_payload_key"]))
    raw_value = payload.text(meter["value_settings"]["event_payload_key"])
    try:
        float(raw_value) if raw_value is not None else None
    except ValueError:
        raise invalid(payload.name("value"), f"Invalid numeric value: {raw_value}", None) from None
    identifier = p.text("identifier") or call.state.ids.new("")
    if any(e["identifier"] == identifier for e in call.state.objects["billing.meter_event"].values()):
        raise StripeError(400, f"An event already exists with identifier {identifier}.",
                          code="resource_already_exists", param="identifier")
    event = {"object": "billing.meter_event", "created": call.state.now(cust), "event_name": name,
             "identifier": identifier, "livemode": False, "payload": dict(payload.data),
             "timestamp": p.integer("timestamp", default=call.state.now(cust))}
    call.state.objects["billing.meter_event"][identifier] = event
    return event


def summaries(call: Call) -> dict[str, Any]:
    p = call.params.allow("customer", "start_time", "end_time", "limit", "starting_after", "ending_before",
                          "value_grouping_window")
    meter = call.state.get("billing.meter", call.path["id"])
    customer = p.text("customer", required=True)
    start, end = p.integer("start_time", required=True), p.integer("end_time", required=True)
    events = [e for e in call.state.objects["billing.meter_event"].values()
              if e["event_name"] == meter["event_name"] and start <= e["timestamp"] < end
              and e["payload"].get(meter["customer_mapping"]["event_payload_key"]) == customer]
    key = meter["value_settings"]["event_payload_key"]
    value = len(events) if meter["default_aggregation"]["formula"] == "count" else sum(
        float(e["payload"].get(key, 0)) for e in events)
    summary = {"id": f"mtrusg_{meter['id']}_{start}", "object": "billing.meter_event_summary",
               "aggregated_value": value, "end_time": end, "livemode": False, "meter": meter["id"],
               "start_time": start}
    return {"object": "list", "data": [summary], "has_more": False,
            "url": f"/v1/billing/meters/{meter['id']}/event_summaries"}


ROUTES = [
    endpoint("POST", "/v1/billing/meters", create, "PostBillingMeters"),
    endpoint("GET", "/v1/billing/meters", list_, "GetBillingMeters"),
    endpoint("GET", "/v1/billing/meters/{id:str}", retrieve, "GetBillingMetersId"),
    endpoint("POST", "/v1/billing/meters/{id:str}/deactivate", lambda c: _status(c, "inactive"),
             "PostBillingMetersIdDeactivate"),
    endpoint("POST", "/v1/billing/meters/{id:str}/reactivate", lambda c: _status(c, "active"),
             "PostBillingMetersIdReactivate"),
    endpoint("GET", "/v1/billing/meters/{id:str}/event_summaries", summaries, "GetBillingMetersIdEventSummaries"),
    endpoint("POST", "/v1/billing/meter_events", meter_event, "PostBillingMeterEvents"),
]
