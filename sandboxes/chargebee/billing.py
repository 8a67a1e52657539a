"""Invoices and credit notes as Chargebee keeps them: line items, totals, adjustments, applied credits.

Totals follow Chargebee's invoice fields: ``total = sub_total + tax`` (no tax here), and
``amount_due = total - amount_adjusted - credits_applied - amount_paid - write_off_amount``, where
``amount_adjusted`` comes from *adjustment* credit notes against the invoice and ``credits_applied`` from
the customer's *refundable* credits (refundable credit notes with an available amount).
"""

from __future__ import annotations

from typing import Any

from .pricing import tier_lines
from .state import ChargebeeState

__all__ = ["allocate_adjustment", "apply_refundable_credits", "close_invoice", "line_item", "new_credit_note",
           "new_invoice", "refresh_customer_credits", "refresh_invoice"]

ENTITY = {"plan": "plan_item_price", "addon": "addon_item_price", "charge": "charge_item_price"}


def line_item(state: ChargebeeState, price: dict[str, Any], quantity: int, amount: int, period: tuple[int, int],
              description: str, subscription_id: str | None, customer_id: str, metered: bool = False
              ) -> dict[str, Any]:
    """One invoice or credit-note line (``object: line_item``); tier breakdown under ``_tiers``."""
    line = {
        "id": state.new_id("li_"), "subscription_id": subscription_id, "date_from": period[0], "date_to": period[1],
        "unit_amount": amount // quantity if quantity and price["pricing_model"] == "per_unit" else amount,
        "quantity": quantity, "amount": amount, "pricing_model": price["pricing_model"], "is_taxed": False,
        "tax_amount": 0, "discount_amount": 0, "item_level_discount_amount": 0,
        "metered": metered, "description": description,
        "entity_type": ENTITY[price["item_type"]], "entity_id": price["id"], "customer_id": customer_id,
        "object": "line_item",
    }
    if price["pricing_model"] in ("tiered", "volume", "stairstep") and quantity and amount > 0:
        line["_tiers"] = tier_lines(price, quantity)
    return line


def new_invoice(state: ChargebeeState, customer: dict[str, Any], subscription: dict[str, Any] | None,
                lines: list[dict[str, Any]], first: bool = False, pending: bool = False,
                currency: str | None = None) -> dict[str, Any]:
    """Create an invoice from ``lines``: closed (``payment_due`` unless nothing is owed), or ``pending``.

    A pending invoice (subscriptions with ``create_pending_invoices``) is not yet sent for collection: it has
    no due date and no credits applied until ``POST /invoices/{id}/close`` (see :func:`close_invoice`).
    """
    now = state.now()
    tiers = [{**t, "line_item_id": line["id"]} for line in lines for t in line.pop("_tiers", [])]
    inv = {
        "id": state.next_number("invoice"), "customer_id": customer["id"],
        "subscription_id": subscription["id"] if subscription else None, "recurring": subscription is not None,
        "status": "pending" if pending else "payment_due", "price_type": "tax_exclusive", "date": now,
        "net_term_days": customer.get("net_term_days", 0), "exchange_rate": 1.0,
        "currency_code": subscription["currency_code"] if subscription else currency or customer[
            "preferred_currency_code"],
        "tax": 0, "sub_total": 0, "total": 0, "amount_due": 0, "amount_adjusted": 0, "amount_paid": 0,
        "write_off_amount": 0, "credits_applied": 0, "first_invoice": first, "has_advance_charges": False,
        "term_finalized": True, "is_gifted": False, "generated_at": now, "channel": "web", "deleted": False,
        "object": "invoice", "line_items": lines, "line_item_tiers": tiers, "line_item_discounts": [],
        "line_item_taxes": [], "discounts": [], "taxes": [], "linked_payments": [], "applied_credits": [],
        "adjustment_credit_notes": [], "issued_credit_notes": [], "linked_orders": [], "round_off_amount": 0,
    }
    if pending:
        del inv["generated_at"]
    else:
        inv["due_date"] = now
    state.add(inv)
    if not pending:
        apply_refundable_credits(state, inv)
    refresh_invoice(state, inv)
    return inv


def close_invoice(state: ChargebeeState, inv: dict[str, Any]) -> dict[str, Any]:
    """Close a pending invoice: it is generated now, takes the customer's credits and falls due."""
    now = state.now()
    inv.update(status="payment_due", generated_at=now, due_date=now)
    apply_refundable_credits(state, inv)
    return refresh_invoice(state, inv)


def refresh_invoice(state: ChargebeeState, inv: dict[str, Any]) -> dict[str, Any]:
    """Recompute totals and status from lines, adjustments, credits and payments."""
    inv["sub_total"] = sum(line["amount"] for line in inv["line_items"])
    inv["total"] = inv["sub_total"] + inv["tax"]
    inv["amount_adjusted"] = sum(cn["cn_total"] for cn in inv["adjustment_credit_notes"])
    inv["credits_applied"] = sum(c["applied_amount"] for c in inv["applied_credits"])
    inv["amount_paid"] = sum(p["applied_amount"] for p in inv["linked_payments"])
    owed = inv["total"] - inv["amount_adjusted"] - inv["credits_applied"] - inv["amount_paid"]
    inv["amount_due"] = max(0, owed - inv["write_off_amount"])
    inv["amount_to_collect"] = inv["amount_due"]
    if inv["status"] not in ("voided", "pending"):
        inv["status"] = "paid" if inv["amount_due"] == 0 else "payment_due"
        if inv["status"] == "paid":
            inv.setdefault("paid_at", state.now())
    state.touch(inv)
    if inv.get("subscription_id") in state.objects["subscription"]:
        _refresh_dues(state, state.objects["subscription"][inv["subscription_id"]])
    return inv


def _refresh_dues(state: ChargebeeState, sub: dict[str, Any]) -> None:
    due = [i for i in state.objects["invoice"].values()
           if i["subscription_id"] == sub["id"] and i["status"] == "payment_due"]
    sub["due_invoices_count"] = len(due)
    sub["total_dues"] = sum(i["amount_due"] for i in due)
    if due:
        sub["due_since"] = min(i["date"] for i in due)
    else:
        sub.pop("due_since", None)


def new_credit_note(state: ChargebeeState, inv: dict[str, Any], type_: str, total: int, reason_code: str,
                    lines: list[dict[str, Any]] | None = None, create_reason_code: str | None = None
                    ) -> dict[str, Any]:
    """Create a credit note against ``inv``; adjustment notes are allocated to it at once."""
    now = state.now()
    if lines is None:
        lines = [{"id": state.new_id("li_"), "subscription_id": inv["subscription_id"], "date_from": now,
                  "date_to": now, "unit_amount": total, "quantity": 1, "amount": total, "pricing_model": "flat_fee",
                  "is_taxed": False, "tax_amount": 0, "discount_amount": 0, "item_level_discount_amount": 0,
                  "description": f"Credit for invoice #{inv['id']}", "entity_type": "adhoc",
                  "customer_id": inv["customer_id"], "object": "line_item"}]
    cn = {
        "id": state.next_number("credit_note", "CN-"), "customer_id": inv["customer_id"],
        "subscription_id": inv["subscription_id"], "reference_invoice_id": inv["id"], "type": type_,
        "reason_code": reason_code, "status": "refund_due", "date": now, "price_type": "tax_exclusive",
        "currency_code": inv["currency_code"], "total": total, "amount_allocated": 0, "amount_refunded": 0,
        "amount_available": total, "generated_at": now, "channel": "web", "sub_total": total,
        "round_off_amount": 0, "fractional_correction": 0, "line_items": lines, "line_item_discounts": [],
        "line_item_taxes": [], "discounts": [], "taxes": [], "linked_refunds": [], "allocations": [],
        "deleted": False, "object": "credit_note", "create_reason_code": create_reason_code or reason_code,
    }
    state.add(state.touch(cn))
    inv["issued_credit_notes"].append(_cn_ref(cn))
    if type_ == "adjustment":
        allocate_adjustment(state, cn, inv)
    state.touch(inv)
    return cn


def _cn_ref(cn: dict[str, Any]) -> dict[str, Any]:
    return {"cn_id": cn["id"], "cn_reason_code": cn["reason_code"], "cn_create_reason_code": cn["create_reason_code"],
            "cn_date": cn["date"], "cn_total": cn["total"], "cn_status": cn["status"]}


def allocate_adjustment(state: ChargebeeState, cn: dict[str, Any], inv: dict[str, Any]) -> None:
    """An adjustment note reduces what is owed on its invoice (``amount_adjusted``)."""
    cn.update(status="adjusted", amount_allocated=cn["total"], amount_available=0)
    cn["allocations"].append({"invoice_id": inv["id"], "allocated_amount": cn["total"], "allocated_at": state.now(),
                              "invoice_date": inv["date"], "invoice_status": inv["status"]})
    inv["adjustment_credit_notes"].append(_cn_ref(cn))
    inv["issued_credit_notes"] = [c if c["cn_id"] != cn["id"] else _cn_ref(cn) for c in inv["issued_credit_notes"]]
    refresh_invoice(state, inv)
    cn["allocations"][-1]["invoice_status"] = inv["status"]
    state.touch(cn)


def apply_refundable_credits(state: ChargebeeState, inv: dict[str, Any]) -> None:
    """Use the customer's refundable credits (oldest first) against a new invoice."""
    owed = sum(line["amount"] for line in inv["line_items"])
    notes = [cn for cn in state.objects["credit_note"].values()
             if cn["customer_id"] == inv["customer_id"] and cn["type"] == "refundable"
             and cn["status"] == "refund_due" and cn["amount_available"] > 0]
    for cn in notes:
        if owed <= 0:
            break
        use = min(owed, cn["amount_available"])
        owed -= use
        cn["amount_available"] -= use
        cn["amount_allocated"] += use
        cn["allocations"].append({"invoice_id": inv["id"], "allocated_amount": use, "allocated_at": state.now(),
                                  "invoice_date": inv["date"], "invoice_status": "paid"})
        if cn["amount_available"] == 0:
            cn["status"] = "refunded" if cn["amount_refunded"] else "adjusted"
        inv["applied_credits"].append({"cn_id": cn["id"], "applied_amount": use, "applied_at": state.now(),
                                       "cn_reason_code": cn["reason_code"], "cn_date": cn["date"],
                                       "cn_status": cn["status"]})
        state.touch(cn)
    customer = state.objects["customer"].get(inv["customer_id"])
    if customer is not None:
        refresh_customer_credits(state, customer)


def refresh_customer_credits(state: ChargebeeState, customer: dict[str, Any]) -> None:
    """``refundable_credits`` is what the customer's refundable credit notes still have available."""
    customer["refundable_credits"] = sum(
        cn["amount_available"] for cn in state.objects["credit_note"].values()
        if cn["customer_id"] == customer["id"] and cn["type"] == "refundable" and cn["status"] == "refund_due")
