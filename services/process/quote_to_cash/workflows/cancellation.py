"""Cancellation: a deal's subscription ends at its term end, or now with a credit for the unused time.

validate -> billing cancellation -> ERP credit memo for the unused part of the billed period (``now`` with
``credit``) -> revenue: the running obligations end the day before the cancellation (``now``) -> finance status
on the CRM record.

Input: ``opportunity_id``; ``at``: ``now`` or ``term_end``; ``credit`` (with ``now``: credit the unused part of the
period billing has already invoiced); optional ``revenue_treatment`` (``prospective``, the default, or
``cumulative_catch_up``) and ``reason``.

- ``term_end``: the customer does not renew. Billing cancels only at the end of its *current* period, so the
  workflow sleeps on a durable timer until billing is in the term's last period, then cancels at its end; the
  revenue contract is unchanged (its obligations end with the term). Started by hand it runs outside the deal's
  queue (subject ``<deal>:term-end``), so the deal's invoices and amendments keep flowing while it waits.
- ``now``: billing cancels at once (``prorate`` = ``credit``) and the cancellation date is billing's; service ends
  the day before it. With ``credit``, the unused part of the current period (each item's period amount x the days
  from the cancellation date to the period's end / the period's days, half up per item, as billing credits it)
  becomes an ERP credit memo against the deal's newest invoice in the ERP (the one that billed that period once
  its sync has run) and a credit-note billing of the revenue contract. Each running ratable obligation is
  shortened to the day before the cancellation (a partial termination of distinct remaining services:
  prospective by default, ASC 606-10-25-13(a)) with the consideration no longer due, negative: the item's period
  amount x the periods of the term from the cancellation date, the current one's remaining days included only
  when they are credited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from contracts.catalog import BillingFrequency
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition
from services.process.quote_to_cash.systems import call
from services.process.quote_to_cash.workflows.amendment import (
    TREATMENTS,
    contract_ids,
    deal_links,
    deal_obligations,
    half_up,
    money,
    newest_erp_invoice,
    per_period,
    remaining_periods,
    term_end,
    wait_for_billing,
)
from services.process.quote_to_cash.workflows.crm_status import write_finance_status

__all__ = ["CANCELLATION", "TIMINGS"]

TIMINGS = ("now", "term_end")


async def validate(ctx: StepContext) -> dict[str, Any]:
    deal, at = str(ctx.input.get("opportunity_id") or ""), ctx.input.get("at")
    credit, treatment = bool(ctx.input.get("credit", False)), ctx.input.get("revenue_treatment") or TREATMENTS[0]
    if not deal or at not in TIMINGS or treatment not in TREATMENTS or (credit and at != "now"):
        raise StepFailed(f"not a cancellation: opportunity_id={deal!r} at={at!r} credit={credit} "
                         f"revenue_treatment={treatment!r}", retryable=False, code="cancellation_invalid",
                         business_status=BusinessStatus.PENDING_VALIDATION,
                         fix=f"Start it again with at in {TIMINGS} (credit only with now) and revenue_treatment in "
                             f"{TREATMENTS}.")
    links = await deal_links(ctx, deal, ("subscription_id", "customer_key", "revenue_contract_id"))
    anchor, obligations = await deal_obligations(ctx, links)
    return {"deal": deal, "at": at, "credit": credit, "revenue_treatment": treatment,
            "subscription_id": links["subscription_id"], "revenue_contract_id": links["revenue_contract_id"],
            "contracts": contract_ids(links), "currency": links.get("currency"), "anchor": anchor.isoformat(),
            "term_end": max((o["end"] for o in obligations.values()), default=None)
            or (await term_end(ctx, links["revenue_contract_id"])).isoformat()}


def _already_canceled(sub: dict[str, Any]) -> StepFailed:
    return StepFailed(f"subscription {sub['id']} is already canceled", retryable=False,
                      owner=ExceptionOwner.BILLING_OPS, code="subscription_canceled",
                      fix="Someone canceled it in billing directly: settle any credit by hand, then cancel this "
                          "workflow.")


async def billing_cancellation(ctx: StepContext) -> dict[str, Any]:
    checked = ctx.output("validate")
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{checked['subscription_id']}")
    first, last = date.fromisoformat(sub["current_period_start"]), date.fromisoformat(sub["current_period_end"])
    if sub.get("status") == "canceled" and (checked["at"] == "term_end" or ctx.attempt == 1):
        raise _already_canceled(sub)  # (a re-run after our own cancel went through finds it canceled: fine)
    if checked["at"] == "term_end":
        term_end = date.fromisoformat(checked["term_end"])
        if last < term_end:
            raise wait_for_billing(ctx, last + timedelta(days=1), f"billing is in {first}..{last}; the term ends "
                                                                  f"{term_end}, in a later billing period")
        body: dict[str, Any] = {"at": "term_end"}
    else:
        body = {"at": "now", "prorate": checked["credit"]}
    after = await call(ctx.systems.billing, "POST", f"/v1/subscriptions/{sub['id']}/cancellations", json=body,
                       key=ctx.key)
    canceled = (after.get("canceled_at") or datetime.now(UTC).isoformat())[:10]
    return {"period": [first.isoformat(), last.isoformat()], "items": sub["items"], "status": after.get("status"),
            "end_date": after.get("end_date"), "canceled_on": canceled}


async def find_billing_cancellation(ctx: StepContext) -> dict[str, Any] | None:
    """Whether a cancellation at term end whose answer never came was made all the same.

    It was when the subscription ends with its current period (a term end recorded by a renewal can look the same;
    lifting a cancellation that was never made changes nothing). A cancellation now is never looked for: once it
    may have been made the workflow cannot be cancelled (``_live_step``), so an unfinished one here was refused
    (a subscription someone had already canceled), and that cancel was not ours to undo.
    """
    checked = ctx.output("validate")
    if checked["at"] != "term_end":
        return None
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{checked['subscription_id']}")
    made = sub.get("status") != "canceled" and bool(sub.get("end_date")) and (
        sub.get("end_date") == sub.get("current_period_end"))
    return {"status": sub.get("status"), "end_date": sub.get("end_date")} if made else None


def _live_step(record: Any) -> str | None:
    """A cancellation now cannot be undone (billing cannot restart a canceled subscription)."""
    return "billing_cancellation" if record.input.get("at") == "now" else None


async def lift_cancellation(ctx: StepContext) -> None:
    """Undo: a cancellation at term end is lifted (a renewal without a new term); one done now cannot be."""
    checked = ctx.output("validate")
    if checked["at"] != "term_end":
        raise StepFailed("billing cannot restart a canceled subscription", retryable=False,
                         owner=ExceptionOwner.BILLING_OPS, code="cancel_irreversible",
                         fix="If the customer stays, sell a new deal (its activation creates a new subscription).")
    await call(ctx.systems.billing, "POST", f"/v1/subscriptions/{checked['subscription_id']}/renewals",
               json={"term_end": checked["term_end"]}, key=ctx.key)


def _cancel_date(ctx: StepContext) -> date:
    return date.fromisoformat(ctx.output("billing_cancellation")["canceled_on"])


def unused_credit(item: dict[str, Any], first: date, last: date, canceled: date) -> int:
    """What billing credits for an item's unused days of the current period (``first``..``last`` inclusive)."""
    if BillingFrequency(item["billing_frequency"]).months is None or not first <= canceled <= last:
        return 0
    after = last + timedelta(days=1)
    return half_up(Fraction(per_period(item) * (after - canceled).days, (after - first).days))


async def erp_credit(ctx: StepContext) -> dict[str, Any]:
    checked, billed = ctx.output("validate"), ctx.output("billing_cancellation")
    if checked["at"] != "now" or not checked["credit"]:
        return {"credit_memo_id": None}
    canceled = _cancel_date(ctx)
    first, last = (date.fromisoformat(d) for d in billed["period"])
    currency = checked["currency"] or billed["items"][0]["unit_amount"]["currency"]
    lines = [{"sku": item["product_sku"], "amount": money(amount, currency),
              "description": f"Unused {canceled}..{last} after cancellation"}
             for item in billed["items"] if (amount := unused_credit(item, first, last, canceled)) > 0]
    if not lines:
        return {"credit_memo_id": None}
    found = await newest_erp_invoice(ctx, checked["subscription_id"])
    if found is None:
        raise StepFailed(f"no invoice of subscription {checked['subscription_id']} has reached the ERP to credit",
                         retryable=False, code="erp_invoice_missing",
                         fix="Sync the deal's invoices to the ERP, then resume.")
    memo = await call(ctx.systems.erp, "POST", "/v1/credit-memos", key=ctx.key, json={
        "invoice_id": found[1], "reason": "order_change", "lines": lines,
        "memo": f"Cancellation of {checked['deal']} on {canceled}: unused time credited"[:255]})
    total = sum(line["amount"]["amount_minor"] for line in lines)
    await call(ctx.systems.revrec, "POST", f"/v1/contracts/{checked['revenue_contract_id']}/billings",
               key=ctx.sub_key("revrec"), json={"id": f"{checked['subscription_id']}:cancellation", "kind":
                                                "credit_note", "amount": money(total, currency),
                                                "document_date": canceled.isoformat()})
    return {"credit_memo_id": memo.get("id"), "against_billing_invoice": found[0], "against_erp_invoice": found[1],
            "credited": money(total, currency)}


async def revenue(ctx: StepContext) -> dict[str, Any]:
    checked, billed = ctx.output("validate"), ctx.output("billing_cancellation")
    if checked["at"] != "now":
        return {"modifications": []}
    canceled = _cancel_date(ctx)
    last_day = canceled - timedelta(days=1)
    anchor, obligations = await deal_obligations(ctx, await ctx.systems.links.of(checked["deal"]))
    items = {item["product_sku"]: item for item in billed["items"]}
    done, untouched = [], []
    for sku, o in sorted(obligations.items()):
        item = items.get(sku)
        months = BillingFrequency(item["billing_frequency"]).months if item else None
        if date.fromisoformat(o["end"]) < canceled:
            continue  # ended already
        if item is None or months is None or last_day < date.fromisoformat(o["start"]):
            untouched.append(o["id"])
            continue
        periods = remaining_periods(anchor=anchor, months=months, effective=canceled,
                                    end=date.fromisoformat(o["end"]), current=checked["credit"])
        body = {"kind": checked["revenue_treatment"], "obligation_id": o["id"], "effective_date": last_day.isoformat(),
                "new_end_date": last_day.isoformat(),
                "added_consideration": money(-half_up(per_period(item) * periods), item["unit_amount"]["currency"]),
                "reason": (ctx.input.get("reason") or f"Cancelled on {canceled}")[:500]}
        await call(ctx.systems.revrec, "POST", f"/v1/contracts/{o['contract_id']}/modifications", json=body,
                   key=ctx.sub_key(f"{o['contract_id']}:{o['id']}"))
        done.append(body | {"contract_id": o["contract_id"]})
    return {"modifications": done, "untouched": untouched}


async def crm_status(ctx: StepContext) -> dict[str, Any]:
    return await write_finance_status(ctx, ctx.output("validate")["deal"])


def _ids(step: str, output: Any) -> dict[str, str]:
    return {"credit_memo_id": str(output["credit_memo_id"])} if output.get("credit_memo_id") else {}


CANCELLATION = WorkflowDefinition(
    kind="cancellation",
    description="A subscription cancelled at term end, or now with a credit: billing, the ERP, revenue, the CRM.",
    steps=(
        Step("validate", validate, BusinessStatus.PENDING_VALIDATION),
        Step("billing_cancellation", billing_cancellation, BusinessStatus.AWAITING_BILLING, undo=lift_cancellation,
             find_unfinished=find_billing_cancellation),
        Step("erp_credit", erp_credit, BusinessStatus.AWAITING_ERP_POSTING),
        Step("revenue", revenue, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
        Step("crm_status", crm_status, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
    ids=_ids,
    live_after=_live_step,
    cancel_instead="billing has canceled the subscription now and cannot restart it: resume or retry the "
                   "workflow so the credit and the revenue follow; if the customer stays, sell a new deal.",
)
