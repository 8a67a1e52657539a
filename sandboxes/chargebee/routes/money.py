"""Invoices, credit notes, payment sources and the transactions they record.

Invoices: ``create_for_charge_items_and_charges`` (a one-off invoice), list, retrieve, ``close`` (a pending
invoice), ``record_payment``, ``void``. Credit notes: create,
retrieve, list, ``record_refund``. Payment sources: ``create_card`` on the site's test gateway.
"""

from __future__ import annotations

from typing import Any

from ..billing import close_invoice, line_item, new_credit_note, new_invoice, refresh_customer_credits, refresh_invoice
from ..errors import blank, invalid_state, not_found, wrong_value
from ..events import emit
from ..params import Params
from ..payments import collect, create_card
from ..pricing import price_amount
from ..state import ChargebeeState
from ..wire import Call, endpoint
from ._common import list_response

__all__ = ["ROUTES"]

METHODS = ("cash", "check", "bank_transfer", "other", "chargeback", "custom", "ach_credit", "sepa_credit")


def _transaction(state: ChargebeeState, inv: dict[str, Any], p: Params, type_: str, amount: int) -> dict[str, Any]:
    date = p.integer("date", default=state.now(), minimum=0)
    txn = {"id": state.new_id("txn_"), "customer_id": inv["customer_id"], "subscription_id": inv["subscription_id"],
           "payment_method": p.enum("payment_method", METHODS, required=True),
           "reference_number": p.text("reference_number"), "gateway": "not_applicable", "type": type_,
           "date": date, "exchange_rate": 1.0, "currency_code": inv["currency_code"], "amount": amount,
           "status": "success", "amount_unused": 0, "base_currency_code": inv["currency_code"],
           "linked_invoices": [], "linked_credit_notes": [], "linked_refunds": [], "deleted": False,
           "object": "transaction"}
    return state.add(state.touch(txn))


def _invoice(state: ChargebeeState, iid: str) -> dict[str, Any]:
    return state.get("invoice", iid)


def retrieve_invoice(call: Call) -> dict[str, Any]:
    return {"invoice": _invoice(call.state, call.path["id"])}


def list_invoices(call: Call) -> dict[str, Any]:
    return list_response(call.state, call.params, "invoice", lambda i: {"invoice": i},
                         ("id", "customer_id", "subscription_id", "status", "date", "recurring", "total",
                          "amount_due", "updated_at", "paid_at"))


def create_for_charge_items(call: Call) -> dict[str, Any]:
    """``POST /invoices/create_for_charge_items_and_charges``: a one-off invoice of charge item prices.

    Each ``item_prices[...][i]`` row names a charge item price in the invoice's currency, a ``quantity``
    (default 1) and optionally a ``unit_price`` overriding the price's. The invoice is closed at once (due after
    ``net_term_days``, default the customer's) and collected from the primary payment source when
    ``auto_collection`` (default the customer's) is ``on``. Every row is checked before anything is stored.
    """
    state, p = call.state, call.params
    customer = state.get("customer", p.text("customer_id", required=True), "customer_id")
    currency = p.text("currency_code") or customer["preferred_currency_code"]
    po_number = p.text("po_number")
    if po_number is not None and len(po_number) > 100:
        raise wrong_value("po_number", "cannot be longer than 100 characters")
    auto = p.enum("auto_collection", ("on", "off"), default=customer["auto_collection"])
    net_days = p.integer("net_term_days", minimum=0)
    rows = p.rows("item_prices")
    if not rows:
        raise blank("item_prices[item_price_id][0]")
    now, lines = state.now(), []
    for row in rows:
        price = state.get("item_price", row.text("item_price_id", required=True), row.name("item_price_id"))
        if price["item_type"] != "charge":
            raise wrong_value(row.name("item_price_id"), "only charge item prices can be invoiced on their own")
        if price["currency_code"] != currency:
            raise wrong_value(row.name("item_price_id"),
                              f"is priced in {price['currency_code']}, the invoice is in {currency}")
        quantity = row.integer("quantity", default=1, minimum=1)
        unit = row.integer("unit_price", minimum=0)
        effective = price if unit is None else {**price, "price": unit}
        lines.append(line_item(state, effective, quantity, price_amount(effective, quantity), (now, now),
                               price.get("external_name") or price["name"], None, customer["id"]))
    inv = new_invoice(state, customer, None, lines, currency=currency)
    if po_number is not None:
        inv["po_number"] = po_number
    if net_days is not None:
        inv.update(net_term_days=net_days, due_date=now + net_days * 86_400)
    emit(state, "invoice_generated", {"invoice": inv})
    if auto == "on":
        collect(state, inv)
    return {"invoice": inv}


def close(call: Call) -> dict[str, Any]:
    """``POST /invoices/{id}/close``: finalize a pending invoice (it is then collected like any other)."""
    state = call.state
    inv = _invoice(state, call.path["id"])
    if inv["status"] != "pending":
        raise invalid_state(f"Only pending invoices can be closed, this one is {inv['status']}")
    if call.params.has("invoice_note"):
        inv["notes"] = [{"entity_type": "invoice", "note": call.params.text("invoice_note"), "object": "note"}]
    close_invoice(state, inv)
    emit(state, "invoice_generated", {"invoice": inv})
    collect(state, inv)
    return {"invoice": inv}


def create_payment_card(call: Call) -> dict[str, Any]:
    return create_card(call.state, call.params)


def record_payment(call: Call) -> dict[str, Any]:
    state = call.state
    inv = _invoice(state, call.path["id"])
    if inv["status"] == "pending":
        raise invalid_state("Payments cannot be recorded for pending invoices; close the invoice first")
    if inv["status"] in ("paid", "voided"):
        raise invalid_state(f"The invoice is already {inv['status']}")
    tp = call.params.obj("transaction")
    amount = tp.integer("amount", default=inv["amount_due"], minimum=1)
    if amount > inv["amount_due"]:
        raise wrong_value(tp.name("amount"), f"cannot be more than the amount due ({inv['amount_due']})")
    txn = _transaction(state, inv, tp, "payment", amount)
    txn["linked_invoices"].append({"invoice_id": inv["id"], "applied_amount": amount, "applied_at": state.now(),
                                   "invoice_date": inv["date"], "invoice_total": inv["total"]})
    inv["linked_payments"].append({"txn_id": txn["id"], "applied_amount": amount, "applied_at": state.now(),
                                   "txn_status": "success", "txn_date": txn["date"], "txn_amount": amount})
    refresh_invoice(state, inv)
    txn["linked_invoices"][-1]["invoice_status"] = inv["status"]
    customer = state.objects["customer"][inv["customer_id"]]
    emit(state, "payment_succeeded", {"transaction": txn, "invoice": inv, "customer": customer})
    emit(state, "invoice_updated", {"invoice": inv})
    return {"invoice": inv, "transaction": txn}


def void_invoice(call: Call) -> dict[str, Any]:
    state = call.state
    inv = _invoice(state, call.path["id"])
    if inv["status"] == "voided":
        raise invalid_state("The invoice is already voided")
    if inv["amount_paid"] or inv["credits_applied"]:
        raise invalid_state("Invoices with payments or applied credits cannot be voided")
    inv.update(status="voided", voided_at=state.now())
    if call.params.has("void_reason_code"):
        inv["void_reason_code"] = call.params.text("void_reason_code")
    refresh_invoice(state, inv)
    emit(state, "invoice_updated", {"invoice": inv})
    return {"invoice": inv}


def _credit_limit(state: ChargebeeState, inv: dict[str, Any], type_: str) -> int:
    """Refundable notes credit what was paid; adjustment notes reduce what is still due."""
    if type_ == "adjustment":
        return int(inv["amount_due"])
    refundable = sum(cn["total"] for cn in state.objects["credit_note"].values()
                     if cn["reference_invoice_id"] == inv["id"] and cn["type"] == "refundable"
                     and cn["status"] != "voided")
    return int(inv["amount_paid"] + inv["credits_applied"] - refundable)


def create_credit_note(call: Call) -> dict[str, Any]:
    state, p = call.state, call.params
    type_ = p.enum("type", ("adjustment", "refundable", "store"), required=True)
    inv = state.get("invoice", p.text("reference_invoice_id", required=True), "reference_invoice_id")
    if inv["status"] in ("voided", "pending"):
        raise invalid_state(f"Credit notes cannot be created for {inv['status']} invoices")
    total = p.integer("total", required=True, minimum=1)
    limit = _credit_limit(state, inv, type_)
    if total > limit:
        raise wrong_value("total", f"cannot be more than {limit} for a {type_} credit note against this invoice")
    reason = p.enum("reason_code", ("write_off", "subscription_change", "subscription_cancellation",
                                    "subscription_pause", "chargeback", "product_unsatisfactory",
                                    "service_unsatisfactory", "order_change", "order_cancellation", "waiver",
                                    "other", "fraudulent"), default="other")
    cn = new_credit_note(state, inv, "refundable" if type_ == "store" else type_, total, reason,
                         create_reason_code=p.text("create_reason_code"))
    if p.has("customer_notes"):
        cn["customer_notes"] = p.text("customer_notes")
    refresh_customer_credits(state, state.objects["customer"][inv["customer_id"]])
    emit(state, "credit_note_created", {"credit_note": cn, "invoice": inv})
    return {"credit_note": cn, "invoice": inv}


def retrieve_credit_note(call: Call) -> dict[str, Any]:
    return {"credit_note": call.state.get("credit_note", call.path["id"])}


def list_credit_notes(call: Call) -> dict[str, Any]:
    return list_response(call.state, call.params, "credit_note", lambda c: {"credit_note": c},
                         ("id", "customer_id", "subscription_id", "reference_invoice_id", "type", "reason_code",
                          "status", "date", "total", "updated_at"))


def record_refund(call: Call) -> dict[str, Any]:
    state = call.state
    cn = state.get("credit_note", call.path["id"])
    if cn["type"] != "refundable" or cn["status"] != "refund_due":
        raise invalid_state(f"Refunds can be recorded only for refundable credit notes in refund_due state, "
                            f"this one is {cn['type']} and {cn['status']}")
    tp = call.params.obj("transaction")
    amount = tp.integer("amount", default=cn["amount_available"], minimum=1)
    if amount > cn["amount_available"]:
        raise wrong_value(tp.name("amount"), f"cannot be more than the refundable amount ({cn['amount_available']})")
    txn = _transaction(state, state.objects["invoice"][cn["reference_invoice_id"]], tp, "refund", amount)
    txn["linked_credit_notes"].append({"cn_id": cn["id"], "applied_amount": amount, "applied_at": state.now(),
                                       "cn_reason_code": cn["reason_code"], "cn_date": cn["date"],
                                       "cn_total": cn["total"], "cn_reference_invoice_id": cn["reference_invoice_id"]})
    cn["linked_refunds"].append({"txn_id": txn["id"], "applied_amount": amount, "applied_at": state.now(),
                                 "txn_status": "success", "txn_date": txn["date"], "txn_amount": amount,
                                 "refund_reason_code": call.params.text("refund_reason_code")})
    cn["amount_refunded"] += amount
    cn["amount_available"] -= amount
    cn["refunded_at"] = state.now()
    if cn["amount_available"] == 0:
        cn["status"] = "refunded"
    state.touch(cn)
    customer = state.objects["customer"][cn["customer_id"]]
    refresh_customer_credits(state, customer)
    emit(state, "payment_refunded", {"transaction": txn, "credit_note": cn, "customer": customer})
    emit(state, "credit_note_updated", {"credit_note": cn})
    return {"credit_note": cn, "transaction": txn}


def retrieve_transaction(call: Call) -> dict[str, Any]:
    found = call.state.objects["transaction"].get(call.path["id"])
    if found is None:
        raise not_found()
    return {"transaction": found}


ROUTES = [
    endpoint("POST", "/invoices/create_for_charge_items_and_charges", create_for_charge_items,
             "createInvoiceForChargeItemsAndCharges"),
    endpoint("GET", "/invoices", list_invoices, "listInvoices"),
    endpoint("GET", "/invoices/{id:str}", retrieve_invoice, "retrieveInvoice"),
    endpoint("POST", "/invoices/{id:str}/close", close, "closeInvoice"),
    endpoint("POST", "/invoices/{id:str}/record_payment", record_payment, "recordPaymentForInvoice"),
    endpoint("POST", "/invoices/{id:str}/void", void_invoice, "voidInvoice"),
    endpoint("POST", "/credit_notes", create_credit_note, "createCreditNote"),
    endpoint("GET", "/credit_notes", list_credit_notes, "listCreditNotes"),
    endpoint("GET", "/credit_notes/{id:str}", retrieve_credit_note, "retrieveCreditNote"),
    endpoint("POST", "/credit_notes/{id:str}/record_refund", record_refund, "recordRefundForCreditNote"),
    endpoint("GET", "/transactions/{id:str}", retrieve_transaction, "retrieveTransaction"),
    endpoint("POST", "/payment_sources/create_card", create_payment_card, "createCardPaymentSource"),
]
