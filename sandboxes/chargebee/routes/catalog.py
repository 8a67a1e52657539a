"""Product Catalog 2.0: ``/item_families``, ``/items`` (plan, addon, charge) and ``/item_prices`` with tiers."""

from __future__ import annotations

import re
from typing import Any

from ..errors import blank, duplicate, not_found, wrong_value
from ..events import emit
from ..params import Params
from ..pricing import UNITS
from ..state import ChargebeeState
from ..wire import Call, endpoint
from ._common import list_response

__all__ = ["ROUTES"]

_ID = re.compile(r"^[A-Za-z0-9_\-.]{1,100}$")
MODELS = ("flat_fee", "per_unit", "tiered", "volume", "stairstep")


def _new_id(state: ChargebeeState, kind: str, p: Params) -> str:
    value = p.text("id", required=True)
    if not _ID.match(value):
        raise wrong_value("id", "invalid value")
    if value in state.objects[kind]:
        raise duplicate("id", value)
    return str(value)


def create_family(call: Call) -> dict[str, Any]:
    p, state = call.params, call.state
    fam = {"id": _new_id(state, "item_family", p), "name": p.text("name", required=True),
           "description": p.text("description"), "status": "active", "channel": "web", "object": "item_family"}
    state.add(state.touch(fam))
    emit(state, "item_family_created", {"item_family": fam})
    return {"item_family": fam}


def create_item(call: Call) -> dict[str, Any]:
    p, state = call.params, call.state
    item_id = _new_id(state, "item", p)
    type_ = p.enum("type", ("plan", "addon", "charge"), required=True)
    family = p.text("item_family_id", required=True)
    state.get("item_family", family, "item_family_id")
    metered = p.boolean("metered", default=False)
    if metered and type_ == "charge":
        raise wrong_value("metered", "charge items cannot be metered")
    item: dict[str, Any] = {
        "id": item_id, "name": p.text("name", required=True), "external_name": p.text("external_name"),
        "description": p.text("description"), "status": "active", "item_family_id": family, "type": type_,
        "is_shippable": False, "is_giftable": False, "enabled_for_checkout": True, "enabled_in_portal": True,
        "item_applicability": "all", "metered": metered, "channel": "web", "deleted": False, "object": "item",
    }
    item["external_name"] = item["external_name"] or item["name"]
    if metered:
        item["usage_calculation"] = p.enum("usage_calculation", ("sum_of_usages", "last_usage", "max_usage"),
                                           default="sum_of_usages")
    if p.has("unit"):
        item["unit"] = p.text("unit")
    state.add(state.touch(item))
    emit(state, "item_created", {"item": item})
    return {"item": item}


def _tiers(p: Params) -> list[dict[str, Any]]:
    rows = p.rows("tiers")
    if not rows:
        raise blank("tiers[starting_unit][0]")
    tiers, expected = [], 1
    for index, row in enumerate(rows):
        start = row.integer("starting_unit", required=True, minimum=1)
        end = row.integer("ending_unit")
        if start != expected:
            raise wrong_value(row.name("starting_unit"), f"should be {expected}")
        last = index == len(rows) - 1
        if end is None and not last:
            raise blank(row.name("ending_unit"))
        if end is not None and (end < start or last):
            raise wrong_value(row.name("ending_unit"), "invalid value")
        tier = {"starting_unit": start, "price": row.integer("price", required=True, minimum=0),
                "pricing_type": "per_unit"}
        if end is not None:
            tier["ending_unit"] = end
            expected = end + 1
        tiers.append(tier)
    return tiers


def _pricing(p: Params, price: dict[str, Any]) -> None:
    model = price["pricing_model"]
    if model in ("flat_fee", "per_unit"):
        price["price"] = p.integer("price", required=True, minimum=0)
    else:
        if p.has("price"):
            raise wrong_value("price", f"should not be passed for the {model} pricing model")
        price["tiers"] = _tiers(p)


def _period(p: Params, price: dict[str, Any], item_type: str) -> None:
    if item_type == "charge":
        if p.has("period") or p.has("period_unit"):
            raise wrong_value("period", "should not be passed for charge item prices")
        return
    price["period_unit"] = p.enum("period_unit", UNITS, required=True)
    price["period"] = p.integer("period", default=1, minimum=1)


def create_price(call: Call) -> dict[str, Any]:
    p, state = call.params, call.state
    price_id = _new_id(state, "item_price", p)
    item_id = p.text("item_id", required=True)
    item = state.get("item", item_id, "item_id")
    code = p.text("currency_code", default="USD")
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise wrong_value("currency_code", "invalid currency code")
    now = state.now()
    price: dict[str, Any] = {
        "id": price_id, "name": p.text("name", required=True), "item_family_id": item["item_family_id"],
        "item_id": item["id"], "description": p.text("description"), "status": "active",
        "external_name": p.text("external_name") or p.text("name"),
        "pricing_model": p.enum("pricing_model", MODELS, default="flat_fee"), "currency_code": code,
        "free_quantity": p.integer("free_quantity", default=0, minimum=0), "channel": "web", "created_at": now,
        "is_taxable": p.boolean("is_taxable", default=True), "item_type": item["type"], "archivable": True,
        "show_description_in_invoices": False, "show_description_in_quotes": False, "deleted": False,
        "object": "item_price",
    }
    _pricing(p, price)
    _period(p, price, item["type"])
    state.add(state.touch(price))
    emit(state, "item_price_created", {"item_price": price})
    return {"item_price": price}


def update_price(call: Call) -> dict[str, Any]:
    """``POST /item_prices/{id}``: Chargebee archives (and restores) an item price with ``status``.

    There is no separate archive endpoint: ``POST /item_prices/{id}/delete`` deletes, while an update with
    ``status=archived`` retires the price from new subscriptions and leaves existing ones billing as before.
    """
    p, state = call.params, call.state
    price = state.get("item_price", call.path["id"])
    for key in ("name", "description", "external_name"):
        if p.has(key):
            price[key] = p.text(key)
    status = p.enum("status", ("active", "archived"))
    if status == "archived" and price["status"] != "archived":
        price.update(status="archived", archived_at=state.now())
    elif status == "active" and price["status"] != "active":
        price["status"] = "active"
        price.pop("archived_at", None)
    state.touch(price)
    emit(state, "item_price_updated", {"item_price": price})
    return {"item_price": price}


def _getter(kind: str) -> Any:
    def retrieve(call: Call) -> dict[str, Any]:
        found = call.state.objects[kind].get(call.path["id"])
        if found is None:
            raise not_found()
        return {kind: found}

    return retrieve


def _lister(kind: str, filters: tuple[str, ...]) -> Any:
    def list_(call: Call) -> dict[str, Any]:
        return list_response(call.state, call.params, kind, lambda o: {kind: o}, filters)

    return list_


ROUTES = [
    endpoint("POST", "/item_families", create_family, "createItemFamily"),
    endpoint("GET", "/item_families", _lister("item_family", ("id", "name")), "listItemFamilies"),
    endpoint("GET", "/item_families/{id:str}", _getter("item_family"), "retrieveItemFamily"),
    endpoint("POST", "/items", create_item, "createItem"),
    endpoint("GET", "/items", _lister("item", ("id", "item_family_id", "type", "name", "status", "metered")),
             "listItems"),
    endpoint("GET", "/items/{id:str}", _getter("item"), "retrieveItem"),
    endpoint("POST", "/item_prices", create_price, "createItemPrice"),
    endpoint("GET", "/item_prices",
             _lister("item_price", ("id", "item_id", "item_family_id", "item_type", "currency_code", "status",
                                    "period_unit", "period", "pricing_model")), "listItemPrices"),
    endpoint("GET", "/item_prices/{id:str}", _getter("item_price"), "retrieveItemPrice"),
    endpoint("POST", "/item_prices/{id:str}", update_price, "updateItemPrice"),
]
