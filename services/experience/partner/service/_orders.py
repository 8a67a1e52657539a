"""Orders: submitted through the process API, indexed under the tenant, refreshed from the process tier."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.money import Money
from services.experience.partner.pagination import paginate
from services.experience.partner.schemas import OrderPageV1, OrderSubmissionV1, OrderV1
from services.experience.partner.service._common import Deps, not_found
from services.experience.partner.tenancy import OrderRecord
from services.runtime.http import UpstreamError
from services.runtime.problems import ServiceError

__all__ = ["Orders", "customer_id_of", "order_view"]


def customer_id_of(submission: OrderSubmissionV1) -> str:
    """The partner's customer id, or one derived from the customer's name and country when it gave none."""
    if submission.customer.id:
        return submission.customer.id
    seed = f"{submission.customer.name.casefold().strip()}|{submission.customer.billing_address.country}"
    return "cus_" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def order_view(record: OrderRecord) -> OrderV1:
    amount = Money.total((line.amount for line in record.lines), record.currency)
    return OrderV1(order_id=record.order_id, status=record.status, opportunity_id=record.opportunity_id,
                   customer_id=record.customer_id, currency=record.currency, lines=record.lines, amount=amount,
                   close_date=record.close_date, submitted_at=record.submitted_at, updated_at=record.updated_at)


def _order_key(order: OrderV1) -> tuple[str, str]:
    return order.submitted_at.isoformat(), order.order_id


class Orders:
    """Submitting, reading and listing the tenant's orders."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def submit(self, tenant: str, actor: str, submission: OrderSubmissionV1) -> OrderV1:
        """Book an order: index it under the tenant, then start it in the process tier.

        The index entry is written first, so an event about the order can never arrive before the partner API
        knows whose it is; a refusal by the process tier removes it again, an outage leaves it (the order may
        have been booked). Submitting the same order again is a no-op that answers its current state (and
        completes a submission an outage interrupted); other content under the same order id is a 409.
        """
        fingerprint = hashlib.sha256(msgspec.json.encode(submission)).hexdigest()
        now = datetime.now(UTC)
        customer_id = customer_id_of(submission)
        record = OrderRecord(tenant=tenant, order_id=submission.order_id, customer_id=customer_id,
                             currency=submission.currency, lines=submission.lines, close_date=submission.close_date,
                             fingerprint=fingerprint, submitted_at=now, updated_at=now)
        earlier = await self.deps.index.claim_order(record)
        if earlier is not None and earlier.fingerprint != fingerprint:
            raise ServiceError(f"Order {submission.order_id} was submitted before with other content; use a new "
                               "order id for a new order.", slug="conflict")
        record = earlier or record
        body = self._process_body(tenant, customer_id, submission)
        try:
            # The order's workflow id makes the submission idempotent in the process tier; the key only makes
            # this call's retries safe (one derived from the order would replay the first, stale, status).
            reply = await self.deps.process.submit_order(body, key=f"partner-order:{uuid.uuid4().hex}")
        except (ServiceError, UpstreamError) as exc:
            # A refusal (the process API answered 4xx) means nothing was booked: forget the order so it can be
            # corrected. After a timeout or a 5xx it may have been booked, so it stays, and a retry finds it.
            refused = isinstance(exc, ServiceError) or (exc.status is not None and exc.status < 500)
            if earlier is None and refused:
                await self.deps.index.forget_order(tenant, submission.order_id)
            raise
        record = self._updated(record, reply) or record
        await self.deps.index.save_order(record)
        if earlier is None:
            await self.deps.index.save_customer(tenant, customer_id, submission.customer, submission.order_id, now)
            await self.deps.audit.append(actor, "partner.order.submitted", f"order:{tenant}:{submission.order_id}",
                                         None, body)
        return order_view(record)

    async def get(self, tenant: str, order_id: str) -> OrderV1:
        record = await self.deps.index.order(tenant, order_id)
        if record is None:
            raise not_found("order", order_id)
        return order_view(await self.refresh(record))

    async def page(self, tenant: str, limit: int, cursor: str | None) -> OrderPageV1:
        orders = [order_view(r) for r in await self.deps.index.orders(tenant)]
        data, next_cursor = paginate(orders, _order_key, limit, cursor)
        return OrderPageV1(data=data, next_cursor=next_cursor)

    async def refresh(self, record: OrderRecord) -> OrderRecord:
        """The order with the process tier's current status and deal id (saved when they changed)."""
        reply = await self.deps.process.order(record.tenant, record.order_id)
        updated = self._updated(record, reply) if reply is not None else None
        if updated is None:
            return record
        await self.deps.index.save_order(updated)
        return updated

    async def note_status(self, record: OrderRecord, status: str) -> None:
        """Record a business status an event reported."""
        if record.status != status:
            record.status, record.updated_at = status, datetime.now(UTC)
            await self.deps.index.save_order(record)

    @staticmethod
    def _updated(record: OrderRecord, reply: dict[str, Any]) -> OrderRecord | None:
        status = str(reply.get("status") or record.status)
        opportunity_id = reply.get("opportunity_id") or record.opportunity_id
        workflow_id = reply.get("workflow_id") or record.workflow_id
        if (status, opportunity_id, workflow_id) == (record.status, record.opportunity_id, record.workflow_id):
            return None
        return msgspec.structs.replace(record, status=status, opportunity_id=opportunity_id, workflow_id=workflow_id,
                                       updated_at=datetime.now(UTC))

    @staticmethod
    def _process_body(tenant: str, customer_id: str, submission: OrderSubmissionV1) -> dict[str, Any]:
        # The customer id names a customer within the tenant only; the process tier qualifies it with the
        # tenant (the CRM account key is ``<tenant>.<customer id>``), so two tenants' ids never meet. Orders of
        # one customer therefore book on one CRM account.
        customer = msgspec.structs.replace(submission.customer, id=customer_id)
        return {"tenant": tenant, "order_id": submission.order_id, "customer": msgspec.to_builtins(customer),
                "currency": submission.currency, "lines": msgspec.to_builtins(submission.lines),
                "close_date": submission.close_date.isoformat()}
