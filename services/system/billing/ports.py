"""The billing connector port: everything the billing API needs from a vendor, in canonical types.

A connector (``connectors/stripe``, ``connectors/chargebee``) implements ``BillingConnector``; the service
depends on nothing else. Rules every connector keeps:

- Writes take ``idem``, a key derived from the caller's ``Idempotency-Key``; each vendor call of one write
  uses its own sub-key (``f"{idem}:<step>"``) in the vendor's idempotency mechanism, so a retried write is
  replayed by the vendor step by step and never duplicates. Upserts (``PUT``) derive it from the business
  key instead, and find the vendor object again by that key.
- Vendor refusals become ``ServiceError``s that keep the vendor's code and message and say whether a retry
  can help (``retryable``) and who owns the fix (``owner``); transport failures stay the runtime's
  ``UpstreamError``s (503/504/502 with ``Retry-After``).
- Lists are read to their last page. Vendor payload shapes never cross this port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import msgspec

from contracts.billing import CreditNote, Invoice, Refund, Subscription, UsageRecord
from contracts.parties import Customer
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

__all__ = ["BillingConnector", "VendorEvent"]


class VendorEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A verified inbound vendor event, translated to a canonical event payload when revflow cares."""

    id: str
    """The vendor's event id (the deduplication key)."""
    vendor_type: str
    """The vendor's event type (``invoice.finalized``)."""
    payload: msgspec.Struct | None = None
    """A payload Struct of ``contracts.event_payloads``, or ``None`` for events revflow ignores."""
    subject: str | None = None
    """The business key of the event (invoice id, subscription id)."""


class BillingConnector(Protocol):
    """One billing vendor behind the canonical billing API."""

    name: str
    """The vendor (``stripe``, ``chargebee``)."""

    async def aclose(self) -> None:
        """Release the connector's HTTP client."""
        ...

    async def upsert_customer(self, key: str, customer: Customer) -> Customer:
        """Create or update the customer known by ``key``; a repeat creates nothing new."""
        ...

    async def get_customer(self, key: str) -> Customer:
        """The customer known by ``key`` (``CustomerNotFound`` when billing has none)."""
        ...

    async def sync_catalog_item(self, sku: str, item: CatalogItemV1) -> CatalogItemSyncV1:
        """Make the vendor's product and active prices of ``sku`` equal ``item``."""
        ...

    async def create_subscription(self, data: SubscriptionCreateV1, idem: str) -> Subscription:
        """Create a subscription (the first invoice is the vendor's business)."""
        ...

    async def get_subscription(self, subscription_id: str) -> Subscription:
        """A subscription by its billing id."""
        ...

    async def amend_subscription(self, subscription_id: str, data: AmendmentV1, idem: str) -> AmendmentResultV1:
        """Change quantities or prices mid-term with the given proration policy."""
        ...

    async def renew_subscription(self, subscription_id: str, data: RenewalV1, idem: str) -> Subscription:
        """Renew for another term (lifting a scheduled cancellation)."""
        ...

    async def cancel_subscription(self, subscription_id: str, data: CancellationV1, idem: str) -> Subscription:
        """Cancel now or at term end; cancelling a canceled subscription answers it as it is."""
        ...

    async def list_subscriptions(self, customer_key: str) -> list[Subscription]:
        """Every subscription of the customer in any status (canceled included), newest first."""
        ...

    async def list_invoices(self, customer_key: str | None, subscription_id: str | None) -> list[Invoice]:
        """Every invoice of the customer and/or subscription, newest first."""
        ...

    async def get_invoice(self, invoice_id: str) -> Invoice:
        """An invoice by its billing id."""
        ...

    async def create_invoice(self, data: InvoiceCreateV1, idem: str) -> Invoice:
        """A one-off invoice of one-time charges, finalized (and collected when it charges automatically)."""
        ...

    async def void_invoice(self, invoice_id: str, idem: str) -> Invoice:
        """Void an unpaid invoice (a draft is finalized first, so the record stays); a void one is answered as it is.

        Raises:
            VendorRefused: ``invoice_paid`` (409) when money was collected on it: a paid invoice is credited.
        """
        ...

    async def finalize_invoice(self, invoice_id: str, idem: str) -> Invoice:
        """Finalize a draft; an invoice already finalized is answered as it is."""
        ...

    async def create_credit_note(self, data: CreditNoteCreateV1, idem: str) -> CreditNote:
        """Issue a credit note against an invoice."""
        ...

    async def create_refund(self, data: RefundCreateV1, idem: str) -> Refund:
        """Refund (part of) a payment."""
        ...

    async def report_usage(self, data: UsageReportV1, idem: str) -> UsageRecord:
        """Report usage on a usage-priced item; the report's ``id`` deduplicates at the vendor."""
        ...

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> VendorEvent:
        """Authenticate an inbound webhook and translate it (``WebhookRejected`` when not authentic)."""
        ...
