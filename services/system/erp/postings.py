"""``revflow.erp.invoice.posted.v1``, announced once per ERP invoice.

A retried invoice write (same Idempotency-Key after a lost answer) finds the invoice it already posted;
a Redis marker per ERP invoice id makes sure its posting is announced once, and the CloudEvent id is
derived from the same id, so even an event that lands twice is recognisable downstream.
"""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

from contracts.billing import Invoice
from contracts.event_payloads import ErpInvoicePosted
from contracts.events import build_event
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace

__all__ = ["InvoicePostings"]

_PROCESSING_TTL_S = 60
_DONE_TTL_S = 400 * 86_400


class InvoicePostings:
    """Publishes the posted event of each ERP invoice once."""

    def __init__(self, redis: Redis, keyspace: KeySpace, bus: EventBus, vendor: str) -> None:
        self.redis, self.keyspace, self.bus, self.vendor = redis, keyspace, bus, vendor

    async def announce(self, invoice: Invoice) -> bool:
        """Publish ``invoice``'s posting unless it was announced before; True if published now."""
        erp_id = invoice.id or ""
        marker = self.keyspace.key("erp", "invoice_posted", self.vendor, erp_id)
        if not await self.redis.set(marker, b"processing", nx=True, ex=_PROCESSING_TTL_S):
            return False  # announced, or being announced by a concurrent request
        try:
            posted_at = datetime.now(UTC)
            issued = invoice.issued_on or posted_at.date()
            subject = invoice.external_ids.get("billing") or erp_id  # type: ignore[call-overload]
            payload = ErpInvoicePosted(invoice_id=subject, erp_invoice_id=erp_id,
                                       accounting_period=f"{issued.year:04d}-{issued.month:02d}", posted_at=posted_at)
            await self.bus.publish(build_event(payload, subject=subject, time=posted_at,
                                               id=f"{self.vendor}:invoice:{erp_id}"))
        except BaseException:
            await self.redis.delete(marker)
            raise
        await self.redis.set(marker, b"done", ex=_DONE_TTL_S)
        return True
