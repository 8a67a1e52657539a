"""Payment sources on Chargebee's test gateway, and automatic collection of invoices.

A customer gets a card with ``POST /payment_sources/create_card``; it becomes the primary payment source
(``primary_payment_source_id``, ``payment_method``, ``card_status: valid``). When an invoice is closed with
an amount due, automatic collection is on (the subscription's ``auto_collection``, else the customer's) and
the customer has a valid primary payment source, the invoice is charged through the gateway at once: a
``payment`` transaction (``gateway: chargebee``, ``payment_method: card``) is linked to it and
``payment_succeeded`` is emitted. Without a payment source the invoice stays ``payment_due``, as on a real
site. The test gateway's declining card numbers are not emulated: every valid card is charged successfully.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .billing import refresh_invoice
from .errors import wrong_value
from .events import emit
from .params import Params
from .state import ChargebeeState

__all__ = ["GATEWAY_ACCOUNT", "collect", "create_card"]

GATEWAY_ACCOUNT = "gw_sandbox_test"
"""The id of the site's one gateway account: Chargebee's test gateway (``gateway: chargebee``)."""
_BRANDS = (("4", "visa"), ("5", "mastercard"), ("34", "american_express"), ("37", "american_express"),
           ("6", "discover"))


def _luhn(number: str) -> bool:
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        total += digit if i % 2 == 0 else (digit * 2 - 9 if digit > 4 else digit * 2)
    return total % 10 == 0


def _card(state: ChargebeeState, cp: Params) -> dict[str, Any]:
    number = re.sub(r"[\s-]", "", cp.text("number", required=True))
    if not re.fullmatch(r"\d{12,19}", number) or not _luhn(number):
        raise wrong_value(cp.name("number"), "invalid card number")
    month = cp.integer("expiry_month", required=True, minimum=1, maximum=12)
    year = cp.integer("expiry_year", required=True, minimum=2000, maximum=2099)
    today = datetime.fromtimestamp(state.now(), UTC)
    if (year, month) < (today.year, today.month):
        raise wrong_value(cp.name("expiry_year"), "The card has expired")
    brand = next((name for prefix, name in _BRANDS if number.startswith(prefix)), "other")
    return {"first_name": cp.text("first_name"), "last_name": cp.text("last_name"), "iin": number[:6],
            "last4": number[-4:], "brand": brand, "funding_type": "credit", "expiry_month": month,
            "expiry_year": year, "masked_number": "*" * (len(number) - 4) + number[-4:], "object": "card"}


def create_card(state: ChargebeeState, p: Params) -> dict[str, Any]:
    """``POST /payment_sources/create_card``: a card payment source, made the customer's primary one."""
    customer = state.get("customer", p.text("customer_id", required=True), "customer_id")
    cp = p.obj("card")
    account = cp.text("gateway_account_id", default=GATEWAY_ACCOUNT)
    if account != GATEWAY_ACCOUNT:
        raise wrong_value(cp.name("gateway_account_id"), f"{account} is not a gateway account of this site")
    source = {"id": state.new_id("pm_"), "customer_id": customer["id"], "type": "card",
              "reference_id": state.new_id("tok_"), "status": "valid", "gateway": "chargebee",
              "gateway_account_id": account, "created_at": state.now(), "card": _card(state, cp),
              "deleted": False, "object": "payment_source"}
    state.add(state.touch(source))
    if p.boolean("replace_primary_payment_source", default=False) or not customer.get("primary_payment_source_id"):
        customer.update(primary_payment_source_id=source["id"], card_status="valid", payment_method={
            "type": "card", "reference_id": source["reference_id"], "gateway": "chargebee",
            "gateway_account_id": account, "status": "valid", "object": "payment_method"})
    state.touch(customer)
    emit(state, "payment_source_added", {"customer": customer, "payment_source": source})
    return {"customer": customer, "payment_source": source}


def _source(state: ChargebeeState, inv: dict[str, Any]) -> dict[str, Any] | None:
    customer = state.objects["customer"][inv["customer_id"]]
    sub = state.objects["subscription"].get(inv.get("subscription_id") or "")
    auto = (sub or customer).get("auto_collection", "on")
    source = state.objects["payment_source"].get(customer.get("primary_payment_source_id") or "")
    if auto != "on" or source is None or source["status"] != "valid" or source["deleted"]:
        return None
    return source


def collect(state: ChargebeeState, inv: dict[str, Any]) -> dict[str, Any] | None:
    """Charge a closed invoice's amount due to the primary payment source, when automatic collection applies.

    Returns:
        The payment transaction, or None when nothing was collected.
    """
    if inv["status"] != "payment_due" or inv["amount_due"] <= 0:
        return None
    source = _source(state, inv)
    if source is None:
        return None
    amount, now = inv["amount_due"], state.now()
    txn = {"id": state.new_id("txn_"), "customer_id": inv["customer_id"], "subscription_id": inv["subscription_id"],
           "payment_source_id": source["id"], "payment_method": "card", "gateway": "chargebee",
           "gateway_account_id": source["gateway_account_id"], "id_at_gateway": state.new_id("ch_"),
           "masked_card_number": source["card"]["masked_number"], "type": "payment", "date": now,
           "exchange_rate": 1.0, "currency_code": inv["currency_code"], "amount": amount, "status": "success",
           "amount_unused": 0, "base_currency_code": inv["currency_code"], "linked_invoices": [
               {"invoice_id": inv["id"], "applied_amount": amount, "applied_at": now, "invoice_date": inv["date"],
                "invoice_total": inv["total"]}],
           "linked_credit_notes": [], "linked_refunds": [], "deleted": False, "object": "transaction"}
    state.add(state.touch(txn))
    inv["linked_payments"].append({"txn_id": txn["id"], "applied_amount": amount, "applied_at": now,
                                   "txn_status": "success", "txn_date": now, "txn_amount": amount})
    refresh_invoice(state, inv)
    txn["linked_invoices"][-1]["invoice_status"] = inv["status"]
    customer = state.objects["customer"][inv["customer_id"]]
    emit(state, "payment_succeeded", {"transaction": txn, "invoice": inv, "customer": customer})
    return txn
