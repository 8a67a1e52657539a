"""Credit and refund: a credit against a billing invoice reaches billing, the ERP, revenue and the CRM record.

validate the request against the invoice and the revenue contract -> credit note in billing (refunded through
the note when the invoice is paid and a refund is asked) -> refund recorded -> ERP credit memo against the ERP
invoice -> revrec: the credit note linked to the contract and the transaction price reduced on each credited
obligation -> finance status on the CRM record.

Why no separate ``POST /v1/refunds``: the billing API's credit note takes a ``settlement``; with ``refund`` on
a paid invoice billing returns the money *through the note* (Stripe's ``refund_amount``: one credit note, one
refund of the invoice's charge). A second refund call would pay the customer twice. A credit on an invoice not
yet paid reduces what the customer owes, so there is nothing to refund.

In revenue a credit is a price concession on service already (partly) delivered: the credited obligation's
consideration falls by the credited amount as a cumulative catch-up (ASC 606-10-32-42 to 32-45), effective on
``effective_date`` (default: the start of the credited invoice line's service period, kept inside the
obligation's service period and after its latest change). A closed period is never restated: revrec posts
the difference in the first open period. A point-in-time obligation (a setup fee, a one-off deal's charges)
has no progress to restate: a concession granted after delivery is revenue of the day it is granted (the default
``effective_date`` for it), one before delivery reduces what delivery recognises. A usage obligation follows its
measurements, so a credit of one is refused before anything is written, as is a credit larger than the revenue
its obligation holds (its allocation can be less than it billed).

None of the writes can be taken back through the system APIs (an issued credit note, a refund and a posted
credit memo are final; a reversal is a new document), so the steps have no ``undo``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Annotated, Any

import msgspec

from contracts.billing import CreditNoteReason
from contracts.common import Sku
from contracts.money import Money
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition
from services.process.quote_to_cash.systems import call
from services.process.quote_to_cash.workflows.crm_status import write_finance_status

__all__ = ["CREDIT_REFUND", "CreditLineV1", "CreditRequestV1", "credit_workflow_id"]

Key = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class CreditLineV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An amount credited on one product of the invoice."""

    sku: Sku
    amount: Money
    """Positive: what the customer is credited."""
    description: Text | None = None

    def __post_init__(self) -> None:
        if self.amount.amount_minor <= 0:
            raise ValueError("amount: must be positive")


class CreditRequestV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A credit (and optionally a refund) against one billing invoice of a deal.

    Give ``lines`` (per product) or ``amount`` (split over the invoice's products in proportion to what each
    was billed), not both.
    """

    opportunity_id: Annotated[Key, msgspec.Meta(description="The CRM opportunity (deal) the invoice bills")]
    invoice_id: Annotated[Key, msgspec.Meta(description="The billing system's invoice id")]
    lines: Annotated[list[CreditLineV1], msgspec.Meta(max_length=50)] = []
    amount: Money | None = None
    reason: CreditNoteReason = CreditNoteReason.OTHER
    memo: Text | None = None
    refund: bool = False
    """Return the money when the invoice is paid (otherwise the credit reduces what is owed)."""
    effective_date: date | None = None
    """When the price concession takes effect in revenue (default: the credited service period's start)."""
    id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] | None = None
    """The requester's id of this credit; without it, an identical request is the same credit."""

    def __post_init__(self) -> None:
        if bool(self.lines) == (self.amount is not None):
            raise ValueError("lines: give lines or amount, not both and not neither")
        if self.amount is not None and self.amount.amount_minor <= 0:
            raise ValueError("amount: must be positive")
        if len({line.amount.currency for line in self.lines}) > 1:
            raise ValueError("lines: every line must be in one currency")
        if len({line.sku for line in self.lines}) != len(self.lines):
            raise ValueError("lines: one line per product")


def credit_workflow_id(request: CreditRequestV1) -> str:
    """``credit:<invoice>:<request id or digest of the request>``: a repeated request finds the first run."""
    tail = request.id or hashlib.sha256(msgspec.json.encode(request)).hexdigest()[:16]
    return f"credit:{request.invoice_id}:{tail}"


def _request(ctx: StepContext) -> CreditRequestV1:
    return msgspec.convert(ctx.input, CreditRequestV1)


def _refused(reason: str, owner: ExceptionOwner, code: str, fix: str, *, final: bool = True) -> StepFailed:
    """The credit cannot be made as asked; ``final`` (most reasons) ends the workflow, the others park it to resume."""
    return StepFailed(reason, retryable=False, owner=owner, code=code, fix=fix, refused=final,
                      business_status=BusinessStatus.PENDING_VALIDATION)


def _split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` split in proportion to ``weights`` (largest remainder, ties to the first product)."""
    whole = sum(weights.values())
    exact = {sku: Fraction(total * w, whole) for sku, w in weights.items()}
    out = {sku: int(x) for sku, x in exact.items()}
    order = sorted(exact, key=lambda sku: -(exact[sku] - out[sku]))
    for sku in order[: total - sum(out.values())]:
        out[sku] += 1
    return {sku: amount for sku, amount in out.items() if amount > 0}


def _billed(invoice: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The invoice's charged lines by product."""
    found: dict[str, list[dict[str, Any]]] = {}
    for line in invoice["lines"]:
        if line.get("product_sku") and int(line["amount"]["amount_minor"]) > 0:
            found.setdefault(line["product_sku"], []).append(line)
    return found


def _credit_lines(request: CreditRequestV1, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    billed = _billed(invoice)
    totals = {sku: sum(int(line["amount"]["amount_minor"]) for line in lines) for sku, lines in billed.items()}
    currency = invoice["currency"]
    if request.amount is not None:
        wanted = {sku: (amount, None) for sku, amount in _split(request.amount.amount_minor, totals).items()} \
            if request.amount.amount_minor <= sum(totals.values()) else {"": (request.amount.amount_minor, None)}
        given_currency = request.amount.currency
    else:
        wanted = {line.sku: (line.amount.amount_minor, line.description) for line in request.lines}
        given_currency = request.lines[0].amount.currency
    if given_currency != currency:
        raise _refused(f"the credit is in {given_currency}; invoice {invoice['id']} is in {currency}",
                       ExceptionOwner.BILLING_OPS, "currency_mismatch", "Ask again, in the invoice's currency.")
    lines = []
    for sku, (amount, description) in wanted.items():
        if amount > totals.get(sku, 0):
            billed_what = (f"billed {totals.get(sku, 0)} minor units of {sku}" if sku else
                           f"billed {sum(totals.values())} minor units in all")
            raise _refused(f"invoice {invoice['id']} {billed_what}; {amount} cannot be credited",
                           ExceptionOwner.BILLING_OPS, "credit_exceeds_billed",
                           "Credit at most what the invoice billed for each product, in a new credit.")
        only = billed[sku][0] if len(billed[sku]) == 1 else None
        lines.append({"sku": sku, "amount_minor": amount, "invoice_line_id": only and only.get("id"),
                      "service_start": billed[sku][0].get("period_start"),
                      "description": description or f"Credit on {sku} ({request.reason.value.replace('_', ' ')})"})
    return lines


def _obligation(view: dict[str, Any], sku: str) -> dict[str, Any]:
    oid = f"po-{sku}"
    found = next((o for o in view["contract"]["obligations"] if o["id"] == oid), None)
    if found is None or found.get("pattern") not in ("ratable", "point_in_time"):
        what = "is not in" if found is None else f"({found.get('pattern')}) is measured, not priced, in"
        raise _refused(f"obligation {oid} {what} revenue contract {view['contract']['id']}; the revenue API "
                       "reduces the price of ratable and point-in-time obligations only", ExceptionOwner.FINANCE_OPS,
                       "obligation_not_reducible",
                       f"Credit {sku} by hand in billing, the ERP and revenue.")
    return found


def _within_revenue(view: dict[str, Any], line: dict[str, Any]) -> None:
    """Refuse, before anything is written, a credit larger than the revenue its obligation holds.

    Billing credits what the invoice billed, but revrec holds what the allocation gave the obligation (a discounted
    line can hold less than it billed): a reduction below zero would be refused after the credit note, the refund
    and the ERP memo were made.
    """
    held = sum(int(entry["amount"]["amount_minor"]) for schedule in view.get("schedules", [])
               if schedule["obligation_id"] == line["obligation_id"] for entry in schedule["lines"])
    if line["amount_minor"] > held:
        raise _refused(f"{line['obligation_id']} holds {held} minor units of revenue (its allocation, after earlier "
                       f"changes); a credit of {line['amount_minor']} would make it negative",
                       ExceptionOwner.FINANCE_OPS, "credit_exceeds_revenue",
                       f"Credit {line['sku']} by at most {held}, and the rest on the deal's other products, in a new "
                       "credit.")


def _effective(view: dict[str, Any], line: dict[str, Any], requested: date | None) -> str:
    """The day the concession takes effect on the line's obligation (see the module docstring)."""
    obligation = _obligation(view, line["sku"])
    if obligation["pattern"] == "point_in_time":
        # Delivered goods have no service period: a concession is revenue of the day it is granted (606-10-32-44).
        start, end = date.fromisoformat(obligation.get("satisfied_on") or obligation["start_date"]), date.max
        granted: date | None = datetime.now(UTC).date()
    else:
        start, end = date.fromisoformat(obligation["start_date"]), date.fromisoformat(obligation["end_date"])
        granted = date.fromisoformat(line["service_start"]) if line.get("service_start") else None
    candidate = requested or granted or start
    candidate = min(max(candidate, start), end)
    changes = [date.fromisoformat(m["effective_date"]) for m in view.get("modifications", [])
               if m["obligation_id"] == obligation["id"]]
    if changes and candidate <= max(changes):
        if requested is not None or max(changes) >= end:
            raise _refused(f"{obligation['id']} last changed on {max(changes)}; a price concession must take effect "
                           f"after it{'' if end == date.max else f' and by {end}'}", ExceptionOwner.FINANCE_OPS,
                           "effective_date_taken",
                           "Ask again with a later effective_date inside the service period.")
        candidate = max(changes) + timedelta(days=1)
    return candidate.isoformat()


async def validate(ctx: StepContext) -> dict[str, Any]:
    request, deal = _request(ctx), ctx.workflow.subject
    links = await ctx.systems.links.of(deal)
    subscription, one_off = links.get("subscription_id"), links.get("one_off_invoice_id")
    if not (subscription or one_off) or not links.get("revenue_contract_id"):
        raise _refused(f"deal {deal} is not activated", ExceptionOwner.INTEGRATION, "deal_not_activated",
                       "Activate the deal first (or correct the opportunity id), then resume.", final=False)
    invoice = await call(ctx.systems.billing, "GET", f"/v1/invoices/{request.invoice_id}", missing_ok=True)
    ours = invoice is not None and (invoice.get("subscription_id") == subscription if subscription
                                    else invoice["id"] == one_off)
    if not ours:
        raise _refused(f"invoice {request.invoice_id} is not an invoice of deal {deal}", ExceptionOwner.BILLING_OPS,
                       "invoice_unknown", "Start the credit with an invoice of the deal.")
    if invoice["status"] not in ("open", "paid"):
        raise _refused(f"invoice {invoice['id']} is {invoice['status']}; only open or paid invoices take a credit",
                       ExceptionOwner.BILLING_OPS, "invoice_not_creditable", "Finalize the invoice, then resume.",
                       final=False)
    lines = _credit_lines(request, invoice)
    view = await call(ctx.systems.revrec, "GET", f"/v1/contracts/{links['revenue_contract_id']}")
    for line in lines:
        line["obligation_id"] = f"po-{line['sku']}"
        line["effective_date"] = _effective(view, line, request.effective_date)
        _within_revenue(view, line)
    paid = invoice["status"] == "paid"
    return {"invoice_status": invoice["status"], "currency": invoice["currency"], "lines": lines,
            "total_minor": sum(line["amount_minor"] for line in lines),
            "settlement": "refund" if request.refund and paid else "customer_balance",
            "revenue_contract_id": links["revenue_contract_id"]}


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount_minor": amount, "currency": currency}


async def credit_note(ctx: StepContext) -> dict[str, Any]:
    request, plan = _request(ctx), ctx.output("validate")
    lines = [{"description": line["description"], "amount": _money(line["amount_minor"], plan["currency"]),
              **({"invoice_line_id": line["invoice_line_id"]} if line["invoice_line_id"] else {})}
             for line in plan["lines"]]
    body = {"invoice_id": request.invoice_id, "lines": lines, "reason": request.reason.value,
            "settlement": plan["settlement"], "memo": (request.memo or f"Credit {ctx.workflow.id}")[:500]}
    note = await call(ctx.systems.billing, "POST", "/v1/credit-notes", json=body, key=ctx.key)
    issued = (note.get("issued_at") or datetime.now(UTC).isoformat())[:10]
    return {"credit_note_id": note["id"], "total": note["total"], "issued_on": issued,
            "settlement": plan["settlement"]}


async def refund(ctx: StepContext) -> dict[str, Any]:
    if not ctx.input.get("refund"):
        return {"refund": "not requested"}
    note = ctx.output("credit_note")
    if note["settlement"] == "refund":
        return {"refund": "refunded through the credit note", "amount": note["total"],
                "credit_note_id": note["credit_note_id"]}
    return {"refund": "nothing to refund: the invoice was not paid, the credit reduced what is owed"}


async def erp_credit_memo(ctx: StepContext) -> dict[str, Any]:
    request, plan, note = _request(ctx), ctx.output("validate"), ctx.output("credit_note")
    erp_invoice = await ctx.systems.links.erp_invoice_of(request.invoice_id)
    if not erp_invoice:
        raise StepFailed(f"billing invoice {request.invoice_id} was never posted to the ERP", retryable=False,
                         code="invoice_not_posted", owner=ExceptionOwner.INTEGRATION,
                         fix="Sync the invoice to the ERP (start its invoice_sync workflow), then resume.")
    body = {"invoice_id": erp_invoice, "reason": request.reason.value,
            "lines": [{"sku": line["sku"], "description": line["description"],
                       "amount": _money(line["amount_minor"], plan["currency"])} for line in plan["lines"]],
            "memo": f"Billing credit note {note['credit_note_id']} on invoice {request.invoice_id}"}
    memo = await call(ctx.systems.erp, "POST", "/v1/credit-memos", json=body, key=ctx.key)
    return {"erp_credit_memo_id": memo["id"], "erp_invoice_id": erp_invoice, "total": memo.get("total")}


async def revenue(ctx: StepContext) -> dict[str, Any]:
    request, plan, note = _request(ctx), ctx.output("validate"), ctx.output("credit_note")
    contract = plan["revenue_contract_id"]
    view = await call(ctx.systems.revrec, "GET", f"/v1/contracts/{contract}")
    if not any(b["id"] == note["credit_note_id"] for b in view.get("billings", [])):
        link = {"id": note["credit_note_id"], "kind": "credit_note", "document_date": note["issued_on"],
                "amount": note["total"]}
        await call(ctx.systems.revrec, "POST", f"/v1/contracts/{contract}/billings", json=link,
                   key=ctx.sub_key("billing"))
    # The reason names the credit note: a change already made (even beyond the idempotency window) is not redone.
    marker = f"credit note {note['credit_note_id']}"
    done = {m["obligation_id"]: m for m in view.get("modifications", []) if marker in (m.get("reason") or "")}
    changes = {}
    for line in plan["lines"]:
        oid = line["obligation_id"]
        if oid not in done:
            body = {"kind": "cumulative_catch_up", "obligation_id": oid, "effective_date": line["effective_date"],
                    "added_consideration": _money(-line["amount_minor"], plan["currency"]),
                    "reason": f"Price concession: {marker} on invoice {request.invoice_id}"}
            view = await call(ctx.systems.revrec, "POST", f"/v1/contracts/{contract}/modifications", json=body,
                              key=ctx.sub_key(f"modify:{oid}"))
            done[oid] = next(m for m in reversed(view["modifications"]) if m["obligation_id"] == oid)
        changes[oid] = {"effective_date": done[oid]["effective_date"], "catch_up": done[oid].get("catch_up")}
    return {"revenue_contract_id": contract, "credit_note_linked": note["credit_note_id"], "modifications": changes}


async def crm_status(ctx: StepContext) -> dict[str, Any]:
    return await write_finance_status(ctx, ctx.workflow.subject)


def _ids(step: str, output: Any) -> dict[str, str]:
    names = {"credit_note": "credit_note_id", "erp_credit_memo": "erp_credit_memo_id"}
    name = names.get(step)
    return {name: str(output[name])} if name and output.get(name) else {}


CREDIT_REFUND = WorkflowDefinition(
    kind="credit_refund",
    description="A credit (and refund) of a billing invoice in billing, the ERP and revenue, shown on the CRM.",
    steps=(
        Step("validate", validate, BusinessStatus.PENDING_VALIDATION),
        Step("credit_note", credit_note, BusinessStatus.AWAITING_BILLING),
        Step("refund", refund, BusinessStatus.AWAITING_BILLING),
        Step("erp_credit_memo", erp_credit_memo, BusinessStatus.AWAITING_ERP_POSTING),
        Step("revenue", revenue, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
        Step("crm_status", crm_status, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
    ids=_ids,
)
