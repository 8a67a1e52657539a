"""Prices: ``/v1/prices`` create (per unit or tiered; one-time, licensed or metered), retrieve, update, list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..errors import StripeError, invalid, missing
from ..params import Params
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response

__all__ = ["ROUTES"]

INTERVALS = ("day", "week", "month", "year")


def _recurring(call: Call, p: Params) -> dict[str, Any] | None:
    rec = p.sub("recurring")
    if rec is None:
        return None
    rec.allow("interval", "interval_count", "usage_type", "meter", "aggregate_usage", "trial_period_days")
    usage = rec.enum("usage_type", ("licensed", "metered"), default="licensed")
    meter = rec.text("meter")
    if meter is not None:
        call.state.get("billing.meter", meter, "recurring[meter]")
        if usage != "metered":
            raise invalid("recurring[meter]", "A meter can only be set on metered prices.", None)
    return {"aggregate_usage": rec.enum("aggregate_usage", ("last_during_period", "last_ever", "max", "sum"),
                                        default="sum" if usage == "metered" and meter is None else None),
            "interval": rec.enum("interval", INTERVALS, required=True),
            "interval_count": rec.integer("interval_count", default=1, minimum=1),
            "meter": meter, "trial_period_days": rec.integer("trial_period_days"), "usage_type": usage}


def _tiers(p: Params) -> list[dict[str, Any]]:
    tiers = []
    for tier in p.subs("tiers"):
        tier.allow("up_to", "unit_amount", "unit_amount_decimal", "flat_amount", "flat_amount_decimal")
        up_to = tier.text("up_to", required=True)
        unit = tier.integer("unit_amount")
        unit_dec = tier.decimal("unit_amount_decimal")
        flat = tier.integer("flat_amount")
        tiers.append({
            "flat_amount": flat, "flat_amount_decimal": str(flat) if flat is not None else None,
            "unit_amount": unit, "unit_amount_decimal": str(unit_dec if unit_dec is not None else unit)
            if (unit is not None or unit_dec is not None) else None,
            "up_to": None if up_to == "inf" else tier.integer("up_to", minimum=1),
        })
    if not tiers:
        raise missing("tiers")
    if tiers[-1]["up_to"] is not None:
        raise invalid("tiers", "The last tier must have `up_to` set to `inf`.")
    return tiers


def _amounts(p: Params, price: dict[str, Any]) -> None:
    if price["billing_scheme"] == "tiered":
        price["tiers_mode"] = p.enum("tiers_mode", ("graduated", "volume"), required=True)
        price["tiers"] = _tiers(p)
        return
    unit = p.integer("unit_amount", minimum=0)
    dec: Decimal | None = p.decimal("unit_amount_decimal")
    if unit is None and dec is None and not p.has("custom_unit_amount"):
        raise StripeError(400, "Missing required param: unit_amount.", code="parameter_missing",
                          param="unit_amount")
    if unit is not None and dec is not None:
        raise invalid("unit_amount_decimal", "You may only specify one of these parameters: unit_amount, "
                      "unit_amount_decimal.")
    price["unit_amount"] = unit if unit is not None else (int(dec) if dec == int(dec) else None)  # type: ignore[arg-type]
    price["unit_amount_decimal"] = str(dec if dec is not None else unit)


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow("product", "currency", "unit_amount", "unit_amount_decimal", "recurring", "billing_scheme",
                          "tiers", "tiers_mode", "lookup_key", "nickname", "metadata", "active", "tax_behavior",
                          "product_data")
    if not p.has("product"):
        raise missing("product")
    product = call.state.get("product", p.text("product"), "product")
    currency = (p.text("currency", required=True) or "").lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid("currency", f"Invalid currency: {currency}.", None)
    recurring = _recurring(call, p)
    price: dict[str, Any] = {
        "id": call.state.new_id("price"), "object": "price", "active": p.flag("active", True),
        "billing_scheme": p.enum("billing_scheme", ("per_unit", "tiered"), default="per_unit"),
        "created": call.state.now(), "currency": currency, "custom_unit_amount": None, "livemode": False,
        "lookup_key": p.text("lookup_key"), "metadata": {}, "nickname": p.text("nickname"), "product": product["id"],
        "recurring": recurring, "tax_behavior": p.enum("tax_behavior", ("exclusive", "inclusive", "unspecified"),
                                                       default="unspecified"),
        "tiers_mode": None, "transform_quantity": None, "type": "recurring" if recurring else "one_time",
        "unit_amount": None, "unit_amount_decimal": None,
    }
    _amounts(p, price)
    apply_metadata(price, p)
    call.state.add(price)
    emit(call.state, "price.created", price)
    return price


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("price", call.path["price"])


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow("active", "metadata", "nickname", "lookup_key", "tax_behavior")
    price = call.state.get("price", call.path["price"])
    before = {k: price.get(k) for k in p.data}
    if p.has("active"):
        price["active"] = p.flag("active")
    for key in ("nickname", "lookup_key"):
        if p.has(key):
            price[key] = p.text(key) or None
    apply_metadata(price, p)
    emit(call.state, "price.updated", price, before)
    return price


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "active", "product", "currency", "type", "lookup_keys", "recurring")
    product, active, kind = p.text("product"), p.flag("active"), p.text("type")
    keys = p.array("lookup_keys")
    return list_response(call.state, p, "price", "/v1/prices", lambda o: (
        (product is None or o["product"] == product) and (active is None or o["active"] == active)
        and (kind is None or o["type"] == kind) and (not keys or o["lookup_key"] in keys)))


ROUTES = [
    endpoint("POST", "/v1/prices", create, "PostPrices"),
    endpoint("GET", "/v1/prices", list_, "GetPrices"),
    endpoint("GET", "/v1/prices/{price:str}", retrieve, "GetPricesPrice"),
    endpoint("POST", "/v1/prices/{price:str}", update, "PostPricesPrice"),
]
