"""From the process tier's events to the tenant's webhook deliveries.

The partner API consumes ``revflow.process.workflow.completed.v1`` and ``...needs_attention.v1`` from the
``process`` stream (its own consumer group, so every replica shares the work and each event is handled once)
and keeps only events of deals a partner submitted: the workflow id of an order (``order:<tenant>:<order>``)
names its tenant, any other workflow's subject is a deal the tenant index maps to its tenant. An event for a
deal the index does not know yet may be of an order whose intake event was handled late, so for an activation
the orders still waiting for their deal are asked about before the event is let go.

The partner sees its own vocabulary (``order.activated``, ``invoice.synced``, ...), not revflow's internal
workflow names, and only events that happened after it registered the webhook.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from contracts.events import CloudEvent
from services.experience.partner.schemas import WebhookEventType
from services.experience.partner.service import Orders
from services.experience.partner.tenancy import OrderRecord, TenantIndex
from services.experience.partner.webhooks._store import OutboundEvent, WebhookStore

__all__ = ["COMPLETED", "NEEDS_ATTENTION", "ProcessEvents", "partner_event_type"]

COMPLETED = "revflow.process.workflow.completed.v1"
NEEDS_ATTENTION = "revflow.process.workflow.needs_attention.v1"
_log = logging.getLogger("revflow.partner.events")

_ON_COMPLETION = {"order": WebhookEventType.ORDER_BOOKED, "activation": WebhookEventType.ORDER_ACTIVATED,
                  "invoice_sync": WebhookEventType.INVOICE_SYNCED, "usage": WebhookEventType.USAGE_RECORDED,
                  "credit_refund": WebhookEventType.CREDIT_NOTE_ISSUED}


def partner_event_type(event_type: str, workflow: str) -> WebhookEventType:
    """The partner-facing type of a process event about a workflow of kind ``workflow``."""
    if event_type == COMPLETED:
        return _ON_COMPLETION.get(workflow, WebhookEventType.WORKFLOW_COMPLETED)
    if workflow in ("order", "activation"):
        return WebhookEventType.ORDER_NEEDS_ATTENTION
    return WebhookEventType.WORKFLOW_NEEDS_ATTENTION


class ProcessEvents:
    """The consumer handler: route a process event to its tenant, then to the tenant's webhooks."""

    def __init__(self, index: TenantIndex, orders: Orders, store: WebhookStore) -> None:
        self.index, self.orders, self.store = index, orders, store

    async def handle(self, event: CloudEvent) -> None:
        if event.type not in (COMPLETED, NEEDS_ATTENTION) or not isinstance(event.data, dict):
            return
        data: dict[str, Any] = event.data
        workflow_id, subject = str(data.get("workflow_id", "")), str(data.get("subject", ""))
        kind = str(data.get("workflow", ""))
        record = await self._order_of(workflow_id, kind, subject)
        if record is None:
            return
        if kind == "order":  # intake finished or stopped: learn the deal id, and the order's status as of now
            record = await self.orders.refresh(record)
        elif kind == "activation":
            await self.orders.note_status(record, str(data.get("business_status") or record.status))
        outbound = self._outbound(event, data, record)
        hooks = [h for h in await self.store.webhooks(record.tenant)
                 if h.wants(outbound.type) and h.created_at <= outbound.created_at]
        for hook in hooks:
            await self.store.enqueue(hook, outbound)

    async def _order_of(self, workflow_id: str, kind: str, subject: str) -> OrderRecord | None:
        if workflow_id.startswith("order:"):
            _, tenant, order_id = [*workflow_id.split(":", 2), "", ""][:3]
            return await self.index.order(tenant, order_id) if tenant and order_id else None
        owner = await self.index.owner_of_deal(subject)
        if owner is None and subject and kind == "activation":
            # Most unknown deals are sales' own; only an activation can be the first word about a partner's deal
            # whose intake event was handled late (every later workflow of a deal comes after its activation).
            owner = await self._learn_deal(subject)
        return await self.index.order(*owner) if owner else None

    async def _learn_deal(self, subject: str) -> tuple[str, str] | None:
        """Ask the process tier about orders still waiting for their deal; one of them may be ``subject``'s."""
        for tenant, order_id in await self.index.pending_orders():
            record = await self.index.order(tenant, order_id)
            if record is None:
                continue
            try:
                record = await self.orders.refresh(record)
            except Exception as exc:  # one unreachable order must not hold up the others' events
                _log.warning("could not refresh order %s of %s: %s", order_id, tenant, exc)
                continue
            if record.opportunity_id == subject:
                return tenant, order_id
        return None

    @staticmethod
    def _outbound(event: CloudEvent, data: dict[str, Any], record: OrderRecord) -> OutboundEvent:
        kind = str(data.get("workflow", ""))
        body: dict[str, Any] = {"order_id": record.order_id, "opportunity_id": record.opportunity_id,
                                "customer_id": record.customer_id, "workflow": kind,
                                "status": data.get("business_status")}
        if event.type == NEEDS_ATTENTION:
            body["reason"] = data.get("reason")
        occurred = event.time or datetime.now(UTC)
        # The same process event always becomes the same partner event id, so a redelivered stream entry
        # finds the deliveries it made the first time.
        event_id = "evt_" + hashlib.sha256(event.id.encode()).hexdigest()[:24]
        return OutboundEvent(id=event_id, type=partner_event_type(event.type, kind).value, created_at=occurred,
                             data=body)
