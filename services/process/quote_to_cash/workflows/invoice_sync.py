"""Invoice sync: a billing invoice (finalized, paid or voided) reaches the ERP, revrec and the CRM record.

read the invoice -> ERP invoice (posted once per billing invoice) -> revrec billing link -> ERP customer
payment and revrec payment link (when paid) -> invoice status on the CRM record.

One workflow per invoice and status (``invoice_sync:<invoice>:<status>``), started by the billing events
(push) and by the activation's pull of the subscription's invoices. Both can see the same invoice: the
writes are keyed by the *invoice* (``invoice:<id>:...``), not by the workflow, so the ``open`` and the
``paid`` runs share one ERP invoice and one revrec link. A zero-total invoice posts nothing (there is nothing
to bill), but still updates the CRM.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from contracts.process import BusinessStatus
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition
from services.process.quote_to_cash.systems import call
from services.process.quote_to_cash.workflows.crm_status import write_finance_status

__all__ = ["INVOICE_SYNC", "erp_lines", "start_invoice_sync_for"]


async def start_invoice_sync_for(ctx: StepContext, invoice: dict[str, Any]) -> None:
    """Start the sync of ``invoice`` (idempotent) for the deal the calling workflow is about.

    ``invoice`` is the billing API's invoice as just listed; a finalized invoice's lines and amounts no longer
    change (a new status is a new sync), so the sync starts from it instead of reading it again.
    """
    await ctx.systems.start("invoice_sync", ctx.workflow.subject,
                            {"invoice_id": invoice["id"], "status": invoice.get("status"), "invoice": invoice},
                            workflow_id=f"invoice_sync:{invoice['id']}:{invoice.get('status')}")


def _key(ctx: StepContext, what: str) -> str:
    return f"invoice:{ctx.input['invoice_id']}:{what}"


async def read_invoice(ctx: StepContext) -> dict[str, Any]:
    """The invoice (as listed by the workflow that started this sync, else read now) and the deal's links."""
    listed = ctx.input.get("invoice")
    invoice = listed if listed and listed.get("id") == ctx.input["invoice_id"] else await call(
        ctx.systems.billing, "GET", f"/v1/invoices/{ctx.input['invoice_id']}")
    links = await ctx.systems.links.of(ctx.workflow.subject)
    if not links.get("customer_key"):
        raise StepFailed(f"invoice {invoice['id']} belongs to no activated deal ({ctx.workflow.subject})",
                         retryable=False, code="deal_unknown",
                         fix="Activate the deal first (or check that the subscription came from revflow), then resume.")
    return {"invoice": invoice, "links": links}


def erp_lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    """One ERP line per product: the net of the billing lines of that SKU (prorations net with charges).

    A product may net negative (its credit for unused time outweighs its charge) next to others that bill more:
    it is posted as it is, so the ERP invoice totals what billing invoiced. An invoice netting to zero posts
    nothing. One netting below zero posts its products that bill: its credits are the ERP credit memo of the
    change that issued it (``amendment.adjust_erp``), and the two together net to billing's total.
    """
    totals: dict[str, int] = {}
    currency = invoice["currency"]
    for line in invoice["lines"]:
        sku = line.get("product_sku")
        if sku:
            totals[sku] = totals.get(sku, 0) + int(line["amount"]["amount_minor"])
    net = sum(totals.values())
    posted = {sku: amount for sku, amount in totals.items() if amount > 0 or (net > 0 and amount < 0)} if net else {}
    return [{"sku": sku, "quantity": 1, "unit_amount": {"amount_minor": amount, "currency": currency},
             "description": f"Billing invoice {invoice.get('number') or invoice['id']}"}
            for sku, amount in posted.items()]


async def erp_invoice(ctx: StepContext) -> dict[str, Any]:
    invoice = ctx.output("read_invoice")["invoice"]
    lines = erp_lines(invoice)
    if invoice["status"] == "void" or not lines:
        return {"erp_invoice_id": None, "skipped": "nothing to bill" if not lines else "voided"}
    body = {"customer_key": ctx.output("read_invoice")["links"]["customer_key"], "currency": invoice["currency"],
            "lines": lines, "billing_invoice_id": invoice["id"], "issued_on": invoice.get("issued_on"),
            "due_on": invoice.get("due_on"), "memo": f"Billing invoice {invoice['id']}"}
    body = {k: v for k, v in body.items() if v is not None}
    posted = await call(ctx.systems.erp, "POST", "/v1/invoices", json=body, key=_key(ctx, "erp"))
    await ctx.systems.links.record_invoice(invoice["id"], posted["id"])
    return {"erp_invoice_id": posted["id"], "total": posted.get("total")}


async def revrec_billing(ctx: StepContext) -> dict[str, Any]:
    invoice = ctx.output("read_invoice")["invoice"]
    contract = ctx.output("read_invoice")["links"].get("revenue_contract_id")
    total = invoice["total"]
    if not contract or invoice["status"] == "void" or int(total["amount_minor"]) <= 0:
        return {"linked": False}
    body = {"id": invoice["id"], "kind": "invoice", "amount": total,
            "document_date": invoice.get("issued_on") or invoice.get("period_start")}
    await call(ctx.systems.revrec, "POST", f"/v1/contracts/{contract}/billings", json=body, key=_key(ctx, "revrec"))
    return {"linked": True, "revenue_contract_id": contract}


async def payment(ctx: StepContext) -> dict[str, Any]:
    invoice = ctx.output("read_invoice")["invoice"]
    if invoice["status"] != "paid" or int(invoice["total"]["amount_minor"]) <= 0:
        return {"payment": None}
    erp_id = ctx.output("erp_invoice").get("erp_invoice_id") or await ctx.systems.links.erp_invoice_of(invoice["id"])
    paid = invoice.get("amount_paid") or invoice["total"]
    body = {"customer_key": ctx.output("read_invoice")["links"]["customer_key"], "amount": paid,
            "invoice_id": erp_id, "memo": f"Payment of billing invoice {invoice['id']}"}
    posted = await call(ctx.systems.erp, "POST", "/v1/customer-payments", json=body, key=_key(ctx, "payment"))
    contract = ctx.output("read_invoice")["links"].get("revenue_contract_id")
    if contract:
        link = {"id": f"{invoice['id']}-payment", "kind": "payment", "amount": paid,
                "document_date": (invoice.get("paid_at") or invoice.get("issued_on") or "")[:10] or None}
        await call(ctx.systems.revrec, "POST", f"/v1/contracts/{contract}/billings", json=link,
                   key=_key(ctx, "revrec-payment"))
    return {"payment": posted.get("id")}


async def crm_status(ctx: StepContext) -> dict[str, Any]:
    invoice = ctx.output("read_invoice")["invoice"]
    return await write_finance_status(ctx, ctx.workflow.subject, invoice_status=invoice["status"])


def _ids(step: str, output: Any) -> dict[str, str]:
    return {"erp_invoice_id": str(output["erp_invoice_id"])} if output.get("erp_invoice_id") else {}


class InvoiceSyncInput(msgspec.Struct, kw_only=True):
    """What an invoice sync starts from: billing's invoice id (and the invoice, when the event carried it)."""

    invoice_id: Annotated[str, msgspec.Meta(min_length=1)]
    invoice: dict[str, Any] | None = None


INVOICE_SYNC = WorkflowDefinition(
    kind="invoice_sync",
    input_shape=InvoiceSyncInput,
    description="A billing invoice posted to the ERP, linked to the revenue contract and shown on the CRM record.",
    steps=(
        Step("read_invoice", read_invoice, BusinessStatus.AWAITING_BILLING),
        Step("erp_invoice", erp_invoice, BusinessStatus.AWAITING_ERP_POSTING),
        Step("revrec_billing", revrec_billing, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
        Step("payment", payment, BusinessStatus.AWAITING_ERP_POSTING),
        Step("crm_status", crm_status, BusinessStatus.AWAITING_REVENUE_SCHEDULE),
    ),
    ids=_ids,
)
