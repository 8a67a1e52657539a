"""Subscriptions for items: create, retrieve, list, update, cancel, remove a scheduled cancellation.

``update_for_items`` takes ``change_option`` ``immediately`` (the default), ``end_of_term`` (or the older
``end_of_term=true``) or ``specific_date`` with ``changes_scheduled_at``. A ``specific_date`` at or before the
site's current time is a *backdated* change: applied now, prorated as of ``changes_scheduled_at``, which
Chargebee allows on or after ``current_term_start`` and on or after the subscription's last item change.
(Chargebee also needs backdating enabled in the site settings and bounds how far back a change may reach;
this sandbox's site has it enabled with no bound. A ``specific_date`` in the future, which Chargebee schedules,
is refused here: the sandbox does not schedule mid-term changes.) ``meta_data`` replaces the subscription's.
Charge item prices among ``subscription_items`` (a setup fee) are billed once, at once, and kept under the
subscription's ``charged_items`` rather than its ``subscription_items``.

A ``start_date`` in the future makes a ``future`` subscription: it has no term and bills nothing recurring until
the site's clock reaches that moment (``cycles.travel`` starts it, billing its first term then); its charge
items are still charged at creation. Its items may be changed (without proration) and it may be cancelled
at once. A ``start_date`` at or before now would backdate the subscription, which the sandbox's site does not
allow.
"""

from __future__ import annotations

import re
from typing import Any

from ..cycles import settle
from ..errors import duplicate, invalid_state, wrong_value
from ..events import emit
from ..params import Params
from ..pricing import next_term_end
from ..state import ChargebeeState
from ..subscriptions import build_items, change_lines, check_items, item_amount, term_lines, usage_lines
from ..wire import Call, endpoint
from ._common import list_response, parse_meta_data

__all__ = ["ROUTES"]

_ID = re.compile(r"^[A-Za-z0-9_\-.]{1,50}$")
_MONTHLY = {"day": 365 / 12, "week": 52 / 12, "month": 1.0, "year": 1 / 12}


def _entry(state: ChargebeeState, sub: dict[str, Any]) -> dict[str, Any]:
    return {"subscription": sub, "customer": state.objects["customer"][sub["customer_id"]]}


def _result(state: ChargebeeState, sub: dict[str, Any], invoice: dict[str, Any] | None,
            notes: list[dict[str, Any]], unbilled: list[dict[str, Any]]) -> dict[str, Any]:
    body = _entry(state, sub)
    if invoice is not None:
        body["invoice"] = invoice
    if notes:
        body["credit_notes"] = notes
    if unbilled:
        body["unbilled_charges"] = unbilled
    return body


def _set_items(state: ChargebeeState, sub: dict[str, Any], items: list[dict[str, Any]]) -> None:
    now = state.now()
    sub["subscription_items"] = [si for si in items if si["item_type"] != "charge"]
    charged = {c["item_price_id"]: c for c in sub.get("charged_items", [])}
    charged.update({si["item_price_id"]: {"item_price_id": si["item_price_id"], "last_charged_at": now}
                    for si in items if si["item_type"] == "charge"})
    if charged:
        sub["charged_items"] = list(charged.values())
    monthly = sum(item_amount(state, si) for si in sub["subscription_items"] if "quantity" in si)
    sub["mrr"] = round(monthly * _MONTHLY[sub["billing_period_unit"]] / sub["billing_period"])


def _new_subscription(state: ChargebeeState, p: Params, customer: dict[str, Any],
                      plan: dict[str, Any]) -> dict[str, Any]:
    sid = p.text("id")
    if sid is not None and not _ID.match(sid):
        raise wrong_value("id", "invalid value")
    if sid is not None and sid in state.objects["subscription"]:
        raise duplicate("id", sid)
    now = state.now()
    end = next_term_end(now, plan["period_unit"], plan["period"], now)
    start = p.integer("start_date", minimum=0)
    if start is not None and start <= now:
        raise wrong_value("start_date", "cannot be earlier than the current time: backdating is not enabled")
    sub: dict[str, Any] = {
        "id": sid or state.new_id(), "billing_period": plan["period"], "billing_period_unit": plan["period_unit"],
        "customer_id": customer["id"], "status": "active", "current_term_start": now, "current_term_end": end,
        "next_billing_at": end, "created_at": now, "started_at": now, "activated_at": now,
        "has_scheduled_changes": False, "channel": "web", "object": "subscription", "deleted": False,
        "currency_code": plan["currency_code"], "exchange_rate": 1.0, "base_currency_code": plan["currency_code"],
        "auto_collection": p.enum("auto_collection", ("on", "off"), default=customer["auto_collection"]),
        "due_invoices_count": 0, "total_dues": 0,
    }
    if start is not None:
        for key in ("current_term_start", "current_term_end", "started_at", "activated_at"):
            del sub[key]
        sub.update(status="future", start_date=start, next_billing_at=start)
    if p.has("po_number"):
        sub["po_number"] = p.text("po_number")
    if (meta := parse_meta_data(p)) is not None:
        sub["meta_data"] = meta
    if p.boolean("create_pending_invoices", default=False):
        sub.update(create_pending_invoices=True, auto_close_invoices=p.boolean("auto_close_invoices", default=False))
    elif p.has("first_invoice_pending") or p.has("auto_close_invoices"):
        raise wrong_value("first_invoice_pending" if p.has("first_invoice_pending") else "auto_close_invoices",
                          "can be passed only when create_pending_invoices is true")
    return sub


def create(call: Call) -> dict[str, Any]:
    state, p = call.state, call.params
    customer = state.get("customer", call.path["id"])
    items = build_items(state, p.rows("subscription_items"))
    plan = check_items(state, items)
    sub = _new_subscription(state, p, customer, plan)
    _set_items(state, sub, items)
    state.add(state.touch(sub))
    if sub["status"] == "future":  # only its charges are billed before it starts
        lines = term_lines(state, sub, [si for si in items if si["item_type"] == "charge"],
                           (sub["created_at"], sub["created_at"]))
    else:
        lines = term_lines(state, sub, items, (sub["current_term_start"], sub["current_term_end"]))
    invoice, notes, unbilled = settle(state, sub, lines, [], p.boolean("invoice_immediately", default=True),
                                      first=True, pending=p.boolean("first_invoice_pending", default=False))
    state.items_changed_at[sub["id"]] = sub["created_at"]
    state.touch(sub)
    emit(state, "subscription_created", {"subscription": sub, "customer": customer, "invoice": invoice})
    return _result(state, sub, invoice, notes, unbilled)


def retrieve(call: Call) -> dict[str, Any]:
    return _entry(call.state, call.state.get("subscription", call.path["id"]))


def list_(call: Call) -> dict[str, Any]:
    return list_response(call.state, call.params, "subscription", lambda s: _entry(call.state, s),
                         ("id", "customer_id", "status", "created_at", "updated_at", "next_billing_at",
                          "cancelled_at", "activated_at"))


def _item_of(state: ChargebeeState, si: dict[str, Any]) -> str:
    return str(state.objects["item_price"][si["item_price_id"]]["item_id"])


def _merge(state: ChargebeeState, old: list[dict[str, Any]], rows: list[dict[str, Any]], replace: bool
           ) -> list[dict[str, Any]]:
    """Items after the change: a row replaces the entry of the same item (or the plan, for a plan row)."""
    if replace:
        return rows
    result = [dict(si) for si in old]
    for row in rows:
        match = [i for i, si in enumerate(result) if _item_of(state, si) == _item_of(state, row)
                 or (row["item_type"] == "plan" and si["item_type"] == "plan")]
        if match:
            result[match[0]] = row
        else:
            result.append(row)
    return result


def _live(state: ChargebeeState, sid: str, future: bool = False) -> dict[str, Any]:
    """The subscription ``sid`` when it is running (or, with ``future``, yet to start)."""
    sub = state.get("subscription", sid)
    if sub["status"] not in ("active", "non_renewing") + (("future",) if future else ()):
        raise invalid_state(f"Subscription is in {sub['status']} state")
    return sub


def _effective_at(state: ChargebeeState, sub: dict[str, Any], p: Params) -> int | None:
    """When the change takes effect: None for the end of term, else now or a backdated moment."""
    default = "end_of_term" if p.boolean("end_of_term", default=False) else "immediately"
    option = p.enum("change_option", ("immediately", "end_of_term", "specific_date"), default=default)
    if option == "end_of_term":
        return None
    if option == "immediately":
        if p.has("changes_scheduled_at"):
            raise wrong_value("changes_scheduled_at", "can be passed only when change_option is specific_date")
        return state.now()
    at = p.integer("changes_scheduled_at", required=True, minimum=0)
    if at > state.now():
        raise wrong_value("changes_scheduled_at", "the sandbox does not schedule changes for a future date")
    if at < sub["current_term_start"]:
        raise wrong_value("changes_scheduled_at", "should be on or after the current term start")
    if at < state.items_changed_at.get(sub["id"], sub["created_at"]):
        raise wrong_value("changes_scheduled_at", "should be on or after the last change to the subscription items")
    return at


def _change_items(state: ChargebeeState, sub: dict[str, Any], p: Params, new: list[dict[str, Any]]) -> Any:
    """Apply ``new`` items now (prorated from when they take effect) or schedule them for the term end."""
    if sub["status"] == "future":  # nothing recurring was billed yet: the items are replaced, nothing prorated
        if any(si["item_type"] == "charge" for si in new) or p.has("change_option") or p.has("end_of_term"):
            raise wrong_value("change_option" if p.has("change_option") else "subscription_items[item_price_id]",
                              "a future subscription's recurring items change at once, before it starts")
        _set_items(state, sub, new)
        return None, [], []
    at = _effective_at(state, sub, p)
    if at is None:
        if any(si["item_type"] == "charge" for si in new):
            raise wrong_value("end_of_term", "charge items cannot be scheduled for the end of term")
        state.scheduled[sub["id"]] = new
        sub.update(has_scheduled_changes=True, changes_scheduled_at=sub["current_term_end"])
        return None, [], []
    charges, credits = change_lines(state, sub, sub["subscription_items"], new, p.boolean("prorate", default=True),
                                    at)
    _set_items(state, sub, new)
    state.items_changed_at[sub["id"]] = at
    return settle(state, sub, charges, credits, p.boolean("invoice_immediately", default=True))


def update_for_items(call: Call) -> dict[str, Any]:
    state, p = call.state, call.params
    sub = _live(state, call.path["id"], future=True)
    meta = parse_meta_data(p)
    invoice, notes, unbilled = None, [], []
    if p.rows("subscription_items"):
        rows = build_items(state, p.rows("subscription_items"), creating=False)
        new = _merge(state, sub["subscription_items"], rows, p.boolean("replace_items_list", default=False))
        plan = check_items(state, new)
        if plan["currency_code"] != sub["currency_code"] or \
                (plan["period"], plan["period_unit"]) != (sub["billing_period"], sub["billing_period_unit"]):
            raise wrong_value("subscription_items[item_price_id]",
                              "The plan's currency and billing period cannot change")
        invoice, notes, unbilled = _change_items(state, sub, p, new)
    if meta is not None:
        sub["meta_data"] = meta
    state.touch(sub)
    customer = state.objects["customer"][sub["customer_id"]]
    emit(state, "subscription_changed", {"subscription": sub, "customer": customer, "invoice": invoice})
    return _result(state, sub, invoice, notes, unbilled)


def remove_scheduled_cancellation(call: Call) -> dict[str, Any]:
    """A ``non_renewing`` subscription goes back to ``active`` and renews at its term end."""
    state, p = call.state, call.params
    sub = state.get("subscription", call.path["id"])
    if sub["status"] != "non_renewing":
        raise invalid_state("The subscription is not scheduled for cancellation")
    cycles = p.integer("billing_cycles", minimum=0)
    sub.update(status="active", next_billing_at=sub["current_term_end"])
    for key in ("cancelled_at", "cancel_schedule_created_at", "cancel_reason_code"):
        sub.pop(key, None)
    if cycles is not None:
        sub["remaining_billing_cycles"] = cycles
    state.touch(sub)
    customer = state.objects["customer"][sub["customer_id"]]
    emit(state, "subscription_scheduled_cancellation_removed", {"subscription": sub, "customer": customer})
    return _entry(state, sub)


def _cancel_now(state: ChargebeeState, sub: dict[str, Any], p: Params) -> tuple[Any, Any, Any]:
    credit_option = p.enum("credit_option_for_current_term_charges", ("none", "prorate"), default="none")
    now = state.now()
    started = sub["status"] != "future"  # a future subscription has billed nothing recurring to settle
    charges = usage_lines(state, sub, (sub["current_term_start"], now + 1)) if started else []
    credits = change_lines(state, sub, sub["subscription_items"], [], True)[1] \
        if credit_option == "prorate" and started else []
    settled = settle(state, sub, charges, credits, immediately=True)
    for usage in state.objects["usage"].values():
        if settled[0] is not None and usage.get("line_item_id") in {li["id"] for li in settled[0]["line_items"]}:
            usage["invoice_id"] = settled[0]["id"]
    sub.update(status="cancelled", cancelled_at=now)
    sub.pop("next_billing_at", None)
    return settled


def cancel_for_items(call: Call) -> dict[str, Any]:
    state, p = call.state, call.params
    sub = _live(state, call.path["id"], future=True)
    option = p.enum("cancel_option", ("immediately", "end_of_term"), default=None)
    at_end = p.boolean("end_of_term", default=False) or option == "end_of_term"
    if at_end and sub["status"] == "future":
        raise invalid_state("A future subscription has no term to end: cancel it immediately")
    if p.has("cancel_reason_code"):
        sub["cancel_reason_code"] = p.text("cancel_reason_code")
    customer = state.objects["customer"][sub["customer_id"]]
    if at_end:
        if sub["status"] == "non_renewing":
            raise invalid_state("Subscription is already scheduled for cancellation")
        sub.update(status="non_renewing", cancelled_at=sub["current_term_end"], cancel_schedule_created_at=state.now())
        sub.pop("next_billing_at", None)
        state.touch(sub)
        emit(state, "subscription_cancellation_scheduled", {"subscription": sub, "customer": customer})
        return _result(state, sub, None, [], [])
    invoice, notes, unbilled = _cancel_now(state, sub, p)
    state.touch(sub)
    emit(state, "subscription_cancelled", {"subscription": sub, "customer": customer, "invoice": invoice})
    return _result(state, sub, invoice, notes, unbilled)


ROUTES = [
    endpoint("POST", "/customers/{id:str}/subscription_for_items", create, "createSubscriptionForItems"),
    endpoint("GET", "/subscriptions", list_, "listSubscriptions"),
    endpoint("GET", "/subscriptions/{id:str}", retrieve, "retrieveSubscription"),
    endpoint("POST", "/subscriptions/{id:str}/update_for_items", update_for_items, "updateSubscriptionForItems"),
    endpoint("POST", "/subscriptions/{id:str}/cancel_for_items", cancel_for_items, "cancelSubscriptionForItems"),
    endpoint("POST", "/subscriptions/{id:str}/remove_scheduled_cancellation", remove_scheduled_cancellation,
             "removeScheduledCancellationForSubscription"),
]
