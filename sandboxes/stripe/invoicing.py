"""Invoice lifecycle shared by the routes and the test clock: build, total, finalize, pay, void.

Amounts are integers in the currency's minor unit. Totals are recomputed from the lines every time a line
changes, so a draft always reads consistent.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import StripeError
from .state import StripeState
from .webhooks import emit

__all__ = ["add_line", "charge_invoice", "finalize", "invoice_item", "line_from_item", "new_invoice", "recompute"]


def invoice_item(state: StripeState, customer: dict[str, Any], amount: int, currency: str, description: str,
                 period: tuple[int, int], **extra: Any) -> dict[str, Any]:
    """A stored invoice item (pending until an invoice picks it up)."""
    price = extra.pop("price", None)
    quantity = extra.pop("quantity", 1)
    item = {
        "id": state.new_id("invoiceitem"), "object": "invoiceitem", "amount": amount, "currency": currency,
        "customer": customer["id"], "date": state.now(customer), "description": description,
        "discountable": True, "discounts": [], "invoice": None, "livemode": False, "metadata": {},
        "period": {"start": period[0], "end": period[1]}, "plan": None,
        "price": copy.deepcopy(price), "proration": False, "quantity": quantity, "subscription": None,
        "tax_rates": [], "test_clock": customer.get("test_clock"),
        "unit_amount": price.get("unit_amount") if price else amount,
        "unit_amount_decimal": price.get("unit_amount_decimal") if price else str(amount),
    }
    item.update({k: v for k, v in extra.items() if v is not None or k != "subscription_item"})
    return state.add(item)


def line_from_item(state: StripeState, item: dict[str, Any], kind: str = "invoiceitem") -> dict[str, Any]:
    """An invoice line for an invoice item (``type=invoiceitem``) or a subscription charge."""
    line = {
        "id": state.ids.new("il"), "object": "line_item", "amount": item["amount"],
        "amount_excluding_tax": item["amount"], "currency": item["currency"], "description": item["description"],
        "discount_amounts": [], "discountable": True, "discounts": [], "livemode": False,
        "metadata": dict(item.get("metadata") or {}), "period": dict(item["period"]), "plan": None,
        "price": copy.deepcopy(item.get("price")), "proration": item.get("proration", False),
        "proration_details": {"credited_items": None}, "quantity": item.get("quantity"),
        "subscription": item.get("subscription"), "tax_amounts": [], "tax_rates": [], "type": kind,
        "unit_amount_excluding_tax": str(item.get("unit_amount_decimal") or item["amount"]),
    }
    if item.get("subscription_item"):
        line["subscription_item"] = item["subscription_item"]
    if kind == "invoiceitem":
        line["invoice_item"] = item["id"]
    return line


def new_invoice(state: StripeState, customer: dict[str, Any], *, subscription: dict[str, Any] | None = None,
                reason: str = "manual", collection_method: str = "charge_automatically",
                days_until_due: int | None = None, period: tuple[int, int] | None = None,
                currency: str | None = None) -> dict[str, Any]:
    """A stored draft invoice with no lines yet."""
    now = state.now(customer)
    inv_id = state.new_id("invoice")
    inv: dict[str, Any] = {
        "id": inv_id, "object": "invoice", "account_country": "US", "account_name": "revflow sandbox",
        "account_tax_ids": None, "amount_due": 0, "amount_paid": 0, "amount_remaining": 0, "amount_shipping": 0,
        "application": None, "application_fee_amount": None, "attempt_count": 0, "attempted": False,
        "auto_advance": True, "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_reason": reason, "charge": None, "collection_method": collection_method, "created": now,
        "currency": currency or customer.get("currency") or "usd", "custom_fields": None,
        "customer": customer["id"], "customer_address": customer.get("address"),
        "customer_email": customer.get("email"), "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"), "customer_shipping": None,
        "customer_tax_exempt": customer.get("tax_exempt"), "customer_tax_ids": [], "default_payment_method": None,
        "default_source": None, "default_tax_rates": [], "description": None, "discount": None, "discounts": [],
        "due_date": None, "effective_at": None, "ending_balance": None, "footer": None, "from_invoice": None,
        "hosted_invoice_url": None, "invoice_pdf": None, "issuer": {"type": "self"},
        "last_finalization_error": None, "latest_revision": None,
        "lines": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                  "url": f"/v1/invoices/{inv_id}/lines"},
        "livemode": False, "metadata": {}, "next_payment_attempt": None, "number": None, "on_behalf_of": None,
        "paid": False, "paid_out_of_band": False, "payment_intent": None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "period_end": period[1] if period else now, "period_start": period[0] if period else now,
        "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0, "quote": None,
        "receipt_number": None, "rendering": None, "shipping_cost": None, "shipping_details": None,
        "starting_balance": 0, "statement_descriptor": None, "status": "draft",
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                               "voided_at": None},
        "subscription": subscription["id"] if subscription else None, "subscription_details": {"metadata": None},
        "subtotal": 0, "subtotal_excluding_tax": 0, "tax": None,
        "test_clock": customer.get("test_clock"), "total": 0,
        "total_discount_amounts": [], "total_excluding_tax": 0, "total_tax_amounts": [], "transfer_data": None,
        "webhooks_delivered_at": None,
    }
    if collection_method == "send_invoice":
        inv["due_date"] = now + 86400 * (days_until_due if days_until_due is not None else 30)
    return state.add(inv)


def add_line(inv: dict[str, Any], line: dict[str, Any]) -> None:
    """Append a line and recompute totals."""
    inv["lines"]["data"].append(line)
    recompute(inv)


def attach_pending(state: StripeState, inv: dict[str, Any], subscription: str | None = None) -> None:
    """Move the customer's pending invoice items (optionally one subscription's) onto a draft invoice."""
    for item in list(state.objects["invoiceitem"].values()):
        if item["customer"] == inv["customer"] and item["invoice"] is None and (
                subscription is None or item["subscription"] in (None, subscription)):
            item["invoice"] = inv["id"]
            add_line(inv, line_from_item(state, item))


def recompute(inv: dict[str, Any]) -> None:
    """Totals from the lines (draft invoices only change here)."""
    lines = inv["lines"]["data"]
    inv["lines"]["total_count"] = len(lines)
    subtotal = sum(line["amount"] for line in lines)
    for key in ("subtotal", "subtotal_excluding_tax", "total", "total_excluding_tax"):
        inv[key] = subtotal
    if inv["status"] == "draft":
        inv["amount_due"] = inv["amount_remaining"] = max(subtotal, 0)


def finalize(state: StripeState, inv: dict[str, Any]) -> dict[str, Any]:
    """draft -> open: number it, apply the customer's credit balance; a zero invoice is paid at once."""
    if inv["status"] != "draft":
        raise StripeError(400, "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                          code="invoice_not_editable", param="invoice")
    cust = state.objects["customer"][inv["customer"]]
    now = state.now(cust)
    balance = cust.get("balance", 0)
    total = inv["total"]
    applied = min(-balance, total) if balance < 0 and total > 0 else 0
    ending = balance + applied + (total if total < 0 else 0)
    inv.update(number=f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}", status="open",
               starting_balance=balance, ending_balance=ending, amount_due=max(total - applied, 0),
               amount_remaining=max(total - applied, 0), effective_at=now,
               hosted_invoice_url=f"https://invoice.stripe.com/i/{inv['id']}",
               invoice_pdf=f"https://pay.stripe.com/invoice/{inv['id']}/pdf")
    inv["status_transitions"]["finalized_at"] = now
    cust["next_invoice_sequence"] += 1
    cust["balance"] = ending
    emit(state, "invoice.finalized", inv)
    if inv["amount_due"] == 0:
        mark_paid(state, inv, None)
    return inv


def mark_paid(state: StripeState, inv: dict[str, Any], charge: dict[str, Any] | None,
              out_of_band: bool = False) -> None:
    """open -> paid."""
    inv.update(status="paid", paid=True, paid_out_of_band=out_of_band, amount_paid=inv["amount_remaining"],
               amount_remaining=0, charge=charge["id"] if charge else None)
    inv["status_transitions"]["paid_at"] = state.now(inv["customer"])
    emit(state, "invoice.paid", inv)
    emit(state, "invoice.payment_succeeded", inv)


def charge_invoice(state: StripeState, inv: dict[str, Any], decline: bool = False) -> dict[str, Any]:
    """Collect an open invoice with a (simulated) card charge; ``decline`` answers a card_error."""
    inv.update(attempt_count=inv["attempt_count"] + 1, attempted=True)
    if decline:
        emit(state, "invoice.payment_failed", inv)
        raise StripeError(402, "Your card was declined.", type_="card_error", code="card_declined",
                          saved=True, decline_code="generic_decline")
    amount = inv["amount_remaining"]
    charge = state.add({
        "id": state.new_id("charge"), "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": 0, "balance_transaction": None,
        "billing_details": {"address": None, "email": inv["customer_email"], "name": inv["customer_name"],
                            "phone": None},
        "calculated_statement_descriptor": "REVFLOW SANDBOX", "captured": True,
        "created": state.now(inv["customer"]), "currency": inv["currency"], "customer": inv["customer"],
        "description": f"Payment for Invoice {inv['number']}", "disputed": False, "failure_code": None,
        "failure_message": None, "invoice": inv["id"], "livemode": False, "metadata": {},
        "outcome": {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                    "seller_message": "Payment complete.", "type": "authorized"},
        "paid": True, "payment_intent": None, "payment_method": None, "receipt_url": None, "refunded": False,
        "status": "succeeded",
    })
    emit(state, "charge.succeeded", charge)
    mark_paid(state, inv, charge)
    return charge


def advance(state: StripeState, inv: dict[str, Any]) -> dict[str, Any]:
    """What Stripe's automatic collection does to a new invoice: finalize, then charge if it charges."""
    finalize(state, inv)
    if inv["status"] == "open" and inv["collection_method"] == "charge_automatically":
        charge_invoice(state, inv)
    return inv
