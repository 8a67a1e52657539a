"""``add_invoice_items`` of ``POST /v1/subscriptions``: one-off charges on the subscription's first invoice.

Each entry names a one-time price (``price``) or describes one inline (``price_data``, which Stripe turns into
an archived one-time Price) and a ``quantity`` (default 1). Stripe makes each entry a pending invoice item
tied to the subscription, which the first invoice picks up: one ``type=invoiceitem`` line per entry, never
prorated, for ``quantity`` x the price's unit amount. The items are not subscription items and are not
billed again at renewal. An item's period defaults to the subscription's first billing period
(``max_item_period_start`` to ``min_item_period_end``); ``period[start|end]`` overrides it, as Stripe allows
since 2025-08-27.basil. Every entry is checked before anything is stored, so a refused request leaves no trace.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .billing import line_amount
from .errors import invalid, missing
from .invoicing import invoice_item
from .params import Params
from .state import StripeState
from .webhooks import emit

__all__ = ["OneOff", "add_one_offs", "parse_one_offs"]

MAX_ENTRIES = 20


@dataclass
class OneOff:
    """One checked ``add_invoice_items`` entry, not yet stored."""

    price: dict[str, Any] | None
    """A stored one-time price (``price``), or None for ``price_data``."""
    price_data: dict[str, Any] | None
    """The inline price to create (``price_data``)."""
    quantity: int
    metadata: dict[str, str]
    discountable: bool
    period: tuple[int, int]


def _inline_price(state: StripeState, p: Params) -> dict[str, Any]:
    p.allow("currency", "product", "unit_amount", "unit_amount_decimal", "tax_behavior")
    currency = (p.text("currency", required=True) or "").lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(p.name("currency"), f"Invalid currency: {currency}.", None)
    product = state.get("product", p.text("product", required=True), p.name("product"))
    unit = p.integer("unit_amount")  # add_invoice_items take negative amounts (credits), unlike items
    dec = p.decimal("unit_amount_decimal")
    if unit is not None and dec is not None:
        raise invalid(p.name("unit_amount_decimal"), "You may only specify one of these parameters: unit_amount, "
                      "unit_amount_decimal.")
    if unit is None and dec is None:
        raise missing(p.name("unit_amount"))
    return {
        "object": "price", "active": False, "billing_scheme": "per_unit", "currency": currency,
        "custom_unit_amount": None, "livemode": False, "lookup_key": None, "metadata": {}, "nickname": None,
        "product": product["id"], "recurring": None,
        "tax_behavior": p.enum("tax_behavior", ("exclusive", "inclusive", "unspecified"), default="unspecified"),
        "tiers_mode": None, "transform_quantity": None, "type": "one_time",
        "unit_amount": unit if unit is not None else (int(dec) if dec == int(dec) else None),
        "unit_amount_decimal": str(dec if dec is not None else unit),
    }


def _stored_price(state: StripeState, p: Params) -> dict[str, Any]:
    price = state.get("price", p.text("price", required=True), p.name("price"))
    if price["type"] != "one_time":
        raise invalid(p.name("price"), "The price specified is set to `type=recurring` but this field only "
                      "accepts prices with `type=one_time`.")
    if not price["active"]:
        raise invalid(p.name("price"), f"The price specified ({price['id']}) is inactive. This field only accepts "
                      "active prices.")
    return price


def _bound(p: Params, kinds: tuple[str, ...], default: int) -> int:
    p.allow("type", "timestamp")
    if p.enum("type", kinds, required=True) != "timestamp":
        if p.has("timestamp"):
            raise invalid(p.name("timestamp"), f"{p.name('timestamp')} can only be set when type is `timestamp`.")
        return default
    return int(p.integer("timestamp", required=True, minimum=0))


def _period(p: Params, first: tuple[int, int], now: int) -> tuple[int, int]:
    """``period[start|end]``; by default the subscription's first billing period."""
    period = p.sub("period")
    if period is None:
        return first
    period.allow("start", "end")
    start_p, end_p = period.sub("start", required=True), period.sub("end", required=True)
    assert start_p is not None and end_p is not None
    start = _bound(start_p, ("max_item_period_start", "now", "timestamp"),
                   first[0] if start_p.text("type") == "max_item_period_start" else now)
    end = _bound(end_p, ("min_item_period_end", "timestamp"), first[1])
    if end < start:
        raise invalid(end_p.name("timestamp"), "The period end must be greater than or equal to the period start.")
    return start, end


def _entry(state: StripeState, p: Params, currency: str, first: tuple[int, int], now: int) -> OneOff:
    p.allow("price", "price_data", "quantity", "metadata", "discountable", "period")
    if p.has("price") == p.has("price_data"):
        if p.has("price"):
            raise invalid(p.name("price_data"), "You may only specify one of these parameters: price, price_data.")
        raise missing(p.name("price"))
    data = p.sub("price_data")
    price = _stored_price(state, p) if data is None else None
    inline = _inline_price(state, data) if data is not None else None
    found = (price or inline or {})["currency"]
    if found != currency:
        raise invalid(p.name("price" if price else "price_data"), f"The price's currency ({found}) must match the "
                      f"subscription's currency ({currency}).")
    return OneOff(price=price, price_data=inline, quantity=p.integer("quantity", default=1, minimum=0),
                  metadata=p.metadata() or {}, discountable=p.flag("discountable", True),
                  period=_period(p, first, now))


def parse_one_offs(state: StripeState, entries: list[Params], currency: str, first: tuple[int, int],
                   now: int) -> list[OneOff]:
    """Check every ``add_invoice_items`` entry of a subscription in ``currency`` whose first period is ``first``."""
    if len(entries) > MAX_ENTRIES:
        raise invalid("add_invoice_items", f"You may pass up to {MAX_ENTRIES} items in add_invoice_items.")
    return [_entry(state, p, currency, first, now) for p in entries]


def add_one_offs(state: StripeState, sub: dict[str, Any], ones: list[OneOff]) -> list[dict[str, Any]]:
    """Store the entries as the subscription's pending invoice items (its first invoice takes them)."""
    cust = state.objects["customer"][sub["customer"]]
    items = []
    for one in ones:
        price = one.price
        if price is None:  # price_data: Stripe stores the inline price, archived
            price = state.add({"id": state.new_id("price"), "created": state.now(cust),
                               **copy.deepcopy(one.price_data or {})})
        product = state.objects["product"].get(price["product"])
        item = invoice_item(state, cust, line_amount(price, one.quantity), price["currency"],
                            product["name"] if product else price["product"], one.period, price=price,
                            quantity=one.quantity, subscription=sub["id"], discountable=one.discountable)
        item["metadata"] = dict(one.metadata)
        emit(state, "invoiceitem.created", item)
        items.append(item)
    return items
