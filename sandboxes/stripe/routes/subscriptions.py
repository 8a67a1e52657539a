"""Subscriptions: create (with one-offs and an optional trial), update with prorations, cancel, list.

A ``trial_end`` in the future starts the subscription ``trialing``: its first invoice bills the licensed items at
zero (one-off items at their price), the billing cycle is anchored at ``trial_end``, and the first paid period is
billed when a test clock passes it.
"""

from __future__ import annotations

import copy
from typing import Any

from ..cycles import bill_period, end_metered_price, next_period_end, proration_items, snapshot_items
from ..errors import StripeError, invalid, missing
from ..invoicing import advance, attach_pending, new_invoice
from ..one_off import add_one_offs, parse_one_offs
from ..params import Params
from ..state import StripeState
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response

__all__ = ["ROUTES"]

BEHAVIORS = ("always_invoice", "create_prorations", "none")
COLLECTION = ("charge_automatically", "send_invoice")


def _price(state: StripeState, p: Params) -> dict[str, Any]:
    price = state.get("price", p.text("price", required=True), p.name("price"))
    if price["type"] != "recurring":
        raise invalid(p.name("price"), "The price specified is set to `type=one_time` but this field only "
                      "accepts prices with `type=recurring`.")
    return price


def _new_item(state: StripeState, sub_id: str, p: Params, now: int) -> dict[str, Any]:
    p.allow("price", "quantity", "metadata")
    price = _price(state, p)
    metered = price["recurring"]["usage_type"] == "metered"
    if metered and p.has("quantity"):
        raise invalid(p.name("quantity"), "Quantity should not be specified where usage_type is `metered`. "
                      "Remove quantity from the request.")
    item = {"id": state.ids.new("si"), "object": "subscription_item", "billing_thresholds": None, "created": now,
            "discounts": [], "metadata": p.metadata() or {}, "price": copy.deepcopy(price),
            "subscription": sub_id, "tax_rates": []}
    if not metered:
        item["quantity"] = p.integer("quantity", default=1, minimum=0)
    return item


def _check_items(items: list[dict[str, Any]]) -> None:
    if not items:
        raise missing("items")
    first = items[0]["price"]
    for item in items:
        price = item["price"]
        if (price["recurring"]["interval"], price["recurring"]["interval_count"]) != (
                first["recurring"]["interval"], first["recurring"]["interval_count"]):
            raise invalid("items", "Currency and interval fields must match across all plans on this subscription.")
        if price["currency"] != first["currency"]:
            raise invalid("items", "Currency and interval fields must match across all plans on this subscription.")


TWO_YEARS = 730 * 86400


def _trial_end(p: Params, now: int) -> int | None:
    """``trial_end``: a future unix time at most two years away, or ``now`` (no trial)."""
    if not p.has("trial_end") or p.text("trial_end") == "now":
        return None
    end = p.integer("trial_end")
    if end is None or end <= now:
        raise invalid("trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future.",
                      "parameter_invalid_integer")
    if end > now + TWO_YEARS:
        raise invalid("trial_end", "Invalid timestamp: can be no more than two years in the future.",
                      "parameter_invalid_integer")
    return end


def _sub_shell(call: Call, p: Params, cust: dict[str, Any], now: int) -> dict[str, Any]:
    sid = call.state.new_id("subscription")
    return {
        "id": sid, "object": "subscription", "application": None, "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None}, "billing_cycle_anchor": now,
        "billing_cycle_anchor_config": None, "billing_thresholds": None, "cancel_at": None,
        "cancel_at_period_end": False, "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": p.enum("collection_method", COLLECTION, default="charge_automatically"),
        "created": now, "currency": "usd", "current_period_end": now, "current_period_start": now,
        "customer": cust["id"], "days_until_due": p.integer("days_until_due", minimum=0),
        "default_payment_method": None, "default_source": None, "default_tax_rates": [],
        "description": p.text("description"), "discount": None, "discounts": [], "ended_at": None,
        "items": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                  "url": f"/v1/subscription_items?subscription={sid}"},
        "latest_invoice": None, "livemode": False, "metadata": {}, "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None, "pause_collection": None, "payment_settings": None,
        "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None,
        "schedule": None, "start_date": now, "status": "active", "test_clock": cust.get("test_clock"),
        "transfer_data": None, "trial_end": None, "trial_settings": None, "trial_start": None,
    }


def _billing_mode(p: Params) -> dict[str, Any]:
    """``billing_mode[type]``: ``classic`` (the default) or ``flexible`` (bills a replaced metered price's usage)."""
    mode = p.sub("billing_mode")
    kind = mode.allow("type").enum("type", ("classic", "flexible"), required=True) if mode else "classic"
    return {"type": kind, "updated_at": None}


def create(call: Call) -> dict[str, Any]:
    """A new subscription, billed at once for its first period (or trial) plus any ``add_invoice_items``."""
    p = call.params.allow("customer", "items", "collection_method", "days_until_due", "proration_behavior",
                          "payment_behavior", "metadata", "description", "billing_cycle_anchor", "add_invoice_items",
                          "trial_end", "billing_mode")
    cust = call.state.get("customer", p.text("customer", required=True), "customer")
    p.enum("proration_behavior", BEHAVIORS)
    p.enum("payment_behavior", ("allow_incomplete", "default_incomplete", "error_if_incomplete",
                                "pending_if_incomplete"))
    now = call.state.now(cust)
    trial_end = _trial_end(p, now)
    sub = _sub_shell(call, p, cust, now)
    sub["billing_mode"] = _billing_mode(p)
    sub["items"]["data"] = [_new_item(call.state, sub["id"], item, now) for item in p.subs("items")]
    _check_items(sub["items"]["data"])
    sub["items"]["total_count"] = len(sub["items"]["data"])
    sub["currency"] = sub["items"]["data"][0]["price"]["currency"]
    if trial_end is not None:
        sub.update(status="trialing", trial_start=now, trial_end=trial_end, billing_cycle_anchor=trial_end,
                   current_period_end=trial_end)
    else:
        sub["current_period_end"] = next_period_end(sub, now)
    one_offs = parse_one_offs(call.state, p.subs("add_invoice_items"), sub["currency"],
                              (now, sub["current_period_end"]), now)
    apply_metadata(sub, p)
    call.state.add(sub)
    emit(call.state, "customer.subscription.created", sub)
    add_one_offs(call.state, sub, one_offs)
    bill_period(call.state, sub, (now, sub["current_period_end"]), "subscription_create",
                trial=trial_end is not None)
    return sub


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("subscription", call.path["subscription_exposed_id"])


def _change_item(call: Call, sub: dict[str, Any], p: Params, at: int, behavior: str) -> list[dict[str, Any]]:
    p.allow("id", "price", "quantity", "deleted", "metadata", "clear_usage")
    existing = {si["id"]: si for si in sub["items"]["data"]}
    if not p.has("id"):
        si = _new_item(call.state, sub["id"], p, at)
        sub["items"]["data"].append(si)
        call.state.metered_from[si["id"]] = call.state.now(sub["customer"])  # a meter counts from when it is added
        old: tuple[Any, int] = (None, 0)
    else:
        si = existing.get(p.text("id") or "")
        if si is None:
            raise StripeError(404, f"No such subscription_item: '{p.text('id')}'", code="resource_missing",
                              param=p.name("id"))
        old = (copy.deepcopy(si["price"]), si.get("quantity") or 0)
        now = call.state.now(sub["customer"])
        if p.flag("deleted", False):
            sub["items"]["data"].remove(si)
            end_metered_price(call.state, sub, si, old[0], now, behavior)
            new: tuple[Any, int] = (None, 0)
            return [] if behavior == "none" else proration_items(call.state, sub, si, old, new, at)
        if p.has("price"):
            si["price"] = copy.deepcopy(_price(call.state, p))
            if si["price"]["id"] != old[0]["id"]:
                end_metered_price(call.state, sub, si, old[0], now, behavior)
        if p.has("quantity"):
            si["quantity"] = p.integer("quantity", minimum=0)
        apply_metadata(si, p)
    new = (si["price"], si.get("quantity") or 0)
    if behavior == "none" or (old[0] is not None and old[0]["id"] == new[0]["id"] and old[1] == new[1]):
        return []
    return proration_items(call.state, sub, si, old, new, at)


def _proration_date(p: Params, sub: dict[str, Any], now: int) -> int:
    at = p.integer("proration_date", default=now)
    if not sub["current_period_start"] <= at <= sub["current_period_end"]:
        raise invalid("proration_date", "The proration date must be within the current billing period.")
    return at


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow("items", "proration_behavior", "proration_date", "cancel_at_period_end", "metadata",
                          "collection_method", "days_until_due", "description", "payment_behavior")
    sub = call.state.get("subscription", call.path["subscription_exposed_id"])
    if sub["status"] == "canceled":
        raise StripeError(400, "A canceled subscription can only update its cancellation_details and metadata.",
                          param="items")
    behavior = p.enum("proration_behavior", BEHAVIORS, default="create_prorations")
    at = _proration_date(p, sub, call.state.now(sub["customer"]))
    previous: dict[str, Any] = {"items": snapshot_items(sub)} if p.has("items") else {}
    prorations = [pi for item in p.subs("items") for pi in _change_item(call, sub, item, at, behavior)]
    _check_items(sub["items"]["data"])
    sub["items"]["total_count"] = len(sub["items"]["data"])
    if p.has("cancel_at_period_end"):
        previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
        flag = bool(p.flag("cancel_at_period_end"))
        sub.update(cancel_at_period_end=flag, cancel_at=sub["current_period_end"] if flag else None,
                   canceled_at=call.state.now(sub["customer"]) if flag else None)
    for key in ("collection_method", "days_until_due", "description"):
        if p.has(key):
            previous[key] = sub[key]
    if p.has("collection_method"):
        sub["collection_method"] = p.enum("collection_method", COLLECTION)
    if p.has("days_until_due"):
        sub["days_until_due"] = p.integer("days_until_due", minimum=0)
    if p.has("description"):
        sub["description"] = p.text("description") or None
    apply_metadata(sub, p)
    if behavior == "always_invoice" and prorations:
        _invoice_now(call.state, sub, "subscription_update", proration_date=at)
    emit(call.state, "customer.subscription.updated", sub, previous)
    return sub


def _invoice_now(state: StripeState, sub: dict[str, Any], reason: str, proration_date: int | None = None) -> None:
    cust = state.objects["customer"][sub["customer"]]
    inv = new_invoice(state, cust, subscription=sub, reason=reason, collection_method=sub["collection_method"],
                      days_until_due=sub["days_until_due"], currency=sub["currency"])
    if proration_date is not None:
        inv["subscription_proration_date"] = proration_date
    attach_pending(state, inv, sub["id"])
    emit(state, "invoice.created", inv)
    sub["latest_invoice"] = inv["id"]
    advance(state, inv)


def cancel(call: Call) -> dict[str, Any]:
    p = call.params.allow("invoice_now", "prorate", "cancellation_details")
    sub = call.state.get("subscription", call.path["subscription_exposed_id"])
    if sub["status"] == "canceled":
        raise StripeError(400, f"No such subscription: '{sub['id']}'", code="resource_missing", param="id")
    now = call.state.now(sub["customer"])
    if p.flag("prorate", False):
        for si in sub["items"]["data"]:
            proration_items(call.state, sub, si, (si["price"], si.get("quantity") or 0), (None, 0), now)
    if p.flag("invoice_now", False):
        _invoice_now(call.state, sub, "subscription_cycle")
    previous = {"status": sub["status"]}
    sub.update(status="canceled", canceled_at=now, ended_at=now)
    sub["cancellation_details"]["reason"] = "cancellation_requested"
    emit(call.state, "customer.subscription.deleted", sub, previous)
    return sub


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "customer", "price", "status", "test_clock")
    customer, status = p.text("customer"), p.text("status")
    return list_response(call.state, p, "subscription", "/v1/subscriptions", lambda s: (
        (customer is None or s["customer"] == customer)
        and (status == "all" or (status is None and s["status"] != "canceled") or s["status"] == status)))


ROUTES = [
    endpoint("POST", "/v1/subscriptions", create, "PostSubscriptions"),
    endpoint("GET", "/v1/subscriptions", list_, "GetSubscriptions"),
    endpoint("GET", "/v1/subscriptions/{subscription_exposed_id:str}", retrieve, "GetSubscriptionsId"),
    endpoint("POST", "/v1/subscriptions/{subscription_exposed_id:str}", update, "PostSubscriptionsId"),
    endpoint("DELETE", "/v1/subscriptions/{subscription_exposed_id:str}", cancel, "DeleteSubscriptionsId"),
]
