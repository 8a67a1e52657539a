"""Domain logic of the billing API, vendor-agnostic: it depends on ``ports.BillingConnector`` only.

It derives the vendor idempotency key of each write from the caller's ``Idempotency-Key`` (scoped by the
caller, so two clients' keys never meet at the vendor) and appends every revenue-impacting write to the
hash-chained audit stream. Events are not published here: they come from the vendor's webhooks
(``webhooks.py``), so changes made in the vendor's own UI are announced too, and exactly once.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from contracts.billing import CreditNote, Invoice, Refund, Subscription, UsageRecord
from contracts.parties import Customer
from services.runtime.audit import AuditLog
from services.runtime.correlation import current_correlation_id
from services.system.billing.ports import BillingConnector
from services.system.billing.schemas import (
    AmendmentResultV1,
    AmendmentV1,
    CancellationV1,
    CatalogItemSyncV1,
    CatalogItemV1,
    CreditNoteCreateV1,
    InvoiceCreateV1,
    RefundCreateV1,
    RenewalV1,
    SubscriptionCreateV1,
    UsageReportV1,
)

__all__ = ["BillingService", "Caller", "vendor_key"]


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is writing, and under which ``Idempotency-Key``."""

    client_id: str
    tenant: str | None = None
    idempotency_key: str | None = None


def vendor_key(caller: Caller, operation: str) -> str:
    """The vendor idempotency key of one write: stable for the same caller, key and operation."""
    raw = f"{caller.tenant or '-'}|{caller.client_id}|{operation}|{caller.idempotency_key or ''}"
    return "rf-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


class BillingService:
    """Canonical billing operations over the configured vendor."""

    def __init__(self, connector: BillingConnector, audit: AuditLog) -> None:
        self.connector = connector
        self.audit = audit

    async def upsert_customer(self, key: str, customer: Customer, caller: Caller) -> Customer:
        result = await self.connector.upsert_customer(key, customer)
        await self._record(caller, "customer.upserted", key, result)
        return result

    async def get_customer(self, key: str) -> Customer:
        return await self.connector.get_customer(key)

    async def sync_catalog_item(self, sku: str, item: CatalogItemV1, caller: Caller) -> CatalogItemSyncV1:
        result = await self.connector.sync_catalog_item(sku, item)
        await self._record(caller, "catalog_item.synced", sku, result)
        return result

    async def create_subscription(self, data: SubscriptionCreateV1, caller: Caller) -> Subscription:
        result = await self.connector.create_subscription(data, vendor_key(caller, "subscription.create"))
        await self._record(caller, "subscription.created", result.id or "", result)
        return result

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return await self.connector.get_subscription(subscription_id)

    async def amend_subscription(self, subscription_id: str, data: AmendmentV1, caller: Caller) -> AmendmentResultV1:
        key = vendor_key(caller, f"subscription.amend:{subscription_id}")
        result = await self.connector.amend_subscription(subscription_id, data, key)
        await self._record(caller, "subscription.amended", subscription_id, result)
        return result

    async def renew_subscription(self, subscription_id: str, data: RenewalV1, caller: Caller) -> Subscription:
        key = vendor_key(caller, f"subscription.renew:{subscription_id}")
        result = await self.connector.renew_subscription(subscription_id, data, key)
        await self._record(caller, "subscription.renewed", subscription_id, result)
        return result

    async def cancel_subscription(self, subscription_id: str, data: CancellationV1, caller: Caller) -> Subscription:
        key = vendor_key(caller, f"subscription.cancel:{subscription_id}")
        result = await self.connector.cancel_subscription(subscription_id, data, key)
        await self._record(caller, "subscription.canceled", subscription_id, result)
        return result

    async def list_subscriptions(self, customer_key: str, opportunity_id: str | None) -> list[Subscription]:
        """The customer's subscriptions, those of one opportunity only when ``opportunity_id`` is given."""
        found = await self.connector.list_subscriptions(customer_key)
        return [s for s in found if opportunity_id is None or s.opportunity_id == opportunity_id]

    async def list_invoices(self, customer_key: str | None, subscription_id: str | None,
                            opportunity_id: str | None = None) -> list[Invoice]:
        """The invoices of the customer and/or subscription (with ``opportunity_id``: its one-off invoices only)."""
        found = await self.connector.list_invoices(customer_key, subscription_id)
        return [i for i in found if opportunity_id is None or i.opportunity_id == opportunity_id]

    async def void_invoice(self, invoice_id: str, caller: Caller) -> Invoice:
        result = await self.connector.void_invoice(invoice_id, vendor_key(caller, f"invoice.void:{invoice_id}"))
        await self._record(caller, "invoice.voided", invoice_id, result)
        return result

    async def create_invoice(self, data: InvoiceCreateV1, caller: Caller) -> Invoice:
        result = await self.connector.create_invoice(data, vendor_key(caller, "invoice.create"))
        await self._record(caller, "invoice.created", result.id or "", result)
        return result

    async def get_invoice(self, invoice_id: str) -> Invoice:
        return await self.connector.get_invoice(invoice_id)

    async def finalize_invoice(self, invoice_id: str, caller: Caller) -> Invoice:
        result = await self.connector.finalize_invoice(invoice_id, vendor_key(caller, f"invoice.finalize:{invoice_id}"))
        await self._record(caller, "invoice.finalized", invoice_id, result)
        return result

    async def create_credit_note(self, data: CreditNoteCreateV1, caller: Caller) -> CreditNote:
        result = await self.connector.create_credit_note(data, vendor_key(caller, "credit_note.create"))
        await self._record(caller, "credit_note.created", result.id or "", result)
        return result

    async def create_refund(self, data: RefundCreateV1, caller: Caller) -> Refund:
        result = await self.connector.create_refund(data, vendor_key(caller, "refund.create"))
        await self._record(caller, "refund.created", result.id or "", result)
        return result

    async def report_usage(self, data: UsageReportV1, caller: Caller) -> UsageRecord:
        result = await self.connector.report_usage(data, vendor_key(caller, "usage.report"))
        await self._record(caller, "usage.recorded", result.id, result)
        return result

    async def _record(self, caller: Caller, action: str, subject: str, after: Any) -> None:
        await self.audit.append(actor=caller.client_id, action=f"billing.{action}", subject=subject, before=None,
                                after=msgspec.to_builtins(after), correlation_id=current_correlation_id())
