"""Renewal: a won renewal opportunity continues a booked deal for a new term, as a new contract.

``renewal`` (subject: the renewed deal, so it follows that deal's activation and amendments): validate -> billing
renewal (the new term end; a scheduled cancellation is lifted) -> ERP sales order for the new term -> a revenue
contract for the new term -> the turn of the term scheduled -> finance status on the renewal opportunity.

``renewal_term`` (subject: the renewal deal, its first workflow): wait until billing is in the old term's last
period -> the subscription's items set to the renewal's quantities and prices -> the renewal deal takes the
subscription over (its invoices sync to the renewal's contract from then on) -> wait for the new term -> the new
prices of usage items (billed in arrears, so the old term's last usage is invoiced at the old price first) ->
finance status.

Input of ``renewal``: the ``revflow.crm.opportunity.renewed.v1`` payload (``opportunity`` with
``renews_opportunity_id``, ``customer``, ``closed_at``). The new term must start the day after the old one ends.

Why a new contract: a renewal is a new enforceable agreement with its own transaction price for the new term
(ASC 606-10-25-1), not a change of the old one, so the old contract and its schedules stay untouched. Billing
keeps the one subscription (a new subscription would re-bill the customer's first period and drop its payment
history); the new prices apply from the first invoice of the new term. The takeover happens in the last billing
period of the old term, after that term's last invoice and before the new term's first: the new prices then need
no proration, and the first invoice of the new term reaches the renewal's contract, not the old one. A renewal
processed after the new term began is charged the difference at once (``always_invoice`` from the term start).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec

from contracts.catalog import BillingFrequency
from contracts.deals import Opportunity
from contracts.parties import Customer
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition
from services.process.quote_to_cash.systems import call
from services.process.quote_to_cash.workflows import deal_terms
from services.process.quote_to_cash.workflows.activation import (
    NOTHING_ORDERED,
    close_sales_order,
    sales_order_made_for,
)
from services.process.quote_to_cash.workflows.amendment import (
    adjust_erp,
    deal_links,
    invoice_summary,
    money,
    term_end,
    wait_for_billing,
)
from services.process.quote_to_cash.workflows.crm_status import write_finance_status

__all__ = ["RENEWAL", "RENEWAL_TERM"]


def _sales_ops(reason: str) -> StepFailed:
    return StepFailed(reason, retryable=False, owner=ExceptionOwner.SALES_OPS, code="renewal_invalid",
                      business_status=BusinessStatus.PENDING_VALIDATION,
                      fix="Correct the renewal opportunity in the CRM, then resume the workflow.")


def renewal_of(ctx: StepContext) -> Opportunity:
    try:
        msgspec.convert(ctx.input["customer"], Customer)
        return msgspec.convert(ctx.input["opportunity"], Opportunity)
    except (KeyError, TypeError, msgspec.ValidationError, ValueError) as exc:
        raise _sales_ops(f"the renewal cannot be read: {exc}") from exc


def _problems(deal: Opportunity, old_end: date) -> list[str]:
    found = deal_terms.problems_of(deal)
    if any(line.billing_frequency is BillingFrequency.ONE_TIME for line in deal.lines):
        found.append("a renewal cannot carry a one-time line (a running subscription bills no one-time charges); "
                     "sell it on its own deal")
    if deal.lines and min(line.service_start for line in deal.lines) != old_end + timedelta(days=1):
        found.append(f"the new term must start on {old_end + timedelta(days=1)}, the day after the renewed term "
                     f"ends (it starts {min(line.service_start for line in deal.lines)})")
    return found


async def validate(ctx: StepContext) -> dict[str, Any]:
    deal = renewal_of(ctx)
    original = deal.renews_opportunity_id
    if not original or not deal.id:
        raise _sales_ops("the opportunity renews no booked deal (renews_opportunity_id) or has no id")
    links = await deal_links(ctx, original, ("subscription_id", "customer_key", "revenue_contract_id"))
    old_end = await term_end(ctx, links["revenue_contract_id"])
    problems = _problems(deal, old_end)
    if links.get("currency") and links["currency"] != deal.currency:
        problems.append(f"the renewal is in {deal.currency}, the renewed deal in {links['currency']}")
    if problems:
        raise _sales_ops("; ".join(problems))
    return {"renewal": deal.id, "original": original, "subscription_id": links["subscription_id"],
            "customer_key": links["customer_key"], "currency": deal.currency, "old_term_end": old_end.isoformat(),
            "term_start": (old_end + timedelta(days=1)).isoformat(),
            "term_end": max(line.service_end for line in deal.lines).isoformat()}


async def billing_renewal(ctx: StepContext) -> dict[str, Any]:
    checked = ctx.output("validate")
    sub = await call(ctx.systems.billing, "POST", f"/v1/subscriptions/{checked['subscription_id']}/renewals",
                     json={"term_end": checked["term_end"], "opportunity_id": checked["renewal"]}, key=ctx.key)
    return _term_of(sub)


def _term_of(sub: dict[str, Any]) -> dict[str, Any]:
    """The billing renewal step's output: the subscription and where its term now ends."""
    return {"subscription_id": sub["id"], "end_date": sub.get("end_date"), "status": sub.get("status")}


async def find_billing_renewal(ctx: StepContext) -> dict[str, Any] | None:
    """Whether a renewal whose answer never came was made all the same: billing's term ends at the new term end."""
    checked = ctx.output("validate")
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{checked['subscription_id']}")
    return _term_of(sub) if sub.get("end_date") == checked["term_end"] else None


async def restore_term(ctx: StepContext) -> None:
    """Undo: the subscription's term ends where the renewed deal's did."""
    checked = ctx.output("validate")
    await call(ctx.systems.billing, "POST", f"/v1/subscriptions/{checked['subscription_id']}/renewals",
               json={"term_end": checked["old_term_end"], "opportunity_id": checked["original"]}, key=ctx.key)


async def erp_sales_order(ctx: StepContext) -> dict[str, Any]:
    checked, deal = ctx.output("validate"), renewal_of(ctx)
    lines = deal_terms.order_lines(deal)
    if not lines:
        return NOTHING_ORDERED
    body = {"customer_key": checked["customer_key"], "currency": deal.currency, "lines": lines,
            "order_date": deal.close_date.isoformat(), "opportunity_id": deal.id,
            "memo": f"{deal.name} (renewal {deal.id} of {checked['original']})"[:999]}
    order = await call(ctx.systems.erp, "POST", "/v1/sales-orders", json=body, key=ctx.key)
    await ctx.systems.links.record(checked["renewal"], sales_order_id=order["id"], customer_key=checked["customer_key"],
                                   currency=deal.currency)
    return {"sales_order_id": order["id"], "total": order.get("total")}


async def find_sales_order(ctx: StepContext) -> dict[str, Any] | None:
    return await sales_order_made_for(ctx, ctx.output("validate")["renewal"])


async def revenue_contract(ctx: StepContext) -> dict[str, Any]:
    checked = ctx.output("validate")
    terms = deal_terms.revenue_terms(renewal_of(ctx), checked["customer_key"])
    view = await call(ctx.systems.revrec, "POST", "/v1/contracts", json=terms, key=ctx.key)
    contract = view["contract"]
    await ctx.systems.links.record(checked["renewal"], revenue_contract_id=contract["id"], renews=checked["original"])
    await ctx.systems.links.record(checked["original"], renewed_by=checked["renewal"])
    return {"revenue_contract_id": contract["id"], "transaction_price": contract.get("transaction_price")}


async def schedule_term(ctx: StepContext) -> dict[str, Any]:
    checked = ctx.output("validate")
    workflow_id = f"renewal_term:{checked['renewal']}"
    data = {"opportunity": ctx.input["opportunity"], **{k: checked[k] for k in (
        "renewal", "original", "subscription_id", "currency", "term_start")}}
    await ctx.systems.start("renewal_term", checked["renewal"], data, workflow_id=workflow_id)
    return {"workflow_id": workflow_id}


async def crm_status(ctx: StepContext) -> dict[str, Any]:
    return await write_finance_status(ctx, ctx.output("validate")["renewal"])


# -- the turn of the term -----------------------------------------------------------------------------------------


async def wait_for_term(ctx: StepContext) -> dict[str, Any]:
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{ctx.input['subscription_id']}")
    if sub.get("status") == "canceled":
        raise StepFailed(f"subscription {sub['id']} was canceled before the renewal term", retryable=False,
                         owner=ExceptionOwner.BILLING_OPS, code="subscription_canceled",
                         fix="Sell the renewal as a new deal (activation), then cancel this workflow.")
    first, last = date.fromisoformat(sub["current_period_start"]), date.fromisoformat(sub["current_period_end"])
    start = date.fromisoformat(ctx.input["term_start"])
    if last + timedelta(days=1) < start:
        raise wait_for_billing(ctx, last + timedelta(days=1), f"billing is in {first}..{last}; the renewal term "
                                                              f"starts {start}, after the old term's last period")
    if start < first:
        raise StepFailed(f"billing is already in {first}..{last}, past the renewal term's first period ({start})",
                         retryable=False, owner=ExceptionOwner.BILLING_OPS, code="renewal_late",
                         fix="Bill the difference of the renewal's prices for the periods since the term started "
                             "by hand, then resume: the subscription then takes the renewal's prices.")
    proration = "none" if last + timedelta(days=1) == start else "always_invoice"
    return {"period": [first.isoformat(), last.isoformat()], "proration": proration, "items": sub["items"]}


def _changes(deal: Opportunity, items: list[dict[str, Any]], currency: str, *, usage: bool = False,
             ) -> tuple[list[dict[str, Any]], ...]:
    """The item changes that give the subscription the renewal's terms, and the ones that would undo them.

    ``usage=False``: every change but the new price of a usage item already on the subscription (the old term's
    usage is billed in arrears at the old price, so that price changes once the new term has begun);
    ``usage=True``: just those.
    """
    by_sku = {item["product_sku"]: item for item in items}
    changes, reverse = [], []
    for line in deal.lines:
        item, unit = by_sku.get(line.product_sku), money(line.sale_price.amount_minor, currency)
        metered = line.billing_frequency.months is None
        if usage != (metered and item is not None):
            continue
        change: dict[str, Any] = {"sku": line.product_sku, "unit_amount": unit}
        if not metered:
            change["quantity"] = line.quantity
        if item is None:
            changes.append(change | {"billing_frequency": line.billing_frequency.value})
            reverse.append({"sku": line.product_sku, "quantity": 0})
        elif item["unit_amount"]["amount_minor"] != unit["amount_minor"] or (
                not metered and int(item.get("quantity") or 0) != line.quantity):
            changes.append(change)
            reverse.append({"sku": item["product_sku"], "unit_amount": item["unit_amount"]}
                           | ({} if metered else {"quantity": item["quantity"]}))
    renewed = {line.product_sku for line in deal.lines}
    for sku, item in by_sku.items():
        if not usage and sku not in renewed and int(item.get("quantity") or 0) > 0:
            changes.append({"sku": sku, "quantity": 0})
            reverse.append({"sku": sku, "quantity": item["quantity"]})
    return changes, reverse


async def _amend(ctx: StepContext, changes: list[dict[str, Any]], proration: str, *, dated: bool = True) -> Any:
    body: dict[str, Any] = {"changes": changes, "proration": proration}
    if proration != "none" and dated:
        body["effective_at"] = f"{ctx.input['term_start']}T00:00:00Z"
    return await call(ctx.systems.billing, "POST", f"/v1/subscriptions/{ctx.input['subscription_id']}/amendments",
                      json=body, key=ctx.key)


async def wait_for_new_term(ctx: StepContext) -> dict[str, Any]:
    """Wait until billing's current period is the new term's: the old term's usage has then been invoiced."""
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{ctx.input['subscription_id']}")
    first, start = date.fromisoformat(sub["current_period_start"]), date.fromisoformat(ctx.input["term_start"])
    if sub.get("status") == "canceled":
        return {"items": []}  # nothing is billed any more: no usage price to change
    changes, _ = _changes(renewal_of_term(ctx), sub["items"], ctx.input["currency"], usage=True)
    if changes and first < start:
        raise wait_for_billing(ctx, start, f"billing is in the period from {first}; the usage prices change when "
                                           f"the new term starts ({start}), after the old term's usage is invoiced")
    return {"items": sub["items"]}


def _usage_price_changes(ctx: StepContext) -> dict[str, Any]:
    changes, reverse = _changes(renewal_of_term(ctx), ctx.output("wait_for_new_term")["items"],
                                ctx.input["currency"], usage=True)
    return {"changes": changes, "reverse": reverse}


async def usage_prices(ctx: StepContext) -> dict[str, Any]:
    """The renewal's usage prices, set once the new term has begun.

    Undated: billing applies them from now, which a date of the term's first day would no longer be once that day
    has passed (Stripe switches a metered price the moment it is set).
    """
    planned = _usage_price_changes(ctx)
    if planned["changes"]:
        await _amend(ctx, planned["changes"], "create_prorations", dated=False)
    return planned


async def find_usage_prices(ctx: StepContext) -> dict[str, Any] | None:
    """An attempt of ``usage_prices`` whose answer was lost: what it changed, if billing holds a new price."""
    planned = _usage_price_changes(ctx)
    if not planned["changes"]:
        return None
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{ctx.input['subscription_id']}")
    prices = {item["product_sku"]: item["unit_amount"]["amount_minor"] for item in sub["items"]}
    changed = any(prices.get(c["sku"]) == c["unit_amount"]["amount_minor"] for c in planned["changes"])
    return planned if changed else None


async def restore_usage_prices(ctx: StepContext) -> None:
    done = ctx.output("usage_prices")
    if done.get("reverse"):
        await _amend(ctx, done["reverse"], "create_prorations", dated=False)


async def billing_terms(ctx: StepContext) -> dict[str, Any]:
    deal, waited = renewal_of_term(ctx), ctx.output("wait_for_term")
    changes, reverse = _changes(deal, waited["items"], ctx.input["currency"])
    if not changes:
        return {"changes": [], "reverse": [], "invoice": None}
    known = {item["product_sku"] for item in waited["items"]}
    for line in deal.lines:
        if line.product_sku not in known:  # a product new to the subscription: billing's catalogue first
            await call(ctx.systems.billing, "PUT", f"/v1/catalog/items/{line.product_sku}",
                       json={"name": line.description or line.product_sku, "prices": deal_terms.catalog_prices(line)},
                       key=ctx.sub_key(line.product_sku))
    result = await _amend(ctx, changes, waited["proration"])
    return {"changes": changes, "reverse": reverse, "proration": waited["proration"],
            "invoice": invoice_summary(result.get("invoice"))}


async def restore_items(ctx: StepContext) -> None:
    done = ctx.output("billing_terms")
    if done.get("reverse"):
        await _amend(ctx, done["reverse"], done["proration"])


def renewal_of_term(ctx: StepContext) -> Opportunity:
    return msgspec.convert(ctx.input["opportunity"], Opportunity)


async def take_over(ctx: StepContext) -> dict[str, Any]:
    renewal, subscription = ctx.input["renewal"], ctx.input["subscription_id"]
    await ctx.systems.links.record(renewal, subscription_id=subscription)
    links = await ctx.systems.links.of(renewal)
    erp = await adjust_erp(ctx, renewal, subscription, ctx.output("billing_terms")["invoice"],
                           links.get("revenue_contract_id"))
    return {"subscription_id": subscription, **erp}


async def term_crm_status(ctx: StepContext) -> dict[str, Any]:
    invoice = ctx.output("billing_terms").get("invoice")
    return await write_finance_status(ctx, ctx.input["renewal"], invoice_status=invoice["status"] if invoice else None)


def _ids(step: str, output: Any) -> dict[str, str]:
    names = {"erp_sales_order": "sales_order_id", "revenue_contract": "revenue_contract_id",
             "billing_renewal": "subscription_id", "take_over": "subscription_id"}
    name = names.get(step)
    return {name: str(output[name])} if name and output.get(name) else {}


RENEWAL = WorkflowDefinition(
    kind="renewal",
    description="A renewal continues a deal for a new term: billing's term, an ERP order and a new revenue contract.",
    steps=(
        Step("validate", validate, BusinessStatus.PENDING_VALIDATION),
        Step("billing_renewal", billing_renewal, BusinessStatus.AWAITING_BILLING, undo=restore_term,
             find_unfinished=find_billing_renewal),
        Step("erp_sales_order", erp_sales_order, BusinessStatus.AWAITING_ERP_POSTING, undo=close_sales_order,
             find_unfinished=find_sales_order),
        Step("revenue_contract", revenue_contract, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
        Step("schedule_term", schedule_term, BusinessStatus.AWAITING_BILLING),
        Step("crm_status", crm_status, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
    ids=_ids,
    live_after="revenue_contract",
    cancel_instead="the new term is booked in billing, the ERP and revrec. Fix the cause and resume this workflow; "
                   "once the renewal has taken the subscription over (in the old term's last billing period), end it "
                   "with a cancellation workflow of the renewal (at term_end, or now with credit).",
)

RENEWAL_TERM = WorkflowDefinition(
    kind="renewal_term",
    description="At the turn of the term the subscription takes the renewal's prices and moves to the renewal deal.",
    steps=(
        Step("wait_for_term", wait_for_term, BusinessStatus.AWAITING_BILLING),
        Step("billing_terms", billing_terms, BusinessStatus.AWAITING_BILLING, undo=restore_items),
        Step("take_over", take_over, BusinessStatus.AWAITING_ERP_POSTING),
        Step("wait_for_new_term", wait_for_new_term, BusinessStatus.AWAITING_BILLING),
        Step("usage_prices", usage_prices, BusinessStatus.AWAITING_BILLING, undo=restore_usage_prices,
             find_unfinished=find_usage_prices),
        Step("crm_status", term_crm_status, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
    ids=_ids,
)
