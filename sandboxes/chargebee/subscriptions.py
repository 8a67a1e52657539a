"""Subscription items: validation, amounts, and the invoice lines of first terms, renewals, usage and changes.

One plan item price per subscription; addons share the plan's billing period and every price the
subscription's currency (Product Catalog 2.0 rules). Recurring items bill in advance for the term, metered
items in arrears from recorded usages, charges once when added.
"""

from __future__ import annotations

from typing import Any

from .billing import line_item
from .errors import ChargebeeError, blank, invalid_state, wrong_value
from .params import Params
from .pricing import price_amount, prorate
from .state import ChargebeeState

__all__ = ["build_items", "change_lines", "check_items", "is_metered", "item_amount", "term_lines", "usage_lines"]


def _price(state: ChargebeeState, si: dict[str, Any]) -> dict[str, Any]:
    return state.objects["item_price"][si["item_price_id"]]


def is_metered(state: ChargebeeState, si: dict[str, Any]) -> bool:
    """Whether the item behind a subscription item is metered (billed from usages)."""
    return bool(state.objects["item"][_price(state, si)["item_id"]].get("metered"))


def _effective(price: dict[str, Any], unit_price: int | None) -> dict[str, Any]:
    return price if unit_price is None else {**price, "price": unit_price}


def item_amount(state: ChargebeeState, si: dict[str, Any], quantity: int | None = None) -> int:
    """Full-term amount of a subscription item (its quantity unless one is given)."""
    price = _effective(_price(state, si), si.get("unit_price"))
    qty = si.get("quantity", 1) if quantity is None else quantity
    return price_amount(price, qty)


_EVENTS = ("subscription_creation", "subscription_trial_start", "plan_activation", "subscription_activation",
           "contract_termination", "on_demand")
_AT_START = ("subscription_creation", "plan_activation", "subscription_activation")
"""Events of a subscription's creation or start (no trials here; a future subscription's are at its creation)."""


def _charge_terms(row: Params, price: dict[str, Any], creating: bool) -> dict[str, Any]:
    """When a charge item price is charged: ``immediately`` (the default) or ``on_event``.

    A charge applied ``on_event`` of the subscription's start is charged at creation, like an immediate one;
    charges waiting for a later event (trial start, contract termination, on demand), or charged each time
    their event recurs, are not emulated and are refused.
    """
    terms = ("charge_on_option", "charge_on_event", "charge_once")
    if price["item_type"] != "charge":
        for key in terms:
            if row.has(key):
                raise wrong_value(row.name(key), "is applicable only for charge item prices")
        return {}
    option = row.enum("charge_on_option", ("immediately", "on_event"), default="immediately")
    once = row.boolean("charge_once", default=True)
    if option == "immediately":
        if row.has("charge_on_event"):
            raise wrong_value(row.name("charge_on_event"), "can be passed only when charge_on_option is on_event")
        return {"charge_once": once, "charge_on_option": option}
    event = row.enum("charge_on_event", _EVENTS, required=True)
    if not (creating and once and event in _AT_START):
        raise wrong_value(row.name("charge_on_event"), "the sandbox emulates on_event charges only when charged "
                          "once at the start of a new subscription")
    return {"charge_once": once, "charge_on_option": option, "charge_on_event": event}


def _one(state: ChargebeeState, row: Params, creating: bool) -> dict[str, Any]:
    price_id = row.text("item_price_id", required=True)
    price = state.get("item_price", price_id, row.name("item_price_id"))
    if price["status"] != "active":
        raise invalid_state(f"Item price {price_id} is not active")
    kind = row.enum("item_type", ("plan", "addon", "charge"))
    if kind is not None and kind != price["item_type"]:
        raise wrong_value(row.name("item_type"), f"Item price {price_id} belongs to a {price['item_type']} item")
    metered = bool(state.objects["item"][price["item_id"]].get("metered"))
    si: dict[str, Any] = {"item_price_id": price_id, "item_type": price["item_type"], "object": "subscription_item"}
    unit_price = row.integer("unit_price", minimum=0)
    if unit_price is not None and price["pricing_model"] not in ("flat_fee", "per_unit"):
        raise wrong_value(row.name("unit_price"), "cannot be passed for tiered pricing models")
    si["unit_price"] = unit_price if unit_price is not None else price.get("price")
    if si["unit_price"] is None:
        si.pop("unit_price")
    if not metered:
        default = 1 if price["pricing_model"] != "flat_fee" else None
        qty = row.integer("quantity", minimum=1, default=default)
        if price["pricing_model"] == "flat_fee" and qty not in (None, 1):
            raise wrong_value(row.name("quantity"), "should not be passed for flat_fee item prices")
        si["quantity"] = qty or 1
        si["amount"] = item_amount(state, si)
    else:
        if row.has("quantity"):
            raise wrong_value(row.name("quantity"), "cannot be passed for metered item prices")
        si["amount"] = 0
    si["free_quantity"] = price.get("free_quantity", 0)
    si.update(_charge_terms(row, price, creating))
    return si


def build_items(state: ChargebeeState, rows: list[Params], creating: bool = True) -> list[dict[str, Any]]:
    """Subscription items from ``subscription_items[...][i]`` rows (each checked on its own).

    ``subscription_items[item_type][i]`` may say which kind of item each row is; it must be the item price's.
    """
    if not rows:
        raise blank("subscription_items[item_price_id][0]")
    return [_one(state, row, creating) for row in rows]


def check_items(state: ChargebeeState, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Check the set: exactly one plan, unique items, one period and currency. Returns the plan's price."""
    plans = [si for si in items if si["item_type"] == "plan"]
    if len(plans) != 1:
        raise ChargebeeError(400, "Exactly one plan item price should be present" if plans else
                             "A plan item price is required", "param_wrong_value",
                             param="subscription_items[item_price_id]")
    plan = _price(state, plans[0])
    seen: set[str] = set()
    for index, si in enumerate(items):
        price = _price(state, si)
        param = f"subscription_items[item_price_id][{index}]"
        if price["item_id"] in seen:
            raise wrong_value(param, f"Item {price['item_id']} is present more than once")
        seen.add(price["item_id"])
        if price["currency_code"] != plan["currency_code"]:
            raise wrong_value(param, "All item prices should have the same currency")
        recurring = si["item_type"] != "charge"
        if recurring and (price["period"], price["period_unit"]) != (plan["period"], plan["period_unit"]):
            raise wrong_value(param, "Addon item price billing period should match the plan's billing period")
    return plan


def _description(state: ChargebeeState, si: dict[str, Any], suffix: str = "") -> str:
    price = _price(state, si)
    return str(price.get("external_name") or price["name"]) + suffix


def term_lines(state: ChargebeeState, sub: dict[str, Any], items: list[dict[str, Any]], period: tuple[int, int]
               ) -> list[dict[str, Any]]:
    """Advance charges for a term: every non-metered item at its full amount (charges dated now)."""
    lines = []
    for si in items:
        if is_metered(state, si):
            continue
        span = period if si["item_type"] != "charge" else (state.now(), state.now())
        lines.append(line_item(state, _price(state, si), si.get("quantity", 1), item_amount(state, si), span,
                               _description(state, si), sub["id"], sub["customer_id"]))
    return lines


def usage_lines(state: ChargebeeState, sub: dict[str, Any], period: tuple[int, int]) -> list[dict[str, Any]]:
    """Arrears charges for metered items: usages dated in ``period`` and not yet invoiced."""
    lines = []
    for si in sub["subscription_items"]:
        if not is_metered(state, si):
            continue
        usages = [u for u in state.objects["usage"].values()
                  if u["subscription_id"] == sub["id"] and u["item_price_id"] == si["item_price_id"]
                  and period[0] <= u["usage_date"] < period[1] and u.get("invoice_id") is None
                  and not u.get("deleted")]
        qty = sum(int(u["quantity"]) for u in usages)
        if not usages:
            continue
        line = line_item(state, _price(state, si), qty, item_amount(state, si, qty), period,
                         _description(state, si), sub["id"], sub["customer_id"], metered=True)
        for usage in usages:
            usage["line_item_id"] = line["id"]
        lines.append(line)
    return lines


def change_lines(state: ChargebeeState, sub: dict[str, Any], old: list[dict[str, Any]], new: list[dict[str, Any]],
                 prorated: bool, at: int | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Prorated charges for new/changed items and credits for removed/changed ones, on the rest of the term.

    Follows Chargebee's documented method: credit ``old amount x remaining / term`` for what was paid and
    charge ``new amount x remaining / term`` for what replaces it, to the second. Unchanged items give
    nothing; charge items bill in full; metered items settle from usages at renewal. ``at`` is when the
    change takes effect (a backdated ``changes_scheduled_at``); the site's current time by default.
    """
    start, end, now = sub["current_term_start"], sub["current_term_end"], state.now() if at is None else at
    if not start <= now < end:
        raise invalid_state("The subscription's current term does not include the current time")
    term, remaining = end - start, end - now
    before = {si["item_price_id"]: si for si in old if not is_metered(state, si)}
    after = {si["item_price_id"]: si for si in new if not is_metered(state, si)}
    charges, credits = [], []
    for pid, si in after.items():
        if si["item_type"] == "charge":
            charges += term_lines(state, sub, [si], (now, now))
            continue
        if pid in before and before[pid].get("quantity") == si.get("quantity") and \
                before[pid].get("unit_price") == si.get("unit_price"):
            continue
        if prorated:
            amount = prorate(item_amount(state, si), remaining, term)
            charges.append(line_item(state, _price(state, si), si.get("quantity", 1), amount, (now, end),
                                     _description(state, si, " - Prorated Charges"), sub["id"], sub["customer_id"]))
    for pid, si in before.items():
        unchanged = pid in after and after[pid].get("quantity") == si.get("quantity") and \
            after[pid].get("unit_price") == si.get("unit_price")
        if prorated and not unchanged and si["item_type"] != "charge":
            amount = prorate(item_amount(state, si), remaining, term)
            credits.append(line_item(state, _price(state, si), si.get("quantity", 1), amount, (now, end),
                                     _description(state, si, " - Prorated Credits"), sub["id"], sub["customer_id"]))
    return charges, credits
