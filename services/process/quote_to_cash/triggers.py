"""Which business event starts which workflow: the one place the process tier reacts to other tiers.

Each trigger derives the workflow id from the business key, so a duplicated or replayed event (two webhook
deliveries, push and pull both seeing a close) starts nothing new.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from contracts.deals import Amendment
from contracts.events import CloudEvent
from services.process.quote_to_cash.engine import Workflows
from services.process.quote_to_cash.workflows.amendment import amendment_key

__all__ = ["BILLING_GROUP", "CRM_GROUP", "Triggers"]

CRM_GROUP = "quote_to_cash"
BILLING_GROUP = "quote_to_cash"

_log = logging.getLogger("revflow.process")

_INVOICE_EVENTS = {
    "revflow.billing.invoice.finalized.v1": "open",
    "revflow.billing.invoice.paid.v1": "paid",
    "revflow.billing.invoice.voided.v1": "void",
}


class Triggers:
    """Event handlers of the CRM and billing streams."""

    def __init__(self, workflows: Workflows) -> None:
        self.workflows = workflows

    async def on_crm(self, event: CloudEvent) -> None:
        data: Any = event.data or {}
        if event.type == "revflow.crm.opportunity.closed_won.v1":
            deal = data["opportunity"]["id"]
            await self.workflows.start("activation", deal, data, workflow_id=f"activation:{deal}",
                                       correlation_id=event.correlationid)
        elif event.type == "revflow.crm.opportunity.renewed.v1" and "renewal" in self.workflows.definitions:
            opportunity = data["opportunity"]
            subject = opportunity.get("renews_opportunity_id") or opportunity["id"]
            await self.workflows.start("renewal", subject, data, workflow_id=f"renewal:{opportunity['id']}",
                                       correlation_id=event.correlationid)
        elif event.type == "revflow.crm.opportunity.amended.v1" and "amendment" in self.workflows.definitions:
            amendment = data["amendment"]
            try:
                key = amendment_key(msgspec.convert(amendment, Amendment), proration=data.get("proration"),
                                    treatment=data.get("revenue_treatment"))
            except msgspec.ValidationError:
                key = amendment.get("id") or event.id  # not a canonical amendment: the workflow's validation says why
            await self.workflows.start("amendment", amendment["opportunity_id"], data,
                                       workflow_id=f"amendment:{key}", correlation_id=event.correlationid)

    async def on_billing(self, event: CloudEvent) -> None:
        status = _INVOICE_EVENTS.get(event.type)
        if status is None:
            return
        invoice = (event.data or {}).get("invoice") or {}
        subscription = invoice.get("subscription_id")
        links = self.workflows.links
        if subscription:
            deal = await links.deal_of_subscription(subscription)
        else:
            deal = await links.deal_of_one_off_invoice(str(invoice.get("id"))) if invoice.get("id") else None
        if deal is None:
            # Not (yet) a revflow deal: the activation pulls its subscription's (or one-off) invoices itself.
            _log.info("invoice %s of subscription %s: no activated deal, not synced from the event",
                      invoice.get("id"), subscription)
            return
        await self.workflows.start("invoice_sync", deal, {"invoice_id": invoice["id"], "status": status},
                                   workflow_id=f"invoice_sync:{invoice['id']}:{status}",
                                   correlation_id=event.correlationid)
