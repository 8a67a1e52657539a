"""Usage: records against the tenant's orders, reported to the process API under tenant-qualified ids."""

from __future__ import annotations

import uuid

from services.experience.partner.schemas import UsageOutcome, UsageReceipt, UsageReport
from services.experience.partner.service._common import Deps, not_found
from services.experience.partner.service._orders import Orders
from services.runtime.problems import ServiceError

__all__ = ["Usage"]


class Usage:
    """Reporting usage of the tenant's orders."""

    def __init__(self, deps: Deps, orders: Orders) -> None:
        self.deps, self.orders = deps, orders

    async def report(self, tenant: str, report: UsageReport) -> UsageReceipt:
        """Report a batch; each record counts once however often it is sent.

        Record ids are the partner's own, so two tenants may use the same one: the process tier gets
        ``<tenant>:<record id>``, and a record can never be taken for another tenant's.
        """
        deals = await self._deals(tenant, report)
        records = [{"id": f"{tenant}:{r.id}", "opportunity_id": deals[r.order_id], "sku": r.sku,
                    "quantity": r.quantity, "occurred_at": r.occurred_at.isoformat()} for r in report.records]
        # A fresh key per request: it makes this call's retries safe, while the process API itself answers a
        # resent record as a repeat (a key derived from the body would replay the first answer, "created").
        reply = await self.deps.process.report_usage(records, key=f"partner-usage:{uuid.uuid4().hex}")
        created = {str(row.get("record_id")): bool(row.get("created")) for row in reply.get("data", [])}
        outcomes: list[UsageOutcome] = []
        seen: set[str] = set()
        for record in report.records:
            fresh = created.get(f"{tenant}:{record.id}", False) and record.id not in seen
            seen.add(record.id)
            outcomes.append(UsageOutcome(id=record.id, order_id=record.order_id,
                                         status="accepted" if fresh else "duplicate"))
        accepted = sum(1 for o in outcomes if o.status == "accepted")
        return UsageReceipt(data=outcomes, accepted=accepted, duplicates=len(outcomes) - accepted)

    async def _deals(self, tenant: str, report: UsageReport) -> dict[str, str]:
        deals: dict[str, str] = {}
        for order_id in dict.fromkeys(r.order_id for r in report.records):
            record = await self.deps.index.order(tenant, order_id)
            if record is None:
                raise not_found("order", order_id)
            if record.opportunity_id is None:
                record = await self.orders.refresh(record)
            if record.opportunity_id is None:
                raise ServiceError(f"Order {order_id} is not booked yet; report its usage once it is "
                                   "(the order.booked webhook, or opportunity_id on the order).", slug="conflict")
            skus = {line.product_sku for line in record.lines}
            stray = next((u.sku for u in report.records if u.order_id == order_id and u.sku not in skus), None)
            if stray is not None:
                raise ServiceError(f"Order {order_id} has no line for {stray}.", slug="business-rule",
                                   code="sku_not_on_order")
            deals[order_id] = record.opportunity_id
        return deals
