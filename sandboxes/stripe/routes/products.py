"""Products: ``/v1/products`` create, retrieve, update, delete, list."""

from __future__ import annotations

from typing import Any

from ..errors import StripeError
from ..params import Params
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response, mark_deleted

__all__ = ["ROUTES"]

WRITABLE = ("name", "active", "description", "metadata", "tax_code", "unit_label", "url", "statement_descriptor",
            "images", "shippable")


def _apply(prod: dict[str, Any], p: Params) -> None:
    for key in ("description", "tax_code", "unit_label", "url", "statement_descriptor"):
        if p.has(key):
            prod[key] = p.text(key) or None
    if p.has("name"):
        prod["name"] = p.text("name", required=True)
    if p.has("active"):
        prod["active"] = p.flag("active")
    if p.has("shippable"):
        prod["shippable"] = p.flag("shippable")
    if p.has("images"):
        prod["images"] = [str(v) for v in p.array("images")]
    apply_metadata(prod, p)


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow(*WRITABLE, "id", "default_price_data")
    if p.has("default_price_data"):
        raise StripeError(400, "default_price_data is not supported by this sandbox; create the price with "
                          "POST /v1/prices.", param="default_price_data")
    now = call.state.now()
    pid = p.text("id") or call.state.new_id("product")
    if pid in call.state.objects["product"]:
        raise StripeError(400, "Product already exists.", code="resource_already_exists", param="id")
    prod: dict[str, Any] = {
        "id": pid, "object": "product", "active": True, "created": now, "default_price": None,
        "description": None, "images": [], "livemode": False, "marketing_features": [], "metadata": {},
        "name": p.text("name", required=True), "package_dimensions": None, "shippable": None,
        "statement_descriptor": None, "tax_code": None, "type": "service", "unit_label": None, "updated": now,
        "url": None,
    }
    _apply(prod, p)
    call.state.add(prod)
    emit(call.state, "product.created", prod)
    return prod


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("product", call.path["id"])


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow(*WRITABLE, "default_price")
    prod = call.state.get("product", call.path["id"])
    before = {k: prod.get(k) for k in p.data}
    _apply(prod, p)
    if p.has("default_price"):
        prod["default_price"] = call.state.get("price", p.text("default_price"), "default_price")["id"]
    prod["updated"] = call.state.now()
    emit(call.state, "product.updated", prod, before)
    return prod


def delete(call: Call) -> dict[str, Any]:
    call.params.allow()
    prod = call.state.get("product", call.path["id"])
    if any(price["product"] == prod["id"] for price in call.state.objects["price"].values()):
        raise StripeError(400, "This product cannot be deleted because it has one or more user-created prices.",
                          param="id")
    return mark_deleted(call.state, "product", prod["id"])


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "active", "ids")
    active = p.flag("active")
    ids = p.array("ids")
    return list_response(call.state, p, "product", "/v1/products",
                         lambda o: (active is None or o["active"] == active) and (not ids or o["id"] in ids))


ROUTES = [
    endpoint("POST", "/v1/products", create, "PostProducts"),
    endpoint("GET", "/v1/products", list_, "GetProducts"),
    endpoint("GET", "/v1/products/{id:str}", retrieve, "GetProductsId"),
    endpoint("POST", "/v1/products/{id:str}", update, "PostProductsId"),
    endpoint("DELETE", "/v1/products/{id:str}", delete, "DeleteProductsId"),
]
