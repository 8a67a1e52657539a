"""Activation: a closed-won deal becomes a customer, a subscription, an order and a revenue contract.

validate the deal -> ERP customer -> ERP items -> billing customer -> billing catalogue -> billing subscription
-> ERP sales order -> revenue contract and schedules -> invoice sync started -> finance status on the CRM record.

Input: the ``revflow.crm.opportunity.closed_won.v1`` payload (``opportunity``, ``customer``, ``closed_at``).
The customer's business key in every system is its CRM account id. An invalid deal parks as
``pending_validation`` (owner ``sales_ops``); a SKU missing from the ERP parks as ``blocked_master_data``
(owner ``finance_ops``) until the item exists and the workflow is resumed. A deal of usage lines only books
nothing up front, so it gets no ERP sales order; its usage invoices reach the ERP by invoice sync as they come.
A deal of one-time lines only (services, a one-off purchase) gets no subscription: the billing step issues one
invoice of its charges instead, which is synced like any other.

Cancelling an unfinished activation closes its ERP sales order and cancels its subscription in billing (or voids
its one-off invoice, or credits it to the customer's balance once paid), including one made by a create whose
answer was lost (found by the deal's id); customers stay, as master data of every system. Once the revenue
contract exists the deal is live everywhere and ``cancel`` is refused: a cancellation workflow ends it, with the
credit and the revenue change it calls for.
"""

from __future__ import annotations

from typing import Any

import msgspec

from contracts.deals import Opportunity
from contracts.money import Money
from contracts.parties import Customer
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition
from services.process.quote_to_cash.systems import call
from services.process.quote_to_cash.workflows import deal_terms
from services.process.quote_to_cash.workflows.crm_status import write_finance_status
from services.process.quote_to_cash.workflows.invoice_sync import start_invoice_sync_for

__all__ = ["ACTIVATION", "NOTHING_ORDERED", "customer_of", "deal_of"]


class ActivationInput(msgspec.Struct, kw_only=True):
    """What an activation starts from: the CRM's ``closed_won`` event payload."""

    opportunity: dict[str, Any]
    customer: dict[str, Any]


def deal_of(ctx: StepContext) -> Opportunity:
    return msgspec.convert(ctx.input["opportunity"], Opportunity)


def customer_of(ctx: StepContext) -> Customer:
    return msgspec.convert(ctx.input["customer"], Customer)


def customer_key(ctx: StepContext) -> str:
    """The customer's business key in every system: its CRM account id."""
    return str(ctx.input["customer"].get("id") or deal_of(ctx).customer_id)


async def validate(ctx: StepContext) -> dict[str, Any]:
    try:
        deal = deal_of(ctx)
        customer_of(ctx)
    except (msgspec.ValidationError, ValueError) as exc:
        raise StepFailed(f"the deal cannot be read: {exc}", retryable=False, owner=ExceptionOwner.SALES_OPS,
                         business_status=BusinessStatus.PENDING_VALIDATION, code="deal_invalid",
                         fix="Correct the opportunity in the CRM, then resume the workflow.") from exc
    problems = deal_terms.problems_of(deal)
    if problems:
        raise StepFailed("; ".join(problems), retryable=False, owner=ExceptionOwner.SALES_OPS, code="deal_invalid",
                         business_status=BusinessStatus.PENDING_VALIDATION,
                         fix="Correct the opportunity lines in the CRM, then resume the workflow.")
    booked = Money.total((deal_terms.booked_amount(line) for line in deal.lines), deal.currency)
    return {"lines": len(deal.lines), "currency": deal.currency, "booked": msgspec.to_builtins(booked)}


async def erp_customer(ctx: StepContext) -> dict[str, Any]:
    body = msgspec.to_builtins(customer_of(ctx))
    found = await call(ctx.systems.erp, "PUT", f"/v1/customers/{customer_key(ctx)}", json=body, key=ctx.key)
    return {"customer_key": customer_key(ctx), "erp_customer_id": found.get("external_ids", {}).get("erp")}


async def erp_items(ctx: StepContext) -> dict[str, Any]:
    skus = list(dict.fromkeys(line.product_sku for line in deal_of(ctx).lines))
    found = await call(ctx.systems.erp, "GET", "/v1/items", params={"sku": skus})
    return {"items": {item["sku"]: {"name": item.get("name") or item["sku"], "erp_item_id": item.get("id"),
                                    "recognition": item.get("recognition")} for item in found}}


async def billing_customer(ctx: StepContext) -> dict[str, Any]:
    body = msgspec.to_builtins(customer_of(ctx))
    found = await call(ctx.systems.billing, "PUT", f"/v1/customers/{customer_key(ctx)}", json=body, key=ctx.key)
    return {"billing_customer_id": found.get("external_ids", {}).get("billing")}


async def billing_catalog(ctx: StepContext) -> dict[str, Any]:
    names = ctx.output("erp_items")["items"]
    synced = []
    memo = ctx.systems.catalog
    for line in deal_of(ctx).lines:
        body = {"name": names.get(line.product_sku, {}).get("name") or line.product_sku,
                "prices": deal_terms.catalog_prices(line)}
        if memo is None or not await memo.synced(line.product_sku, body):
            await call(ctx.systems.billing, "PUT", f"/v1/catalog/items/{line.product_sku}", json=body,
                       key=ctx.sub_key(line.product_sku))
            if memo is not None:
                await memo.remember(line.product_sku, body)
        synced.append(line.product_sku)
    return {"skus": synced}


async def billing_subscription(ctx: StepContext) -> dict[str, Any]:
    """The deal's subscription; for a deal of one-time lines only, its one-off invoice instead."""
    deal = deal_of(ctx)
    if deal_terms.one_time_only(deal):
        return await one_off_invoice(ctx, deal)
    start = min(line.service_start for line in deal.lines)
    body = {"customer_key": customer_key(ctx), "items": deal_terms.subscription_items(deal),
            "start_date": start.isoformat(), "opportunity_id": deal.id}
    sub = await call(ctx.systems.billing, "POST", "/v1/subscriptions", json=body, key=ctx.key)
    await ctx.systems.links.record(deal.id or ctx.workflow.subject, subscription_id=sub["id"],
                                   customer_key=customer_key(ctx), currency=deal.currency)
    return {"subscription_id": sub["id"], "status": sub.get("status")}


async def one_off_invoice(ctx: StepContext, deal: Opportunity) -> dict[str, Any]:
    """One invoice of the deal's charges, outside any subscription (billing finalizes and collects it)."""
    body = {"customer_key": customer_key(ctx), "lines": deal_terms.invoice_lines(deal), "opportunity_id": deal.id}
    invoice = await call(ctx.systems.billing, "POST", "/v1/invoices", json=body, key=ctx.key)
    await ctx.systems.links.record(deal.id or ctx.workflow.subject, one_off_invoice_id=invoice["id"],
                                   customer_key=customer_key(ctx), currency=deal.currency)
    return {"subscription_id": None, "invoice_id": invoice["id"], "status": invoice.get("status")}


async def cancel_subscription(ctx: StepContext) -> None:
    made = ctx.output("billing_subscription")
    if not made.get("subscription_id"):
        await undo_one_off_invoice(ctx, made["invoice_id"])
        return
    sub = made["subscription_id"]
    await call(ctx.systems.billing, "POST", f"/v1/subscriptions/{sub}/cancellations",
               json={"at": "now", "prorate": True}, key=ctx.key)


async def undo_one_off_invoice(ctx: StepContext, invoice_id: str) -> None:
    """Undo a one-off invoice: void it while nothing was collected on it (a draft a lost answer left included).

    Once paid, a credit note of its whole total goes to the customer's balance, as a cancelled subscription's
    unused time does; a finance person refunds it from there when the customer asks.
    """
    invoice = await call(ctx.systems.billing, "GET", f"/v1/invoices/{invoice_id}")
    if invoice["status"] == "void" or not int(invoice["total"]["amount_minor"]):
        return
    if invoice["status"] in ("draft", "open") and not int((invoice.get("amount_paid") or {}).get("amount_minor", 0)):
        await call(ctx.systems.billing, "POST", f"/v1/invoices/{invoice_id}/void", key=ctx.key)
        return
    await call(ctx.systems.billing, "POST", "/v1/credit-notes", key=ctx.key, json={
        "invoice_id": invoice_id, "reason": "order_change", "memo": "The deal was cancelled before activation",
        "lines": [{"description": "Cancelled deal", "amount": invoice["total"]}]})


async def close_sales_order(ctx: StepContext) -> None:
    order = ctx.output("erp_sales_order").get("sales_order_id")
    if not order:
        return  # nothing was ordered (a deal of usage only)
    await call(ctx.systems.erp, "POST", f"/v1/sales-orders/{order}/closure", key=ctx.key)


NOTHING_ORDERED: dict[str, Any] = {"sales_order_id": None, "total": None,
                                   "skipped": "nothing is booked up front (usage is billed in arrears)"}
"""The sales-order step's output for a deal of usage lines only: the ERP order would have no line."""


async def sales_order_made_for(ctx: StepContext, opportunity_id: str | None) -> dict[str, Any] | None:
    """The sales order an unfinished create made for ``opportunity_id`` after all (the step's output), or ``None``."""
    if not opportunity_id:
        return None  # the order carried no opportunity to find it by (a non-posting order: nothing is billed)
    found = await call(ctx.systems.erp, "GET", "/v1/sales-orders", params={"opportunity": opportunity_id})
    newest = (found or {}).get("data", [])[:1]
    return {"sales_order_id": newest[0]["id"], "total": newest[0].get("total")} if newest else None


async def find_sales_order(ctx: StepContext) -> dict[str, Any] | None:
    return await sales_order_made_for(ctx, deal_of(ctx).id)


async def find_subscription(ctx: StepContext) -> dict[str, Any] | None:
    """The subscription an unfinished create made after all (its output), or ``None``.

    A create whose answer never came may have made the subscription all the same, and it would bill the customer
    of a cancelled deal: the deal's subscription is found in billing by the opportunity id the create carried.
    """
    deal = deal_of(ctx)
    if deal.id is None:
        raise StepFailed("The deal has no CRM id, so its subscription cannot be told from the customer's others.",
                         retryable=False, owner=ExceptionOwner.BILLING_OPS, code="subscription_unknown",
                         fix=f"Cancel in billing any subscription of customer {customer_key(ctx)} made for this deal.")
    if deal_terms.one_time_only(deal):
        page = await call(ctx.systems.billing, "GET", "/v1/invoices", missing_ok=True,
                          params={"customer": customer_key(ctx), "opportunity": deal.id})
        invoices = (page or {}).get("data", [])
        return {"subscription_id": None, "invoice_id": invoices[0]["id"], "status": invoices[0].get("status")
                } if invoices else None
    page = await call(ctx.systems.billing, "GET", "/v1/subscriptions", missing_ok=True,
                      params={"customer": customer_key(ctx), "opportunity": deal.id})
    found = (page or {}).get("data", [])  # newest first; the vendor's idempotency makes one at the most
    return {"subscription_id": found[0]["id"], "status": found[0].get("status")} if found else None


async def erp_sales_order(ctx: StepContext) -> dict[str, Any]:
    deal = deal_of(ctx)
    lines = deal_terms.order_lines(deal)
    if not lines:
        return NOTHING_ORDERED
    body = {"customer_key": customer_key(ctx), "currency": deal.currency, "lines": lines,
            "order_date": deal.close_date.isoformat(), "opportunity_id": deal.id,
            "memo": f"{deal.name} (opportunity {deal.id})"[:999]}
    order = await call(ctx.systems.erp, "POST", "/v1/sales-orders", json=body, key=ctx.key)
    await ctx.systems.links.record(deal.id or ctx.workflow.subject, sales_order_id=order["id"])
    return {"sales_order_id": order["id"], "total": order.get("total")}


async def revenue_contract(ctx: StepContext) -> dict[str, Any]:
    deal = deal_of(ctx)
    terms = deal_terms.revenue_terms(deal, customer_key(ctx))
    view = await call(ctx.systems.revrec, "POST", "/v1/contracts", json=terms, key=ctx.key)
    contract = view["contract"]
    await ctx.systems.links.record(deal.id or ctx.workflow.subject, revenue_contract_id=contract["id"])
    return {"revenue_contract_id": contract["id"], "transaction_price": contract.get("transaction_price"),
            "schedule_lines": sum(len(s["lines"]) for s in view.get("schedules", []))}


async def start_invoice_sync(ctx: StepContext) -> dict[str, Any]:
    """Pull the subscription's invoices (or the one-off invoice): none waits for a webhook that may not come."""
    made = ctx.output("billing_subscription")
    if made.get("subscription_id"):
        page = await call(ctx.systems.billing, "GET", "/v1/invoices", params={"subscription": made["subscription_id"]})
    else:
        page = {"data": [await call(ctx.systems.billing, "GET", f"/v1/invoices/{made['invoice_id']}")]}
    started = []
    for invoice in page.get("data", []):
        if invoice.get("status") in ("open", "paid", "void"):
            await start_invoice_sync_for(ctx, invoice)
            started.append(invoice["id"])
    first = page["data"][-1] if page.get("data") else None
    return {"invoices": started, "first_invoice_status": first.get("status") if first else None}


async def crm_status(ctx: StepContext) -> dict[str, Any]:
    status = ctx.output("start_invoice_sync").get("first_invoice_status")
    return await write_finance_status(ctx, ctx.workflow.subject, invoice_status=status)


def _ids(step: str, output: Any) -> dict[str, str]:
    if step == "billing_subscription" and output.get("invoice_id") and not output.get("subscription_id"):
        return {"one_off_invoice_id": str(output["invoice_id"])}
    names = {"erp_customer": ("erp_customer_id",), "billing_customer": ("billing_customer_id",),
             "billing_subscription": ("subscription_id",), "erp_sales_order": ("sales_order_id",),
             "revenue_contract": ("revenue_contract_id",)}
    return {name: str(output[name]) for name in names.get(step, ()) if output.get(name)}


ACTIVATION = WorkflowDefinition(
    kind="activation",
    input_shape=ActivationInput,
    description="A closed-won deal becomes an ERP customer, a subscription (or, for one-time lines only, one "
                "invoice), a sales order (none for usage only) and a revenue contract.",
    steps=(
        Step("validate", validate, BusinessStatus.PENDING_VALIDATION),
        Step("erp_customer", erp_customer, BusinessStatus.AWAITING_ERP_POSTING),
        Step("erp_items", erp_items, BusinessStatus.AWAITING_ERP_POSTING),
        Step("billing_customer", billing_customer, BusinessStatus.AWAITING_BILLING),
        Step("billing_catalog", billing_catalog, BusinessStatus.AWAITING_BILLING),
        Step("billing_subscription", billing_subscription, BusinessStatus.AWAITING_BILLING, undo=cancel_subscription,
             find_unfinished=find_subscription),
        Step("erp_sales_order", erp_sales_order, BusinessStatus.AWAITING_ERP_POSTING, undo=close_sales_order,
             find_unfinished=find_sales_order),
        Step("revenue_contract", revenue_contract, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
        Step("start_invoice_sync", start_invoice_sync, BusinessStatus.AWAITING_ERP_POSTING),
        Step("crm_status", crm_status, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
    ids=_ids,
    live_after="revenue_contract",
    cancel_instead="the deal is in billing, the ERP and revrec. Fix the cause and resume this workflow, then end the "
                   "deal with a cancellation workflow (at now, credit true), which credits and ends the revenue as "
                   "agreed (it runs after this one, as every workflow of a deal does).",
)
