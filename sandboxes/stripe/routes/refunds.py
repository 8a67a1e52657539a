"""Refunds (``/v1/refunds``) and the charges they return money from (``/v1/charges``)."""

from __future__ import annotations

from typing import Any

from ..errors import StripeError, invalid
from ..state import StripeState
from ..webhooks import emit
from ..wire import Call, endpoint
from ._common import LIST_PARAMS, apply_metadata, list_response

__all__ = ["ROUTES", "refund_charge"]

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def refund_charge(state: StripeState, charge: dict[str, Any], amount: int | None, reason: str | None,
                  metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """Refund (part of) a charge; updates the charge and emits ``refund.created`` and ``charge.refunded``."""
    left = charge["amount"] - charge["amount_refunded"]
    amount = left if amount is None else amount
    if left <= 0:
        raise StripeError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded",
                          param="charge")
    if amount <= 0 or amount > left:
        raise invalid("amount", f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                      None)
    refund = state.add({
        "id": state.new_id("refund"), "object": "refund", "amount": amount, "balance_transaction": None,
        "charge": charge["id"], "created": state.now(charge.get("customer")), "currency": charge["currency"],
        "metadata": metadata or {}, "payment_intent": charge.get("payment_intent"),
        "reason": reason, "receipt_number": None, "source_transfer_reversal": None, "status": "succeeded",
        "transfer_reversal": None,
    })
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    emit(state, "refund.created", refund)
    emit(state, "charge.refunded", charge)
    return refund


def create(call: Call) -> dict[str, Any]:
    p = call.params.allow("charge", "payment_intent", "amount", "reason", "metadata")
    if p.has("payment_intent"):
        raise StripeError(404, f"No such payment_intent: '{p.text('payment_intent')}'", code="resource_missing",
                          param="payment_intent")
    if not p.has("charge"):
        raise StripeError(400, "One of the following params should be provided for this request: payment_intent "
                          "or charge.", code="parameter_missing", param="charge")
    charge = call.state.get("charge", p.text("charge"), "charge")
    return refund_charge(call.state, charge, p.integer("amount", minimum=1), p.enum("reason", REASONS),
                         p.metadata())


def retrieve(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("refund", call.path["refund"], "refund")


def update(call: Call) -> dict[str, Any]:
    p = call.params.allow("metadata")
    refund = call.state.get("refund", call.path["refund"], "refund")
    apply_metadata(refund, p)
    return refund


def list_(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "charge", "payment_intent")
    charge = p.text("charge")
    return list_response(call.state, p, "refund", "/v1/refunds", lambda o: charge is None or o["charge"] == charge)


def get_charge(call: Call) -> dict[str, Any]:
    call.params.allow()
    return call.state.get("charge", call.path["charge"], "charge")


def list_charges(call: Call) -> dict[str, Any]:
    p = call.params.allow(*LIST_PARAMS, "customer", "payment_intent")
    customer = p.text("customer")
    return list_response(call.state, p, "charge", "/v1/charges",
                         lambda o: customer is None or o["customer"] == customer)


ROUTES = [
    endpoint("POST", "/v1/refunds", create, "PostRefunds"),
    endpoint("GET", "/v1/refunds", list_, "GetRefunds"),
    endpoint("GET", "/v1/refunds/{refund:str}", retrieve, "GetRefundsRefund"),
    endpoint("POST", "/v1/refunds/{refund:str}", update, "PostRefundsRefund"),
    endpoint("GET", "/v1/charges", list_charges, "GetCharges"),
    endpoint("GET", "/v1/charges/{charge:str}", get_charge, "GetChargesCharge"),
]
