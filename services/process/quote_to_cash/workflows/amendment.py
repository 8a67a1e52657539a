"""Amendment: a mid-term upgrade, downgrade, add-on or removal of a booked deal, carried into every system.

validate -> plan against billing's current period -> master data of added products -> billing change with
proration -> ERP invoice adjustment -> revenue modification -> finance status on the CRM record.

Input: the ``revflow.crm.opportunity.amended.v1`` payload (``amendment``: the canonical ``Amendment``; the
subject is its ``opportunity_id``) and two optional policy fields:

- ``proration``: ``always_invoice`` (the default) or ``create_prorations``. By default the change is invoiced at
  once: the customer gets the credit for unused time and the charge for the remaining time on one invoice the
  day the change takes effect, that invoice is posted to the ERP by its own invoice sync, and bookings, billings
  and revenue agree at the next month-end. ``create_prorations`` leaves both lines pending on the next regular
  invoice (netted there with the next period), which reaches the ERP when that invoice is finalized.
- ``revenue_treatment`` for a changed ratable obligation: ``prospective`` (the default; ASC 606-10-25-13(a): the
  remaining service is distinct, so what is unrecognised plus the change is spread over the remaining days) or
  ``cumulative_catch_up`` (25-13(b): the progress to date is restated, the difference is one catch-up line). An
  **added** product is a separate contract: distinct goods sold at their standalone price (25-12). The revrec API
  modifies existing obligations only, so the add-on is registered as a new contract of the deal (its id is kept in
  the deal links as ``revenue_contract_id:<contract id>``, where a later cancellation finds it). A SKU so has one
  running obligation at a time, which is what lets a cancellation give each the consideration billing stops.

The change in consideration is the change in what the deal books for the rest of the term, counted on the term's
own billing grid (periods of the line's frequency from the obligation's start): the new per-period amount over
the new remaining term minus the old over the old one, where the period containing the effective date counts by
its remaining days (rounded half up, each side on its own as billing systems round each proration line).

Billing can prorate only inside its current period: an amendment effective after it sleeps on a durable timer
until billing reaches that date (holding the deal's queue meanwhile); one effective before it parks for billing
ops, since the periods already billed cannot be prorated by the billing system.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import msgspec

from contracts.catalog import BillingFrequency
from contracts.deals import Amendment, AmendmentAction, LineChange
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.governance import sor
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WaitUntil, WorkflowDefinition
from services.process.quote_to_cash.systems import call
from services.process.quote_to_cash.workflows import deal_terms
from services.process.quote_to_cash.workflows.crm_status import write_finance_status
from services.process.quote_to_cash.workflows.deal_terms import add_months

__all__ = [
    "AMENDMENT",
    "PRORATIONS",
    "TREATMENTS",
    "add_months",
    "adjust_erp",
    "amendment_key",
    "contract_ids",
    "deal_links",
    "deal_obligations",
    "half_up",
    "invoice_summary",
    "money",
    "newest_erp_invoice",
    "per_period",
    "remaining_periods",
    "term_anchor",
    "term_end",
    "wait_for_billing",
]


def amendment_key(amendment: Amendment, *, proration: str | None = None, treatment: str | None = None) -> str:
    """The amendment's own id, or without one a digest of its content and options.

    The same amendment sent again, by the CRM's event or by hand through the process API, is one workflow
    (``amendment:<key>``).
    """
    if amendment.id:
        return amendment.id
    content = {"amendment": msgspec.to_builtins(amendment), "proration": proration, "revenue_treatment": treatment}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"am-{digest[:16]}"


PRORATIONS = ("always_invoice", "create_prorations")
TREATMENTS = ("prospective", "cumulative_catch_up")
_RECHECK_CAP_S = 60


# -- shared by the workflows that change a booked deal (amendment, renewal, cancellation) --------------------------


def money(amount_minor: int, currency: str) -> dict[str, Any]:
    return {"amount_minor": int(amount_minor), "currency": currency}


def half_up(value: Fraction) -> int:
    """``value`` rounded to the nearest integer, halves away from zero."""
    magnitude = int((abs(value) * 2 + 1) // 2)
    return -magnitude if value < 0 else magnitude


def remaining_periods(*, anchor: date, months: int, effective: date, end: date, current: bool = True) -> Fraction:
    """Billing periods of a term from ``effective`` through ``end`` (inclusive).

    The term's grid is periods of ``months`` from ``anchor``: the period containing ``effective`` counts by its
    remaining days' share (not at all when ``current`` is false), every later period starting on or before
    ``end`` counts whole.
    """
    effective = max(effective, anchor)
    if effective > end:
        return Fraction(0)
    k = 0
    while add_months(anchor, (k + 1) * months) <= effective:
        k += 1
    start, stop = add_months(anchor, k * months), add_months(anchor, (k + 1) * months)
    share = Fraction((min(stop, end + timedelta(days=1)) - effective).days, (stop - start).days) if current else 0
    whole = 0
    while add_months(anchor, (k + 1 + whole) * months) <= end:
        whole += 1
    return share + whole


def per_period(item: dict[str, Any]) -> int:
    """What a billing subscription item bills per period, in minor units."""
    return int(item.get("quantity") or 0) * int(item["unit_amount"]["amount_minor"])


def wait_for_billing(ctx: StepContext, day: date, reason: str) -> WaitUntil:
    """A durable sleep until billing reaches ``day``.

    On that day when it is still ahead of the wall clock, else a re-check with backoff (billing's clock may trail
    ours: a vendor renewing late, a test clock).
    """
    waits = sum(1 for h in ctx.workflow.history if h.event == "waiting" and h.step == ctx.step)
    recheck = datetime.now(UTC) + timedelta(seconds=min(_RECHECK_CAP_S, 2 ** min(waits, 6)))
    return WaitUntil(max(datetime.combine(day, time(), UTC), recheck), reason, effects_from=day)


async def deal_links(ctx: StepContext, deal: str, need: tuple[str, ...]) -> dict[str, str]:
    """The deal's ids in each system, with ``need`` present.

    Raises:
        WaitUntil: the deal is not activated yet and this workflow is outside its queue (it may wait).
        StepFailed: the deal is not activated and this workflow is in its queue (it would hold the activation).
    """
    links = await ctx.systems.links.of(deal)
    missing = [name for name in need if not links.get(name)]
    if not missing:
        return links
    if "subscription_id" in missing and links.get("one_off_invoice_id"):
        raise StepFailed(f"deal {deal} is one-time charges, billed by invoice {links['one_off_invoice_id']}: it has no "
                         "subscription to change, renew or cancel", retryable=False, owner=ExceptionOwner.SALES_OPS,
                         code="deal_has_no_subscription", business_status=BusinessStatus.PENDING_VALIDATION,
                         fix="Cancel this workflow. Credit the invoice (POST /v1/credits) to take charges back, or "
                             "sell what is added as a new deal.")
    if ctx.workflow.subject != deal:
        raise wait_for_billing(ctx, date.min, f"deal {deal} is not activated yet (no {', '.join(missing)})")
    raise StepFailed(f"deal {deal} has not been activated by revflow (no {', '.join(missing)})", retryable=False,
                     code="deal_not_activated",
                     fix="Cancel this workflow; once the deal's activation has completed, start it again.")


async def term_anchor(ctx: StepContext, contract_id: str) -> tuple[date, dict[str, dict[str, Any]]]:
    """The start of the deal's term (its billing grid) and its ratable obligations, from the revenue contract.

    A deal of usage only (pay as you go) has no ratable obligation: its term starts with its usage obligations.
    """
    view = await call(ctx.systems.revrec, "GET", f"/v1/contracts/{contract_id}")
    obligations = view["contract"]["obligations"]
    ratable = {o["id"]: o for o in obligations if o.get("pattern") == "ratable"}
    starts = [date.fromisoformat(o["start_date"]) for o in ratable.values()] or [
        date.fromisoformat(o["start_date"]) for o in obligations if o.get("pattern") == "usage" and o.get("start_date")]
    if not starts:
        raise StepFailed(f"revenue contract {contract_id} has no ratable or usage obligation, so it has no term",
                         retryable=False, owner=ExceptionOwner.FINANCE_OPS, code="no_term",
                         fix="Check the deal's revenue contract in revrec, then resume.")
    return min(starts), ratable


async def term_end(ctx: StepContext, contract_id: str) -> date:
    """The last day of a deal's term: the latest end of its ratable or usage obligations (a pay-as-you-go deal)."""
    view = await call(ctx.systems.revrec, "GET", f"/v1/contracts/{contract_id}")
    ends = [date.fromisoformat(o["end_date"]) for o in view["contract"]["obligations"]
            if o.get("pattern") in ("ratable", "usage") and o.get("end_date")]
    if not ends:
        raise StepFailed(f"revenue contract {contract_id} has no obligation with a service period, so it has no term "
                         "to continue", retryable=False, owner=ExceptionOwner.FINANCE_OPS, code="no_term",
                         fix="Check the deal's revenue contract in revrec, then resume.")
    return max(ends)


def contract_ids(links: dict[str, str]) -> list[str]:
    """The deal's revenue contracts: the booked one, then its add-ons (``revenue_contract_id:<id>``)."""
    extra = sorted(v for k, v in links.items() if k.startswith("revenue_contract_id:"))
    return [links["revenue_contract_id"], *extra]


async def deal_obligations(ctx: StepContext, links: dict[str, str], patterns: tuple[str, ...] = ("ratable",),
                           ) -> tuple[date, dict[str, dict[str, Any]]]:
    """The deal's term start and, per SKU, its latest-ending obligation of ``patterns`` over all its contracts."""
    anchor, _ = await term_anchor(ctx, links["revenue_contract_id"])
    found: dict[str, dict[str, Any]] = {}
    for contract_id in contract_ids(links):
        view = await call(ctx.systems.revrec, "GET", f"/v1/contracts/{contract_id}")
        for o in view["contract"]["obligations"]:
            if o.get("pattern") not in patterns or not o.get("end_date"):
                continue
            entry = {"contract_id": contract_id, "id": o["id"], "start": o["start_date"], "end": o["end_date"]}
            for sku in o.get("product_skus") or []:
                if sku not in found or entry["end"] > found[sku]["end"]:
                    found[sku] = entry
    return anchor, found


async def newest_erp_invoice(ctx: StepContext, subscription_id: str) -> tuple[str, str] | None:
    """The newest billing invoice of the subscription that reached the ERP, and its ERP id."""
    page = await call(ctx.systems.billing, "GET", "/v1/invoices", params={"subscription": subscription_id})
    for invoice in page.get("data", []):
        erp = await ctx.systems.links.erp_invoice_of(invoice["id"])
        if erp:
            return invoice["id"], erp
    return None


def _net_by_sku(lines: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in lines:
        sku = line.get("product_sku") or "-"
        totals[sku] = totals.get(sku, 0) + int(line["amount"]["amount_minor"])
    return totals


async def adjust_erp(ctx: StepContext, deal: str, subscription_id: str, invoice: dict[str, Any] | None,
                     contract_id: str | None) -> dict[str, Any]:
    """Carry an invoice billing issued for a change into the ERP.

    A positive invoice is posted by its own invoice sync (started here, queued behind this workflow); a net credit,
    which the invoice sync leaves out, becomes an ERP credit memo against the deal's newest posted invoice and a
    credit-note billing of the revenue contract.
    """
    if invoice is None or invoice["total"]["amount_minor"] == 0:
        return {"erp": None}
    total, currency = int(invoice["total"]["amount_minor"]), invoice["currency"]
    if total > 0:
        workflow_id = f"invoice_sync:{invoice['id']}:{invoice['status']}"
        await ctx.systems.start("invoice_sync", deal, {"invoice_id": invoice["id"], "status": invoice["status"]},
                                workflow_id=workflow_id)
        return {"erp": "invoice_sync", "invoice_sync": workflow_id}
    found = await newest_erp_invoice(ctx, subscription_id)
    if found is None:
        raise StepFailed(f"no invoice of subscription {subscription_id} has reached the ERP to credit", retryable=False,
                         code="erp_invoice_missing", fix="Sync the deal's invoices to the ERP, then resume.")
    lines = [{"sku": sku, "description": f"Credit of billing invoice {invoice['id']}"[:255],
              "amount": money(-amount, currency)} for sku, amount in _net_by_sku(invoice["lines"]).items()
             if amount < 0 and sku != "-"]
    memo = await call(ctx.systems.erp, "POST", "/v1/credit-memos", key=ctx.sub_key("erp"), json={
        "invoice_id": found[1], "reason": "order_change", "lines": lines,
        "memo": f"Credit of billing invoice {invoice['id']} ({deal})"[:255]})
    if contract_id:
        await call(ctx.systems.revrec, "POST", f"/v1/contracts/{contract_id}/billings", key=ctx.sub_key("revrec"),
                   json={"id": invoice["id"], "kind": "credit_note", "amount": money(-total, currency),
                         "document_date": invoice.get("issued_on") or invoice.get("period_start")})
    return {"erp": "credit_memo", "credit_memo_id": memo.get("id"), "against_erp_invoice": found[1]}


def invoice_summary(invoice: dict[str, Any] | None) -> dict[str, Any] | None:
    if not invoice:
        return None
    keep = ("id", "status", "currency", "total", "lines", "issued_on", "period_start")
    return {k: invoice.get(k) for k in keep}


# -- the amendment --------------------------------------------------------------------------------------------------


def _sales_ops(reason: str, code: str = "amendment_invalid") -> StepFailed:
    return StepFailed(reason, retryable=False, owner=ExceptionOwner.SALES_OPS, code=code,
                      business_status=BusinessStatus.PENDING_VALIDATION,
                      fix="Correct the amendment in the CRM, then resume the workflow (or cancel it and sign a "
                          "corrected one).")


def amendment_of(ctx: StepContext) -> Amendment:
    try:
        return msgspec.convert(ctx.input["amendment"], Amendment)
    except (KeyError, TypeError, msgspec.ValidationError, ValueError) as exc:
        raise _sales_ops(f"the amendment cannot be read: {exc}") from exc


def _line_problems(amendment: Amendment) -> list[str]:
    found = []
    for i, change in enumerate(amendment.changed_lines):
        line, where = change.line, f"changed_lines[{i}]"
        if line is None:
            continue
        if change.action is AmendmentAction.ADD and line.billing_frequency.months is None:
            found.append(f"{where}: a {line.billing_frequency.value} product cannot be added to a running "
                         "subscription mid-term; sell it on its own deal")
    skus = [c.line.product_sku for c in amendment.changed_lines if c.line is not None]
    if len(set(skus)) != len(skus):
        found.append("each product may be changed once per amendment (a SKU is on two changed lines)")
    return found


async def validate(ctx: StepContext) -> dict[str, Any]:
    amendment = amendment_of(ctx)
    proration = ctx.input.get("proration") or PRORATIONS[0]
    treatment = ctx.input.get("revenue_treatment") or TREATMENTS[0]
    if proration not in PRORATIONS or treatment not in TREATMENTS:
        raise StepFailed(f"unknown policy proration={proration!r} revenue_treatment={treatment!r}", retryable=False,
                         code="policy_invalid", fix=f"Start it again with proration in {PRORATIONS} and "
                                                    f"revenue_treatment in {TREATMENTS}.")
    problems = _line_problems(amendment)
    if problems:
        raise _sales_ops("; ".join(problems))
    deal = amendment.opportunity_id
    links = await deal_links(ctx, deal, ("subscription_id", "customer_key", "revenue_contract_id"))
    if links.get("currency") and links["currency"] != amendment.currency:
        raise _sales_ops(f"the amendment is in {amendment.currency}, the deal in {links['currency']}")
    return {"deal": deal, "effective_date": amendment.effective_date.isoformat(), "proration": proration,
            "revenue_treatment": treatment, "subscription_id": links["subscription_id"],
            "customer_key": links["customer_key"], "revenue_contract_id": links["revenue_contract_id"],
            "currency": amendment.currency}


async def _booked_skus(ctx: StepContext, deal: str) -> dict[str, str]:
    """SKU of each line of the booked opportunity, by line id (removals name the line they remove)."""
    opportunity = await call(ctx.systems.crm, "GET", f"/v1/opportunities/{deal}")
    return {line["id"]: line["product_sku"] for line in opportunity.get("lines", []) if line.get("id")}


def _planned(change: LineChange, sku: str, item: dict[str, Any] | None, effective: date,
             obligations: dict[str, Any]) -> dict[str, Any]:
    line = change.line
    obligation = obligations.get(sku)
    old_end = date.fromisoformat(obligation["end"]) if obligation else (line.service_end if line else effective)
    frequency = line.billing_frequency.value if line else item["billing_frequency"] if item else "monthly"
    planned = {"action": change.action.value, "sku": sku, "frequency": frequency,
               "months": BillingFrequency(frequency).months, "old_quantity": int(item["quantity"]) if item else 0,
               "old_unit_minor": int(item["unit_amount"]["amount_minor"]) if item else 0,
               "obligation_id": obligation["id"] if obligation else None,
               "contract_id": obligation["contract_id"] if obligation else None, "old_end": old_end.isoformat()}
    if line is None:  # a removal: nothing is billed from the effective date; service ends the day before
        return planned | {"quantity": 0, "unit_minor": planned["old_unit_minor"], "list_unit_minor": 0,
                          "new_end": (effective - timedelta(days=1)).isoformat(), "line_id": change.line_id}
    return planned | {"quantity": line.quantity, "unit_minor": line.sale_price.amount_minor,
                      "list_unit_minor": line.list_price.amount_minor, "new_end": line.service_end.isoformat(),
                      "line_id": line.id or change.line_id, "name": line.description or sku}


def _sku_of(change: LineChange, items: dict[str, Any], booked: dict[str, str]) -> str | None:
    if change.line is not None:
        return change.line.product_sku
    line_id = change.line_id or ""
    return booked.get(line_id) or (line_id if line_id in items else None)


# -- system-of-record check: billing follows the CRM's prices and quantities; a change made in billing is drift ------


async def _drift_check(ctx: StepContext, deal: str, sub: dict[str, Any], amendment: Amendment) -> None:
    """Park (code ``drift``) before any system is written when billing's price or quantity of a touched line differs.

    The CRM owns both; what billing holds must be what the CRM booked (or what revflow last carried to billing).
    """
    skus = [c.line.product_sku if c.line else c.line_id or "" for c in amendment.changed_lines
            if c.action is not AmendmentAction.ADD]
    if skus:
        booked_skus = await _booked_skus(ctx, deal)
        skus = [booked_skus.get(s, s) for s in skus]  # a removal names its line id: map it to its SKU
        sor.check_drift(sub, await sor.booked_terms(ctx, deal), skus)


async def plan(ctx: StepContext) -> dict[str, Any]:
    """Read billing's current period (waiting for it to reach the effective date) and plan each change."""
    checked, amendment = ctx.output("validate"), amendment_of(ctx)
    effective = amendment.effective_date
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{checked['subscription_id']}")
    if sub.get("status") == "canceled":
        raise StepFailed(f"subscription {sub['id']} is canceled", retryable=False, owner=ExceptionOwner.BILLING_OPS,
                         code="subscription_canceled", fix="A canceled subscription cannot be amended; cancel this "
                                                           "workflow and sell a new deal.")
    first, last = date.fromisoformat(sub["current_period_start"]), date.fromisoformat(sub["current_period_end"])
    if effective > last:
        raise wait_for_billing(ctx, effective, f"billing is in its period {first}..{last}; the amendment takes "
                                               f"effect on {effective}")
    if effective < first:
        raise StepFailed(f"the amendment takes effect on {effective}, before billing's current period ({first}..)",
                         retryable=False, owner=ExceptionOwner.BILLING_OPS, code="effective_date_billed",
                         fix="Billing prorates only within its current period: credit or charge the periods "
                             "already billed by hand, then cancel this workflow and start it dated in the current "
                             "period.")
    items = {item["product_sku"]: item for item in sub["items"]}
    await _drift_check(ctx, checked["deal"], sub, amendment)
    anchor, obligations = await deal_obligations(ctx, await ctx.systems.links.of(checked["deal"]),
                                                 patterns=("ratable", "usage"))
    removals = any(c.action is AmendmentAction.REMOVE for c in amendment.changed_lines)
    booked = await _booked_skus(ctx, checked["deal"]) if removals else {}
    changes, problems = [], []
    for change in amendment.changed_lines:
        sku = _sku_of(change, items, booked)
        item = items.get(sku) if sku else None
        if sku is None or (change.action is not AmendmentAction.ADD and item is None):
            problems.append(f"{change.action.value} of {sku or change.line_id}: not on subscription {sub['id']}")
        elif change.action is AmendmentAction.ADD and item is not None and int(item.get("quantity") or 0) > 0:
            problems.append(f"add of {sku}: already on subscription {sub['id']} (change it with an update)")
        elif change.action is AmendmentAction.REMOVE and BillingFrequency(item["billing_frequency"]).months is None:
            problems.append(f"remove of {sku}: a usage product stays on the subscription (it bills what is used)")
        else:
            changes.append(_planned(change, sku, item, effective, obligations))
    if problems:
        raise _sales_ops("; ".join(problems))
    return {"period": [first.isoformat(), last.isoformat()], "anchor": anchor.isoformat(), "changes": changes}


async def master_data(ctx: StepContext) -> dict[str, Any]:
    """Added products must exist in the ERP (or the workflow is blocked on master data) and in billing's catalogue."""
    added = [c.line for c in amendment_of(ctx).changed_lines if c.action is AmendmentAction.ADD and c.line]
    for line in added:
        item = await call(ctx.systems.erp, "GET", f"/v1/items/{line.product_sku}")
        body = {"name": item.get("name") or line.product_sku, "prices": deal_terms.catalog_prices(line)}
        await call(ctx.systems.billing, "PUT", f"/v1/catalog/items/{line.product_sku}", json=body,
                   key=ctx.sub_key(line.product_sku))
    return {"skus": [line.product_sku for line in added]}


def _item_change(change: dict[str, Any], currency: str, *, reverse: bool = False) -> dict[str, Any]:
    quantity, unit = ((change["old_quantity"], change["old_unit_minor"]) if reverse
                      else (change["quantity"], change["unit_minor"]))
    body: dict[str, Any] = {"sku": change["sku"], "unit_amount": money(unit, currency)}
    if change["months"] is not None:  # a metered (usage) item has no quantity
        body["quantity"] = quantity
    if change["action"] == "add":
        body["billing_frequency"] = change["frequency"]
    return body


async def _amend(ctx: StepContext, *, reverse: bool) -> Any:
    checked, planned = ctx.output("validate"), ctx.output("plan")
    body = {"changes": [_item_change(c, checked["currency"], reverse=reverse) for c in planned["changes"]],
            "proration": checked["proration"], "effective_at": f"{checked['effective_date']}T00:00:00Z"}
    return await call(ctx.systems.billing, "POST", f"/v1/subscriptions/{checked['subscription_id']}/amendments",
                      json=body, key=ctx.key)


async def billing_change(ctx: StepContext) -> dict[str, Any]:
    """Billing's change, waiting (durably) while billing can make it only on its effective day (a usage price)."""
    try:
        result = await _amend(ctx, reverse=False)
    except StepFailed as exc:
        if exc.code != "effective_date_ahead":
            raise
        raise wait_for_billing(ctx, amendment_of(ctx).effective_date, str(exc)) from exc
    await sor.record_booked_terms(ctx, ctx.output("validate")["deal"], ctx.output("plan")["changes"])
    pending = _net_by_sku(result.get("pending_lines") or [])
    return {"proration": ctx.output("validate")["proration"], "invoice": invoice_summary(result.get("invoice")),
            "pending_by_sku": pending, "items": [{"sku": i["product_sku"], "quantity": i["quantity"]}
                                                 for i in result["subscription"]["items"]]}


async def revert_billing(ctx: StepContext) -> None:
    """Put the old quantities and prices back with the same proration, so the two changes net to nothing.

    An invoice billing issues for the reversal goes to the ERP like the change's own (whose sync, queued behind
    this workflow, still posts it): the two net to nothing there too.
    """
    checked = ctx.output("validate")
    result = await _amend(ctx, reverse=True)
    await sor.record_booked_terms(ctx, checked["deal"], [  # billing holds the old terms again: they are the booked ones
        {"sku": c["sku"], "unit_minor": c["old_unit_minor"], "quantity": c["old_quantity"]}
        for c in ctx.output("plan")["changes"]])
    await adjust_erp(ctx, checked["deal"], checked["subscription_id"], invoice_summary(result.get("invoice")),
                     checked["revenue_contract_id"])


def _holds(items: dict[str, Any], change: dict[str, Any], side: str) -> bool:
    """Whether billing's ``items`` (by SKU) hold the ``old`` or the ``new`` side of one planned change."""
    item = items.get(change["sku"])
    new = side == "new"
    quantity, unit = (change["quantity"], change["unit_minor"]) if new else (change["old_quantity"],
                                                                            change["old_unit_minor"])
    if change["months"] is None:  # metered: no quantity; absent on the side that has no such item
        absent = change["action"] == ("remove" if new else "add")
        return item is None if absent else item is not None and item["unit_amount"]["amount_minor"] == unit
    held = int(item["quantity"]) if item else 0
    return held == quantity and (quantity == 0 or item["unit_amount"]["amount_minor"] == unit)


async def find_billing_change(ctx: StepContext) -> dict[str, Any] | None:
    """Whether a change whose answer never came was made all the same: the items billing holds, or ``None``.

    Billing applies an amendment's item changes in one vendor call, so the subscription holds either every new
    value or every old one; anything else was changed by someone else, and a person must look.
    """
    checked, changes = ctx.output("validate"), ctx.output("plan")["changes"]
    sub = await call(ctx.systems.billing, "GET", f"/v1/subscriptions/{checked['subscription_id']}")
    items = {item["product_sku"]: item for item in sub.get("items", [])}
    if all(_holds(items, c, "old") for c in changes):
        return None
    if not all(_holds(items, c, "new") for c in changes):
        raise StepFailed(f"Subscription {checked['subscription_id']} holds neither the amendment's items nor the ones "
                         "it replaced.", retryable=False, owner=ExceptionOwner.BILLING_OPS, code="billing_diverged",
                         fix="Compare the subscription in billing with the amendment, put back what it replaced, then "
                             "cancel again.")
    return {"proration": checked["proration"], "invoice": None, "pending_by_sku": {},
            "items": [{"sku": i["product_sku"], "quantity": i["quantity"]} for i in sub.get("items", [])]}


async def erp_adjustment(ctx: StepContext) -> dict[str, Any]:
    checked, billed = ctx.output("validate"), ctx.output("billing_change")
    if billed["invoice"] is None:  # create_prorations: the lines ride on the next invoice, synced when finalized
        return {"erp": None, "pending_minor": sum(billed["pending_by_sku"].values())}
    return await adjust_erp(ctx, checked["deal"], checked["subscription_id"], billed["invoice"],
                            checked["revenue_contract_id"])


def _consideration(change: dict[str, Any], anchor: date, effective: date) -> int:
    """New remaining consideration minus old (each rounded), on the term's billing grid."""
    months = change["months"]
    old_end, new_end = date.fromisoformat(change["old_end"]), date.fromisoformat(change["new_end"])
    old = Fraction(change["old_quantity"] * change["old_unit_minor"])
    new = Fraction(change["quantity"] * change["unit_minor"])
    return (half_up(new * remaining_periods(anchor=anchor, months=months, effective=effective, end=new_end))
            - half_up(old * remaining_periods(anchor=anchor, months=months, effective=effective, end=old_end)))


async def _modify(ctx: StepContext, change: dict[str, Any], anchor: date, effective: date) -> dict[str, Any] | None:
    checked = ctx.output("validate")
    added = _consideration(change, anchor, effective)
    body: dict[str, Any] = {"kind": checked["revenue_treatment"], "obligation_id": change["obligation_id"],
                            "effective_date": effective.isoformat(),
                            "added_consideration": money(added, checked["currency"]),
                            "reason": f"Amendment {ctx.input['amendment'].get('id') or ctx.workflow.id}"[:500]}
    if change["new_end"] != change["old_end"]:
        body["new_end_date"] = change["new_end"]
        if change["action"] == "remove":  # revrec takes a shortening as effective on the new last day
            body["effective_date"] = change["new_end"]
    elif added == 0:
        return None
    await call(ctx.systems.revrec, "POST", f"/v1/contracts/{change['contract_id']}/modifications", json=body,
               key=ctx.sub_key(change["sku"]))
    return body


async def _separate_contract(ctx: StepContext, change: dict[str, Any], anchor: date, effective: date) -> str | None:
    checked = ctx.output("validate")
    end = date.fromisoformat(change["new_end"])
    periods = remaining_periods(anchor=anchor, months=change["months"], effective=effective, end=end)
    price = half_up(change["quantity"] * change["unit_minor"] * periods)
    if price <= 0:
        return None
    ssp = half_up(change["quantity"] * change["list_unit_minor"] * periods) or price
    obligation = {"id": f"po-{change['sku']}", "name": change.get("name") or change["sku"], "pattern": "ratable",
                  "product_skus": [change["sku"]], "start_date": effective.isoformat(), "end_date": change["new_end"],
                  "standalone_selling_price": money(ssp, checked["currency"])}
    if change.get("line_id"):
        obligation["deal_line_ids"] = [change["line_id"]]
    body = {"customer_id": checked["customer_key"], "opportunity_id": checked["deal"], "currency": checked["currency"],
            "transaction_price": money(price, checked["currency"]), "obligations": [obligation],
            "booked_on": effective.isoformat()}
    view = await call(ctx.systems.revrec, "POST", "/v1/contracts", json=body, key=ctx.sub_key(f"add:{change['sku']}"))
    contract_id = str(view["contract"]["id"])
    await ctx.systems.links.record(checked["deal"], **{f"revenue_contract_id:{contract_id}": contract_id})
    return contract_id


async def revenue(ctx: StepContext) -> dict[str, Any]:
    effective = date.fromisoformat(ctx.output("validate")["effective_date"])
    planned = ctx.output("plan")
    anchor = date.fromisoformat(planned["anchor"])
    modifications, contracts, untouched = [], {}, []
    for change in planned["changes"]:
        if change["action"] == "add":
            contract_id = await _separate_contract(ctx, change, anchor, effective)
            if contract_id:
                contracts[change["sku"]] = contract_id
        elif change["obligation_id"] and change["months"]:
            done = await _modify(ctx, change, anchor, effective)
            if done:
                modifications.append(done)
        elif change["obligation_id"] and change["frequency"] == "usage" and change["unit_minor"] != change[
                "old_unit_minor"]:
            modifications.append(await _reprice_usage(ctx, change, effective))
        else:  # point-in-time obligations and usage at an unchanged price: nothing to re-spread
            untouched.append(change["sku"])
    return {"modifications": modifications, "separate_contracts": contracts, "untouched": untouched}


async def _reprice_usage(ctx: StepContext, change: dict[str, Any], effective: date) -> dict[str, Any]:
    """A usage line's new price: revrec recognises usage dated from the effective date at it, as billing bills it."""
    checked = ctx.output("validate")
    body = {"kind": "prospective", "obligation_id": change["obligation_id"], "effective_date": effective.isoformat(),
            "added_consideration": money(0, checked["currency"]), "unit_price_minor": str(change["unit_minor"]),
            "reason": f"Amendment {ctx.input['amendment'].get('id') or ctx.workflow.id}"[:500]}
    await call(ctx.systems.revrec, "POST", f"/v1/contracts/{change['contract_id']}/modifications", json=body,
               key=ctx.sub_key(change["sku"]))
    return body


async def crm_status(ctx: StepContext) -> dict[str, Any]:
    invoice = ctx.output("billing_change").get("invoice")
    return await write_finance_status(ctx, ctx.output("validate")["deal"],
                                      invoice_status=invoice["status"] if invoice else None)


def _ids(step: str, output: Any) -> dict[str, str]:
    if step == "billing_change" and output.get("invoice"):
        return {"amendment_invoice_id": str(output["invoice"]["id"])}
    if step == "revenue":
        return {f"revenue_contract_id:{sku}": str(cid) for sku, cid in output.get("separate_contracts", {}).items()}
    return {}


AMENDMENT = WorkflowDefinition(
    kind="amendment",
    description="A mid-term upgrade, downgrade, add-on or removal: billing with proration, the ERP, revenue, the CRM.",
    steps=(
        Step("validate", validate, BusinessStatus.PENDING_VALIDATION),
        Step("plan", plan, BusinessStatus.AWAITING_BILLING),
        Step("master_data", master_data, BusinessStatus.AWAITING_ERP_POSTING),
        Step("billing_change", billing_change, BusinessStatus.AWAITING_BILLING, undo=revert_billing,
             find_unfinished=find_billing_change),
        Step("erp_adjustment", erp_adjustment, BusinessStatus.AWAITING_ERP_POSTING),
        Step("revenue", revenue, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
        Step("crm_status", crm_status, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
    ids=_ids,
)
