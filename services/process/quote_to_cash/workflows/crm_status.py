"""The finance status written back to the CRM record, shared by every workflow that changes it.

The CRM API's finance status is replaced whole (PUT), so each write sends everything sales should see: the
subscription, the latest invoice status, and revenue recognised to date (the schedule lines of closed
periods, read from revrec: the books, not a running total kept here).
"""

from __future__ import annotations

from typing import Any

from services.process.quote_to_cash.saga import StepContext
from services.process.quote_to_cash.systems import call

__all__ = ["write_finance_status"]


async def recognized_to_date(ctx: StepContext, contract_id: str | None, currency: str) -> dict[str, Any]:
    total = 0
    if contract_id:
        view = await call(ctx.systems.revrec, "GET", f"/v1/contracts/{contract_id}")
        total = sum(line["amount"]["amount_minor"] for schedule in view.get("schedules", [])
                    for line in schedule["lines"] if line.get("closed"))
    return {"amount_minor": total, "currency": currency}


async def write_finance_status(ctx: StepContext, deal: str, *, invoice_status: str | None = None) -> dict[str, Any]:
    """Write the deal's whole finance status to the CRM record (``invoice_status`` when it changed)."""
    if invoice_status:
        await ctx.systems.links.record(deal, invoice_status=invoice_status)
    links = await ctx.systems.links.of(deal)
    body: dict[str, Any] = {"subscription_id": links.get("subscription_id")}
    if links.get("invoice_status"):
        body["invoice_status"] = links["invoice_status"]
    if links.get("currency"):
        body["revenue_recognized"] = await recognized_to_date(ctx, links.get("revenue_contract_id"), links["currency"])
    result = await call(ctx.systems.crm, "PUT", f"/v1/opportunities/{deal}/finance-status", json=body, key=ctx.key)
    return {"status": body, "stored": result.get("stored", []) if isinstance(result, dict) else []}
