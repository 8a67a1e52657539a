"""Invoice items: one-off charges or credits, pending until an invoice picks them up."""

from __future__ import annotations

from typing import Any

from ..billing import line_amount
from ..errors import StripeError, invalid, missing
from ..invoicing import add_line, invoice_item, line_from_item, recompute
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response

__all__ = ["ROUTES"]


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow("customer", "amount", "currency", "description", "price", "quantity", "subscription",
                          "invoice", "metadata", "period", "unit_amount", "unit_amount_decimal", "discountable")
    state = call.state
    cust = state.get("customer", p.text("customer", required=True), "customer")
    qty = p.integer("quantity", default=1, minimum=0)
    price = state.get("price", p.text("price"), "price") if p.has("price") else None
    if price is not None:
        amount, currency = line_amount(price, qty), price["currency"]
    else:
        amount = p.integer("amount")
        if amount is None:
            unit = p.integer("unit_amount")
            if unit is None:
                raise missing("amount")
            amount = unit * qty
        currency = (p.text("currency", required=True) or "").lower()
    inv = state.get("invoice", p.text("invoice"), "invoice") if p.has("invoice") else None
    if inv is not None and inv["status"] != "draft":
        raise invalid("invoice", "You can only add invoice items to draft invoices.")
    sub = state.get("subscription", p.text("subscription"), "subscription")["id"] if p.has("subscription") else None
    now = state.now(cust)
    period = p.sub("period")
    span = (period.integer("start", required=True), period.integer("end", required=True)) if period else (now, now)
    item = invoice_item(state, cust, amount, currency, p.text("description") or "", span, price=price,
                        quantity=qty, subscription=sub)
    apply_metadata(item, p)
    if inv is not None:
        item["invoice"] = inv["id"]
        add_line(inv, line_from_item(state, item))
    emit(state, "invoiceitem.created", item)
    return item


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("invoiceitem", call.path["invoiceitem"])


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow("description", "metadata", "amount")
    item = call.state.get("invoiceitem", call.path["invoiceitem"])
    if item["invoice"] is not None:
        raise StripeError(400, "You can only modify pending invoice items.", param="invoiceitem")
    if p.has("description"):
        item["description"] = p.text("description")
    if p.has("amount"):
        item["amount"] = p.integer("amount")
    apply_metadata(item, p)
    return item


def delete(call: Call) -> dict[str, Any]:
    call.params.allow()
    item = call.state.get("invoiceitem", call.path["invoiceitem"])
    if item["invoice"] is not None:
        inv = call.state.objects["invoice"][item["invoice"]]
        if inv["status"] != "draft":
            raise StripeError(400, "You can only delete invoice items on draft invoices.", param="invoiceitem")
        inv["lines"]["data"] = [ln for ln in inv["lines"]["data"] if ln.get("invoice_item") != item["id"]]
        recompute(inv)
    call.state.objects["invoiceitem"].pop(item["id"])
    return {"id": item["id"], "object": "invoiceitem", "deleted": True}


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "customer", "invoice", "pending")
    customer, invoice, pending = p.text("customer"), p.text("invoice"), p.flag("pending")
    return list_response(call.state, p, "invoiceitem", "/v1/invoiceitems", lambda o: (
        (customer is None or o["customer"] == customer) and (invoice is None or o["invoice"] == invoice)
        and (pending is None or (o["invoice"] is None) == pending)))


ROUTES = [
    endpoint("POST", "/v1/invoiceitems", create, "PostInvoiceitems"),
    endpoint("GET", "/v1/invoiceitems", list_, "GetInvoiceitems"),
    endpoint("GET", "/v1/invoiceitems/{invoiceitem:str}", retrieve, "GetInvoiceitemsInvoiceitem"),
    endpoint("POST", "/v1/invoiceitems/{invoiceitem:str}", update, "PostInvoiceitemsInvoiceitem"),
    endpoint("DELETE", "/v1/invoiceitems/{invoiceitem:str}", delete, "DeleteInvoiceitemsInvoiceitem"),
]
