"""Credit notes: by lines or amount, pre- or post-payment (refund / credit / out-of-band split), preview, void.

A credit note on an open invoice lowers what is due (pre-payment); on a paid invoice (post-payment) its amount
splits into a refund of the invoice's charge, a credit to the customer's balance and an out-of-band part.
"""

from __future__ import annotations

from typing import Any

from ..errors import StripeError, invalid
from ..invoicing import mark_paid
from ..params import Params
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response
from .refunds import refund_charge

__all__ = ["ROUTES"]

PARAMS = ("invoice", "amount", "lines", "reason", "memo", "metadata", "credit_amount", "refund_amount",
          "out_of_band_amount", "effective_at", "email_type")
REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")


def _line(call: Call, inv: dict[str, Any], p: Params) -> dict[str, Any]:
    p.allow("type", "invoice_line_item", "quantity", "amount", "unit_amount", "unit_amount_decimal",
            "description", "tax_rates")
    kind = p.enum("type", ("custom_line_item", "invoice_line_item"), required=True)
    qty = p.integer("quantity", minimum=0)
    line = {"id": call.state.ids.new("cnli"), "object": "credit_note_line_item", "discount_amount": 0,
            "discount_amounts": [], "livemode": False, "tax_amounts": [], "tax_rates": [], "type": kind,
            "description": p.text("description"), "quantity": qty}
    if kind == "invoice_line_item":
        ref = p.text("invoice_line_item", required=True)
        source = next((ln for ln in inv["lines"]["data"] if ln["id"] == ref), None)
        if source is None:
            raise StripeError(404, f"No such invoice line item: '{ref}'", code="resource_missing",
                              param=p.name("invoice_line_item"))
        unit = source["amount"] // (source["quantity"] or 1)
        amount = p.integer("amount") if p.has("amount") else (unit * qty if qty is not None else source["amount"])
        line.update(invoice_line_item=ref, description=line["description"] or source["description"],
                    quantity=qty if qty is not None else source["quantity"], unit_amount=unit)
    else:
        unit = p.integer("unit_amount", required=True)
        amount = unit * (qty if qty is not None else 1)
        line.update(quantity=qty if qty is not None else 1, unit_amount=unit)
    line.update(amount=amount, amount_excluding_tax=amount, unit_amount_decimal=str(line["unit_amount"]),
                unit_amount_excluding_tax=str(line["unit_amount"]))
    return line


def _creditable(call: Call, inv: dict[str, Any]) -> int:
    done = sum(cn["amount"] for cn in call.state.objects["credit_note"].values()
               if cn["invoice"] == inv["id"] and cn["status"] == "issued")
    return inv["total"] - done


def _split(p: Params, inv: dict[str, Any], amount: int) -> dict[str, int]:
    parts = {k: p.integer(k, default=0, minimum=0) for k in ("refund_amount", "credit_amount", "out_of_band_amount")}
    if inv["status"] == "open":
        if parts["refund_amount"]:
            raise invalid("refund_amount", "You cannot refund an invoice that has not been paid.")
        return parts
    if not any(p.has(k) for k in parts):
        parts["credit_amount"] = amount  # nothing said: the credit goes to the customer's balance
    if sum(parts.values()) != amount:
        raise invalid("refund_amount", f"The sum of credit amount, refund amount and out of band amount "
                      f"({sum(parts.values())}) must equal the credit note amount ({amount}).")
    return parts


def _build(call: Call) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    p = call.params.allow(*PARAMS)
    inv = call.state.get("invoice", p.text("invoice", required=True), "invoice")
    if inv["status"] not in ("open", "paid"):
        raise invalid("invoice", f"You can only create a credit note for an open or paid invoice; this one is "
                      f"{inv['status']}.", "invoice_not_editable" if inv["status"] == "draft" else None)
    lines = [_line(call, inv, lp) for lp in p.subs("lines")]
    amount = p.integer("amount", minimum=1)
    if not lines:
        if amount is None:
            raise invalid("amount", "You must pass either `amount` or `lines` to create a credit note.", None)
        lines = [_line(call, inv, Params({"type": "custom_line_item", "unit_amount": str(amount),
                                          "description": "Credit"}, "lines[0]"))]
    total = sum(ln["amount"] for ln in lines)
    if amount is not None and amount != total:
        raise invalid("amount", f"The amount ({amount}) must equal the sum of the lines ({total}).")
    if total <= 0 or total > _creditable(call, inv):
        raise invalid("amount", f"The credit note amount ({total}) must be positive and at most the invoice's "
                      f"remaining creditable amount ({_creditable(call, inv)}).")
    parts = _split(p, inv, total)
    now = call.state.now(inv["customer"])
    cn_id = call.state.new_id("credit_note")
    count = sum(1 for cn in call.state.objects["credit_note"].values() if cn["invoice"] == inv["id"]) + 1
    cn = {"id": cn_id, "object": "credit_note", "amount": total, "amount_shipping": 0, "created": now,
          "currency": inv["currency"], "customer": inv["customer"], "customer_balance_transaction": None,
          "discount_amount": 0, "discount_amounts": [], "effective_at": now, "invoice": inv["id"],
          "lines": {"object": "list", "data": lines, "has_more": False, "url": f"/v1/credit_notes/{cn_id}/lines"},
          "livemode": False, "memo": p.text("memo"), "metadata": {}, "number": f"{inv['number']}-CN-{count:02d}",
          "out_of_band_amount": parts["out_of_band_amount"] or None,
          "pdf": f"https://pay.stripe.com/credit_notes/{cn_id}/pdf", "reason": p.enum("reason", REASONS),
          "refund": None, "shipping_cost": None, "status": "issued", "subtotal": total,
          "subtotal_excluding_tax": total, "tax_amounts": [], "total": total, "total_excluding_tax": total,
          "type": "pre_payment" if inv["status"] == "open" else "post_payment", "voided_at": None}
    apply_metadata(cn, p)
    return cn, inv, parts


def create(call: Call) -> dict[str, Any]:
    cn, inv, parts = _build(call)
    state = call.state
    if cn["type"] == "pre_payment":
        inv["pre_payment_credit_notes_amount"] += cn["amount"]
        inv["amount_due"] -= cn["amount"]
        inv["amount_remaining"] -= cn["amount"]
        if inv["amount_remaining"] <= 0:
            mark_paid(state, inv, None)
    else:
        inv["post_payment_credit_notes_amount"] += cn["amount"]
        if parts["refund_amount"]:
            if not inv["charge"]:
                raise invalid("refund_amount", "This invoice was paid out of band; it has no charge to refund.")
            cn["refund"] = refund_charge(state, state.objects["charge"][inv["charge"]], parts["refund_amount"],
                                         None)["id"]
        state.objects["customer"][inv["customer"]]["balance"] -= parts["credit_amount"]
    state.add(cn)
    emit(state, "credit_note.created", cn)
    return cn


def preview(call: Call) -> dict[str, Any]:
    cn, _, _ = _build(call)
    return cn


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("credit_note", call.path["id"])


def void(call: Call) -> dict[str, Any]:
    call.params.allow()
    cn = call.state.get("credit_note", call.path["id"])
    if cn["status"] != "issued" or cn["type"] != "pre_payment":
        raise StripeError(400, "Only issued pre-payment credit notes can be voided in this sandbox.", param="id")
    inv = call.state.objects["invoice"][cn["invoice"]]
    if inv["status"] != "open":
        raise StripeError(400, "The credit note's invoice is no longer open.", param="id")
    inv["pre_payment_credit_notes_amount"] -= cn["amount"]
    inv["amount_due"] += cn["amount"]
    inv["amount_remaining"] += cn["amount"]
    cn.update(status="void", voided_at=call.state.now(cn["customer"]))
    emit(call.state, "credit_note.voided", cn)
    return cn


def lines(call: Call) -> dict[str, Any]:
    call.params.allow("limit", "starting_after", "ending_before")
    cn = call.state.get("credit_note", call.path["credit_note"], "credit_note")
    return {"object": "list", "data": cn["lines"]["data"], "has_more": False, "url": cn["lines"]["url"]}


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "invoice", "customer")
    invoice, customer = p.text("invoice"), p.text("customer")
    return list_response(call.state, p, "credit_note", "/v1/credit_notes", lambda o: (
        (invoice is None or o["invoice"] == invoice) and (customer is None or o["customer"] == customer)))


ROUTES = [
    endpoint("POST", "/v1/credit_notes", create, "PostCreditNotes"),
    endpoint("GET", "/v1/credit_notes", list_, "GetCreditNotes"),
    endpoint("GET", "/v1/credit_notes/preview", preview, "GetCreditNotesPreview"),
    endpoint("GET", "/v1/credit_notes/{id:str}", retrieve, "GetCreditNotesId"),
    endpoint("POST", "/v1/credit_notes/{id:str}/void", void, "PostCreditNotesIdVoid"),
    endpoint("GET", "/v1/credit_notes/{credit_note:str}/lines", lines, "GetCreditNotesCreditNoteLines"),
]
