"""Customers: ``/v1/customers`` create, retrieve, update, delete, list, and search (``query``)."""

from __future__ import annotations

import re
from typing import Any

from sandboxes._kit import offset_page

from ..errors import StripeError
from ..params import Params
from ..state import StripeState
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response, mark_deleted

__all__ = ["ROUTES"]

FIELDS = ("email", "name", "description", "phone")
WRITABLE = (*FIELDS, "address", "metadata", "invoice_settings", "tax_exempt", "preferred_locales", "shipping")
_CLAUSE = re.compile(r"""\s*(metadata\[['"](?P<mkey>[^'"]+)['"]\]|(?P<field>[a-z_]+))\s*(?P<op>[:~])\s*"""
                     r"""(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)")\s*""")


def _address(params: Params) -> dict[str, Any] | None:
    sub = params.sub("address")
    if sub is None:
        return None
    keys = ("city", "country", "line1", "line2", "postal_code", "state")
    sub.allow(*keys)
    return {k: sub.text(k) for k in keys}


def _apply(state: StripeState, cust: dict[str, Any], params: Params) -> None:
    for key in FIELDS:
        if params.has(key):
            cust[key] = params.text(key) or None
    if params.has("address"):
        cust["address"] = _address(params)
    if params.has("tax_exempt"):
        cust["tax_exempt"] = params.enum("tax_exempt", ("exempt", "none", "reverse"))
    settings = params.sub("invoice_settings")
    if settings is not None:
        settings.allow("default_payment_method", "footer", "custom_fields", "rendering_options")
        if settings.has("default_payment_method"):
            cust["invoice_settings"]["default_payment_method"] = settings.text("default_payment_method") or None
        if settings.has("footer"):
            cust["invoice_settings"]["footer"] = settings.text("footer") or None
    if params.has("preferred_locales"):
        cust["preferred_locales"] = [str(v) for v in params.array("preferred_locales")]
    apply_metadata(cust, params)


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow(*WRITABLE, "test_clock")
    clock = p.text("test_clock")
    if clock is not None:
        call.state.get("test_helpers.test_clock", clock, "test_clock")
    cust: dict[str, Any] = {
        "id": call.state.new_id("customer"), "object": "customer", "address": None, "balance": 0,
        "created": 0, "currency": None, "default_source": None, "delinquent": False, "description": None,
        "discount": None, "email": None, "invoice_prefix": call.state.ids.new("").upper()[:8],
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": False, "metadata": {}, "name": None, "next_invoice_sequence": 1, "phone": None,
        "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": clock,
    }
    _apply(call.state, cust, p)
    cust["created"] = call.state.now(cust)
    call.state.add(cust)
    emit(call.state, "customer.created", cust)
    return cust


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("customer", call.path["customer"])


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow(*WRITABLE, "balance")
    cust = call.state.get("customer", call.path["customer"])
    before = {k: cust.get(k) for k in p.data}
    _apply(call.state, cust, p)
    if p.has("balance"):
        cust["balance"] = p.integer("balance")
    emit(call.state, "customer.updated", cust, before)
    return cust


def delete(call: Call) -> dict[str, Any]:
    call.params.allow()
    cust = call.state.get("customer", call.path["customer"])
    emit(call.state, "customer.deleted", cust)
    return mark_deleted(call.state, "customer", cust["id"])


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "email", "test_clock")
    email, clock = p.text("email"), p.text("test_clock")
    return list_response(call.state, p, "customer", "/v1/customers",
                         lambda c: (email is None or c["email"] == email)
                         and (clock is None or c["test_clock"] == clock))


def _clauses(query: str) -> tuple[list[re.Match[str]], str]:
    parts = re.split(r"\s+(AND|OR)\s+", query.strip())
    joins = {parts[i] for i in range(1, len(parts), 2)}
    if len(joins) > 1:
        raise StripeError(400, "Search queries cannot mix AND and OR.", param="query")
    matches = [_CLAUSE.fullmatch(part) for part in parts[::2]]
    if not query.strip() or any(m is None for m in matches):
        raise StripeError(400, f"We were unable to parse your search query. Try using the format "
                          f"`metadata[\"key\"]:\"value\"` to query for metadata. Query: {query}", param="query")
    return [m for m in matches if m is not None], joins.pop() if joins else "AND"


def _matches(cust: dict[str, Any], clause: re.Match[str]) -> bool:
    want = clause["sq"] if clause["sq"] is not None else clause["dq"]
    if clause["mkey"]:
        have = cust["metadata"].get(clause["mkey"])
    elif clause["field"] in (*FIELDS, "id", "currency"):
        have = cust.get(clause["field"])
    else:
        raise StripeError(400, f"Field '{clause['field']}' is an unsupported search field for customers.",
                          param="query")
    if have is None:
        return False
    if clause["op"] == "~":
        return want.lower() in str(have).lower()
    return str(have).lower() == want.lower() if clause["field"] == "email" else str(have) == want


def search(call: Call) -> dict[str, Any]:
    p = call.params.allow("query", "limit", "page")
    clauses, join = _clauses(p.text("query", required=True) or "")
    combine = all if join == "AND" else any
    found = call.state.newest_first("customer", lambda c: combine(_matches(c, m) for m in clauses))
    limit = p.integer("limit", default=10)
    token = p.text("page") or ""
    page_no = int(token[5:]) if token.startswith("page_") and token[5:].isdigit() else 0
    page = offset_page(found, max(1, min(limit, 100)), page_no)
    return {"object": "search_result", "data": page.items, "has_more": page.has_more,
            "next_page": f"page_{page_no + 1}" if page.has_more else None, "url": "/v1/customers/search",
            "total_count": len(found)}


ROUTES = [
    endpoint("POST", "/v1/customers", create, "PostCustomers"),
    endpoint("GET", "/v1/customers", list_, "GetCustomers"),
    endpoint("GET", "/v1/customers/search", search, "GetCustomersSearch"),
    endpoint("GET", "/v1/customers/{customer:str}", retrieve, "GetCustomersCustomer"),
    endpoint("POST", "/v1/customers/{customer:str}", update, "PostCustomersCustomer"),
    endpoint("DELETE", "/v1/customers/{customer:str}", delete, "DeleteCustomersCustomer"),
]
