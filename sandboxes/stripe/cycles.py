"""Subscription billing cycles: first invoice, prorations on change, trial ends and renewals on a test clock."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from .billing import add_interval, line_amount, prorate
from .invoicing import add_line, advance, attach_pending, invoice_item, line_from_item, new_invoice
from .state import StripeState
from .webhooks import emit

__all__ = ["bill_period", "end_metered_price", "next_period_end", "proration_items", "run_clock", "usage_quantity"]


def next_period_end(sub: dict[str, Any], start: int) -> int:
    """End of the period starting at ``start`` (all items share one interval)."""
    rec = sub["items"]["data"][0]["price"]["recurring"]
    return add_interval(sub["billing_cycle_anchor"], start, rec["interval"], rec["interval_count"])


def _product_name(state: StripeState, price: dict[str, Any]) -> str:
    prod = state.objects["product"].get(price["product"])
    return prod["name"] if prod else price["product"]


def usage_quantity(state: StripeState, sub: dict[str, Any], price: dict[str, Any], start: int, end: int) -> int:
    """Aggregate the customer's meter events for a metered price over ``[start, end)``."""
    meter = state.objects["billing.meter"].get(price["recurring"].get("meter") or "")
    if meter is None:
        return 0
    key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    events = [e for e in state.objects["billing.meter_event"].values()
              if e["event_name"] == meter["event_name"] and e["payload"].get(key) == sub["customer"]
              and start <= e["timestamp"] < end]
    if meter["default_aggregation"]["formula"] == "count":
        return len(events)
    return int(sum(float(e["payload"].get(value_key, 0)) for e in events))


def _subscription_line(state: StripeState, sub: dict[str, Any], si: dict[str, Any], qty: int,
                       period: tuple[int, int], trial: bool = False) -> dict[str, Any]:
    price = si["price"]
    amount = 0 if trial else line_amount(price, qty)
    described = (f"Trial period for {_product_name(state, price)}" if trial else
                 f"{qty} \u00d7 {_product_name(state, price)} (at ${amount / 100:.2f} / "
                 f"{price['recurring']['interval']})")
    fake = {"amount": amount, "currency": price["currency"], "period": {"start": period[0], "end": period[1]},
            "description": described,
            "price": price, "quantity": qty, "subscription": sub["id"], "subscription_item": si["id"],
            "unit_amount_decimal": price.get("unit_amount_decimal"), "metadata": {}}
    return line_from_item(state, fake, kind="subscription")


def bill_period(state: StripeState, sub: dict[str, Any], period: tuple[int, int], reason: str,
                usage_period: tuple[int, int] | None = None, trial: bool = False) -> dict[str, Any]:
    """Invoice licensed items in advance for ``period`` and metered items in arrears for ``usage_period``.

    A ``trial`` period bills the licensed items at zero.
    """
    cust = state.objects["customer"][sub["customer"]]
    inv = new_invoice(state, cust, subscription=sub, reason=reason, collection_method=sub["collection_method"],
                      days_until_due=sub["days_until_due"], period=period, currency=sub["currency"])
    for si in sub["items"]["data"]:
        if si["price"]["recurring"]["usage_type"] == "licensed":
            add_line(inv, _subscription_line(state, sub, si, si.get("quantity") or 0, period, trial))
        elif usage_period is not None:
            window = (max(usage_period[0], state.metered_from.get(si["id"], usage_period[0])), usage_period[1])
            qty = usage_quantity(state, sub, si["price"], *window)
            add_line(inv, _subscription_line(state, sub, si, qty, window))
    attach_pending(state, inv, sub["id"])
    emit(state, "invoice.created", inv)
    sub["latest_invoice"] = inv["id"]
    return advance(state, inv)


def end_metered_price(state: StripeState, sub: dict[str, Any], si: dict[str, Any], price: dict[str, Any], at: int,
                      behavior: str) -> None:
    """A metered price leaves item ``si`` at ``at`` (replaced or deleted): what becomes of the usage so far.

    Flexible billing mode bills the period's usage so far at that price as a pending invoice item (unless
    ``proration_behavior=none``); classic mode never bills it. Either way the item's next usage counts from ``at``.
    """
    if price["recurring"]["usage_type"] != "metered":
        return
    start = max(sub["current_period_start"], state.metered_from.get(si["id"], sub["current_period_start"]))
    state.metered_from[si["id"]] = at
    if (sub.get("billing_mode") or {}).get("type") != "flexible" or behavior == "none" or sub["status"] == "trialing":
        return
    qty = usage_quantity(state, sub, price, start, at)
    if qty == 0:
        return
    cust = state.objects["customer"][sub["customer"]]
    invoice_item(state, cust, line_amount(price, qty), price["currency"],
                 f"{qty} \u00d7 {_product_name(state, price)} (usage until {_when(at)})", (start, at),
                 price=price, quantity=qty, subscription=sub["id"], subscription_item=si["id"])


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y")


def proration_items(state: StripeState, sub: dict[str, Any], si: dict[str, Any], old: tuple[dict[str, Any], int],
                    new: tuple[dict[str, Any], int], at: int) -> list[dict[str, Any]]:
    """Pending invoice items crediting unused time on ``old`` and charging remaining time on ``new``.

    Each side is ``full-period amount x (seconds left after at / seconds in period)``, rounded per line. A change
    during a trial costs nothing, so it makes none.
    """
    if sub["status"] == "trialing":
        return []
    cust = state.objects["customer"][sub["customer"]]
    start, end = sub["current_period_start"], sub["current_period_end"]
    items = []
    for sign, (price, qty), verb in ((-1, old, "Unused"), (1, new, "Remaining")):
        if price is None or qty == 0 or price["recurring"]["usage_type"] != "licensed":
            continue
        amount = sign * prorate(line_amount(price, qty), start, end, at)
        items.append(invoice_item(
            state, cust, amount, price["currency"],
            f"{verb} time on {qty} \u00d7 {_product_name(state, price)} after {_when(at)}", (at, end),
            price=price, quantity=qty, proration=True, subscription=sub["id"], subscription_item=si["id"],
            unit_amount=None, unit_amount_decimal=None))
    return items


def _renew(state: StripeState, sub: dict[str, Any]) -> None:
    start, end = sub["current_period_start"], sub["current_period_end"]
    if sub["cancel_at_period_end"]:
        previous = {"status": sub["status"]}
        sub.update(status="canceled", ended_at=end, canceled_at=sub["canceled_at"] or end)
        emit(state, "customer.subscription.deleted", sub, previous)
        return
    previous: dict[str, Any] = {"current_period_start": start, "current_period_end": end}
    trial_ended = sub["status"] == "trialing"
    if trial_ended:  # the first paid period begins; nothing metered was billable during the trial
        previous["status"] = "trialing"
        sub["status"] = "active"
    sub["current_period_start"], sub["current_period_end"] = end, next_period_end(sub, end)
    bill_period(state, sub, (end, sub["current_period_end"]), "subscription_cycle",
                None if trial_ended else (start, end))
    emit(state, "customer.subscription.updated", sub, previous)


def run_clock(state: StripeState, clock: dict[str, Any], target: int) -> None:
    """Advance a test clock to ``target``, billing every renewal due on the way, in time order."""
    customers = {c["id"] for c in state.objects["customer"].values() if c.get("test_clock") == clock["id"]}
    while True:
        due = [s for s in state.objects["subscription"].values()
               if s["customer"] in customers and s["status"] in ("active", "past_due", "trialing")
               and s["current_period_end"] <= target]
        if not due:
            break
        sub = min(due, key=lambda s: s["current_period_end"])
        clock["frozen_time"] = sub["current_period_end"]
        _renew(state, sub)
    clock["frozen_time"] = target


def snapshot_items(sub: dict[str, Any]) -> dict[str, Any]:
    """A copy of the items list (for ``previous_attributes``)."""
    return copy.deepcopy(sub["items"])
