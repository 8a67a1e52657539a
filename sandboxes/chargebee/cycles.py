"""Billing what a subscription owes, now or at its term end.

Immediately (an invoice plus credit notes) or later (unbilled charges), and starts of future subscriptions and
renewals when the site clock travels forward (Chargebee's time machine or the sandbox admin route).
"""

from __future__ import annotations

from typing import Any

from .billing import new_credit_note, new_invoice, refresh_customer_credits
from .errors import wrong_value
from .events import emit
from .payments import collect
from .pricing import next_term_end
from .state import ChargebeeState
from .subscriptions import term_lines, usage_lines

__all__ = ["Settled", "settle", "travel"]

Settled = tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]


def _unbilled(state: ChargebeeState, sub: dict[str, Any], line: dict[str, Any], sign: int) -> dict[str, Any]:
    charge = {"id": state.new_id("uc_"), "customer_id": sub["customer_id"], "subscription_id": sub["id"],
              "date_from": line["date_from"], "date_to": line["date_to"], "unit_amount": line["unit_amount"],
              "pricing_model": line["pricing_model"], "quantity": line["quantity"], "amount": sign * line["amount"],
              "currency_code": sub["currency_code"], "discount_amount": 0, "description": line["description"],
              "entity_type": line["entity_type"], "entity_id": line["entity_id"], "is_voided": False,
              "deleted": False, "object": "unbilled_charge"}
    return state.add(state.touch(charge))


def _pending(state: ChargebeeState, sub: dict[str, Any]) -> list[dict[str, Any]]:
    return [u for u in state.objects["unbilled_charge"].values()
            if u["subscription_id"] == sub["id"] and not u["is_voided"] and not u["deleted"]]


def _as_line(charge: dict[str, Any]) -> dict[str, Any]:
    keys = ("date_from", "date_to", "unit_amount", "pricing_model", "quantity", "description", "entity_type",
            "entity_id", "customer_id", "subscription_id")
    return {"id": charge["id"].replace("uc_", "li_", 1), **{k: charge[k] for k in keys},
            "amount": abs(charge["amount"]), "is_taxed": False, "tax_amount": 0, "discount_amount": 0,
            "item_level_discount_amount": 0, "metered": False, "object": "line_item"}


def settle(state: ChargebeeState, sub: dict[str, Any], charges: list[dict[str, Any]],
           credits: list[dict[str, Any]], immediately: bool, first: bool = False, pending: bool = False
           ) -> Settled:
    """Invoice ``charges`` now, crediting ``credits`` against that invoice, or leave both unbilled.

    Credits up to the invoice's total become an *adjustment* credit note on it (so ``amount_due`` is the
    charge less the credit, as in Chargebee's documented proration example); any excess becomes a
    *refundable* credit note, kept as the customer's refundable credits for later invoices. A closed invoice
    is then collected from the customer's payment source when automatic collection applies; a ``pending``
    one (charges only) waits for ``POST /invoices/{id}/close``.
    """
    if not immediately:
        pending = [_unbilled(state, sub, line, 1) for line in charges]
        pending += [_unbilled(state, sub, line, -1) for line in credits]
        return None, [], pending
    customer = state.objects["customer"][sub["customer_id"]]
    if pending and charges and not credits:
        invoice = new_invoice(state, customer, sub, charges, first=first, pending=True)
        emit(state, "pending_invoice_created", {"invoice": invoice})
        return invoice, [], []
    credit = sum(line["amount"] for line in credits)
    if not charges and not credit:
        return None, [], []
    invoice = new_invoice(state, customer, sub, charges, first=first) if charges else _latest_invoice(state, sub)
    notes = []
    if invoice is not None and charges:
        emit(state, "invoice_generated", {"invoice": invoice})
    # Credits first reduce what is still owed on the target invoice (the new one, else the latest one).
    adjust = min(credit, invoice["amount_due"]) if invoice is not None and invoice["status"] != "voided" else 0
    if adjust:
        notes.append(new_credit_note(state, invoice, "adjustment", adjust, "subscription_change",
                                     credits if adjust == credit else None))
    if credit - adjust and invoice is not None:
        notes.append(new_credit_note(state, invoice, "refundable", credit - adjust, "subscription_change"))
        refresh_customer_credits(state, customer)
    for note in notes:
        emit(state, "credit_note_created", {"credit_note": note})
    if invoice is not None and charges:
        collect(state, invoice)
    return invoice if charges else None, notes, []


def _latest_invoice(state: ChargebeeState, sub: dict[str, Any]) -> dict[str, Any] | None:
    mine = [i for i in state.objects["invoice"].values() if i["subscription_id"] == sub["id"]]
    return mine[-1] if mine else None


def _bill_term_end(state: ChargebeeState, sub: dict[str, Any], renew: bool) -> dict[str, Any] | None:
    """Invoice usage for the ending term, unbilled charges and (when renewing) the next term in advance."""
    ended = (sub["current_term_start"], sub["current_term_end"])
    if renew:
        sub["current_term_start"] = ended[1]
        sub["current_term_end"] = next_term_end(sub["started_at"], sub["billing_period_unit"], sub["billing_period"],
                                                ended[1])
        sub["next_billing_at"] = sub["current_term_end"]
    lines = usage_lines(state, sub, ended)
    if renew:
        lines += term_lines(state, sub, [si for si in sub["subscription_items"] if si["item_type"] != "charge"],
                            (sub["current_term_start"], sub["current_term_end"]))
    pending = _pending(state, sub)
    lines += [_as_line(c) for c in pending if c["amount"] > 0]
    credits = [_as_line(c) for c in pending if c["amount"] < 0]
    for charge in pending:
        charge["deleted"] = True
    invoice, _, _ = settle(state, sub, lines, credits, immediately=True,
                           pending=bool(sub.get("create_pending_invoices")))
    if invoice is not None:
        for usage in state.objects["usage"].values():
            if usage.get("line_item_id") in {line["id"] for line in invoice["line_items"]}:
                usage["invoice_id"] = invoice["id"]
                state.touch(usage)
    return invoice


def _start(state: ChargebeeState, sub: dict[str, Any]) -> None:
    """A future subscription starts: its first term begins and is billed in advance."""
    start = sub["start_date"]
    state.offset = start - int(state.clock())
    end = next_term_end(start, sub["billing_period_unit"], sub["billing_period"], start)
    sub.update(status="active", current_term_start=start, current_term_end=end, next_billing_at=end,
               started_at=start, activated_at=start)
    lines = term_lines(state, sub, [si for si in sub["subscription_items"] if si["item_type"] != "charge"],
                       (start, end))
    invoice, _, _ = settle(state, sub, lines, [], immediately=True, pending=bool(sub.get("create_pending_invoices")))
    state.touch(sub)
    customer = state.objects["customer"][sub["customer_id"]]
    emit(state, "subscription_started", {"subscription": sub, "customer": customer, "invoice": invoice})


def _due_at(sub: dict[str, Any]) -> int:
    """When the subscription next needs the clock: its start (``future``) or its term end."""
    return int(sub["start_date"] if sub["status"] == "future" else sub["current_term_end"])


def _advance(state: ChargebeeState, sub: dict[str, Any]) -> None:
    if sub["status"] == "future":
        _start(state, sub)
        return
    state.offset = sub["current_term_end"] - int(state.clock())
    customer = state.objects["customer"][sub["customer_id"]]
    if sub["status"] == "non_renewing":
        invoice = _bill_term_end(state, sub, renew=False)
        sub.update(status="cancelled", cancelled_at=sub["current_term_end"])
        sub.pop("next_billing_at", None)
        state.touch(sub)
        emit(state, "subscription_cancelled", {"subscription": sub, "customer": customer, "invoice": invoice})
        return
    if (scheduled := state.scheduled.pop(sub["id"], None)) is not None:
        sub["subscription_items"] = scheduled
        sub["has_scheduled_changes"] = False
        sub.pop("changes_scheduled_at", None)
    invoice = _bill_term_end(state, sub, renew=True)
    state.touch(sub)
    emit(state, "subscription_renewed", {"subscription": sub, "customer": customer, "invoice": invoice})


def travel(state: ChargebeeState, destination: int) -> int:
    """Move the site clock forward to ``destination``, starting, renewing or ending each subscription due.

    Returns:
        How many starts and term ends were processed.

    Raises:
        ChargebeeError: ``destination`` is not after the current time.
    """
    if destination <= state.now():
        raise wrong_value("destination_time", "should be later than the current time of the time machine")
    state.source = "scheduled_job"
    done = 0
    while True:
        due = [s for s in state.objects["subscription"].values()
               if s["status"] in ("active", "non_renewing", "future") and _due_at(s) <= destination]
        if not due:
            break
        _advance(state, min(due, key=lambda s: (_due_at(s), s["created_at"])))
        done += 1
    state.offset = destination - int(state.clock())
    state.source = "api"
    return done
