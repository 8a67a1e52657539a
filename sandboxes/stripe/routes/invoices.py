"""Invoices: create (draft), finalize, pay, void, mark uncollectible, send, lines, update, delete, list."""

from __future__ import annotations

from typing import Any

from sandboxes._kit import cursor_page

from ..errors import StripeError
from ..invoicing import attach_pending, charge_invoice, finalize, mark_paid, new_invoice
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response

__all__ = ["ROUTES"]

DECLINING = {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"}


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow("customer", "subscription", "collection_method", "days_until_due", "auto_advance",
                          "description", "metadata", "pending_invoice_items_behavior", "currency", "footer")
    state = call.state
    cust = state.get("customer", p.text("customer", required=True), "customer")
    sub = state.get("subscription", p.text("subscription"), "subscription") if p.has("subscription") else None
    method = p.enum("collection_method", ("charge_automatically", "send_invoice"), default="charge_automatically")
    inv = new_invoice(state, cust, subscription=sub, collection_method=method,
                      days_until_due=p.integer("days_until_due", minimum=0),
                      currency=(p.text("currency") or "").lower() or (sub["currency"] if sub else None))
    inv["auto_advance"] = p.flag("auto_advance", False)
    inv["description"] = p.text("description")
    inv["footer"] = p.text("footer")
    apply_metadata(inv, p)
    if p.enum("pending_invoice_items_behavior", ("exclude", "include"), default="exclude") == "include":
        attach_pending(state, inv, sub["id"] if sub else None)
    emit(state, "invoice.created", inv)
    return inv


def _get(call: Call) -> dict[str, Any]:
    return call.state.get("invoice", call.path["invoice"], "invoice")


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return _get(call)


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow("description", "metadata", "auto_advance", "days_until_due", "footer",
                          "collection_method")
    inv = _get(call)
    if inv["status"] != "draft" and any(p.has(k) for k in ("days_until_due", "collection_method")):
        raise StripeError(400, "You can only update this field on draft invoices.", code="invoice_not_editable")
    for key in ("description", "footer"):
        if p.has(key):
            inv[key] = p.text(key) or None
    if p.has("auto_advance"):
        inv["auto_advance"] = p.flag("auto_advance")
    apply_metadata(inv, p)
    emit(call.state, "invoice.updated", inv)
    return inv


def delete(call: Call) -> dict[str, Any]:
    call.params.allow()
    inv = _get(call)
    if inv["status"] != "draft":
        raise StripeError(400, "You can only delete draft invoices.", code="invoice_not_editable")
    for item in call.state.objects["invoiceitem"].values():
        if item["invoice"] == inv["id"]:
            item["invoice"] = None
    call.state.objects["invoice"].pop(inv["id"])
    emit(call.state, "invoice.deleted", inv)
    return {"id": inv["id"], "object": "invoice", "deleted": True}


def finalize_(call: Call) -> dict[str, Any]:
    call.params.allow("auto_advance")
    return finalize(call.state, _get(call))


def _require_open(inv: dict[str, Any], action: str) -> None:
    if inv["status"] != "open":
        if inv["status"] == "paid" and action == "pay":
            raise StripeError(400, "Invoice is already paid", code="invoice_already_paid")
        raise StripeError(400, f"You can only {action} an open invoice. This invoice is {inv['status']}.",
                          code="invoice_not_editable" if inv["status"] == "draft" else None)


def pay(call: Call) -> dict[str, Any]:
    p = call.params.allow("paid_out_of_band", "payment_method", "source", "forgive", "off_session")
    inv = _get(call)
    if inv["status"] == "draft":
        finalize(call.state, inv)
    if inv["status"] == "paid":
        _require_open(inv, "pay")
    _require_open(inv, "pay")
    if p.flag("paid_out_of_band", False):
        mark_paid(call.state, inv, None, out_of_band=True)
    else:
        charge_invoice(call.state, inv, decline=p.text("payment_method") in DECLINING)
    return inv


def void(call: Call) -> dict[str, Any]:
    call.params.allow()
    inv = _get(call)
    _require_open(inv, "void")
    inv["status"] = "void"
    inv["status_transitions"]["voided_at"] = call.state.now(inv["customer"])
    emit(call.state, "invoice.voided", inv)
    return inv


def uncollectible(call: Call) -> dict[str, Any]:
    call.params.allow()
    inv = _get(call)
    _require_open(inv, "mark uncollectible")
    inv["status"] = "uncollectible"
    inv["status_transitions"]["marked_uncollectible_at"] = call.state.now(inv["customer"])
    emit(call.state, "invoice.marked_uncollectible", inv)
    return inv


def send(call: Call) -> dict[str, Any]:
    call.params.allow()
    inv = _get(call)
    if inv["collection_method"] != "send_invoice":
        raise StripeError(400, "You can only manually send an invoice if its collection method is "
                          "'send_invoice'.", param="invoice")
    _require_open(inv, "send")
    emit(call.state, "invoice.sent", inv)
    return inv


def lines(call: Call) -> dict[str, Any]:
    p = call.params.allow("limit", "starting_after", "ending_before")
    inv = _get(call)
    page = cursor_page(inv["lines"]["data"], p.integer("limit", default=10), p.text("starting_after"),
                       p.text("ending_before"))
    return {"object": "list", "data": page.items, "has_more": page.has_more, "url": inv["lines"]["url"]}


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "customer", "subscription", "status", "collection_method", "due_date")
    customer, sub, status = p.text("customer"), p.text("subscription"), p.text("status")
    return list_response(call.state, p, "invoice", "/v1/invoices", lambda o: (
        (customer is None or o["customer"] == customer) and (sub is None or o["subscription"] == sub)
        and (status is None or o["status"] == status)))


_ID = "/v1/invoices/{invoice:str}"
ROUTES = [
    endpoint("POST", "/v1/invoices", create, "PostInvoices"),
    endpoint("GET", "/v1/invoices", list_, "GetInvoices"),
    endpoint("GET", _ID, retrieve, "GetInvoicesInvoice"),
    endpoint("POST", _ID, update, "PostInvoicesInvoice"),
    endpoint("DELETE", _ID, delete, "DeleteInvoicesInvoice"),
    endpoint("POST", _ID + "/finalize", finalize_, "PostInvoicesInvoiceFinalize"),
    endpoint("POST", _ID + "/pay", pay, "PostInvoicesInvoicePay"),
    endpoint("POST", _ID + "/void", void, "PostInvoicesInvoiceVoid"),
    endpoint("POST", _ID + "/mark_uncollectible", uncollectible, "PostInvoicesInvoiceMarkUncollectible"),
    endpoint("POST", _ID + "/send", send, "PostInvoicesInvoiceSend"),
    endpoint("GET", _ID + "/lines", lines, "GetInvoicesInvoiceLines"),
]
