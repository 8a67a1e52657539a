"""Customers: ``/customers`` create, retrieve, update, list."""

from __future__ import annotations

import re
from typing import Any

from ..errors import duplicate, wrong_value
from ..events import emit
from ..params import Params
from ..state import ChargebeeState
from ..wire import Call, endpoint
from ._common import list_response, parse_meta_data

__all__ = ["ROUTES", "customer_entry"]

TEXT = ("first_name", "last_name", "email", "phone", "company", "locale", "invoice_notes", "vat_number")
ADDRESS = ("first_name", "last_name", "email", "company", "phone", "line1", "line2", "line3", "city", "state_code",
           "state", "zip", "country")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[A-Za-z0-9_\-.@]{1,50}$")


def customer_entry(cust: dict[str, Any]) -> dict[str, Any]:
    """A list entry / response wrapper."""
    return {"customer": cust}


def _apply(cust: dict[str, Any], p: Params) -> None:
    for key in TEXT:
        if p.has(key):
            cust[key] = p.text(key)
    if cust.get("email") and not _EMAIL.match(cust["email"]):
        raise wrong_value("email", "invalid email format")
    if p.has("auto_collection"):
        cust["auto_collection"] = p.enum("auto_collection", ("on", "off"))
    if p.has("net_term_days"):
        cust["net_term_days"] = p.integer("net_term_days", minimum=0)
    if p.has("preferred_currency_code"):
        code = p.text("preferred_currency_code") or ""
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise wrong_value("preferred_currency_code", "invalid currency code")
        cust["preferred_currency_code"] = code
    if p.has("billing_address"):
        sub = p.obj("billing_address")
        address = {k: sub.text(k) for k in ADDRESS if sub.has(k)}
        cust["billing_address"] = {**address, "validation_status": "not_validated", "object": "billing_address"}
    if (meta := parse_meta_data(p)) is not None:
        cust["meta_data"] = meta


def new_customer(state: ChargebeeState, p: Params) -> dict[str, Any]:
    """Build and store a customer from create parameters."""
    cid = p.text("id")
    if cid is not None and not _ID.match(cid):
        raise wrong_value("id", "invalid value")
    if cid is not None and cid in state.objects["customer"]:
        raise duplicate("id", cid)
    cust: dict[str, Any] = {
        "id": cid or state.new_id(), "auto_collection": "on", "net_term_days": 0, "allow_direct_debit": False,
        "created_at": state.now(), "taxability": "taxable", "pii_cleared": "active", "channel": "web",
        "card_status": "no_card", "promotional_credits": 0, "refundable_credits": 0, "excess_payments": 0,
        "unbilled_charges": 0, "preferred_currency_code": "USD", "deleted": False, "object": "customer",
    }
    _apply(cust, p)
    state.add(state.touch(cust))
    emit(state, "customer_created", {"customer": cust})
    return cust


def create(call: Call) -> dict[str, Any]:
    return customer_entry(new_customer(call.state, call.params))


def retrieve(call: Call) -> dict[str, Any]:
    return customer_entry(call.state.get("customer", call.path["id"]))


def update(call: Call) -> dict[str, Any]:
    cust = call.state.get("customer", call.path["id"])
    _apply(cust, call.params)
    call.state.touch(cust)
    emit(call.state, "customer_changed", {"customer": cust})
    return customer_entry(cust)


def list_(call: Call) -> dict[str, Any]:
    return list_response(call.state, call.params, "customer", customer_entry,
                         ("id", "first_name", "last_name", "email", "company", "created_at", "updated_at",
                          "auto_collection"))


ROUTES = [
    endpoint("POST", "/customers", create, "createCustomer"),
    endpoint("GET", "/customers", list_, "listCustomers"),
    endpoint("GET", "/customers/{id:str}", retrieve, "retrieveCustomer"),
    endpoint("POST", "/customers/{id:str}", update, "updateCustomer"),
]
