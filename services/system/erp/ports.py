"""The ERP connector port: everything the ERP API needs from a vendor, in canonical types.

A connector (``connectors/netsuite``) implements ``ErpConnector``; the service depends on nothing else.
Rules every connector keeps:

- Writes take ``ext``, an external id derived from the caller's ``Idempotency-Key`` (or the business key for
  upserts); the record is written with the vendor's upsert by external id, so a retried write updates the
  record it already made and never creates a second one.
- Vendor refusals become ``ServiceError``s that keep the vendor's code and message and say whether a retry
  can help (``retryable``) and who owns the fix (``owner``); a missing or inactive item is a master-data
  exception (``sku_missing`` / ``sku_inactive``, owner ``finance_ops``); transport failures stay the
  runtime's ``UpstreamError``s (503/504/502 with ``Retry-After``).
- Lists and queries are read to their last page. Vendor payload shapes never cross this port.
"""

from __future__ import annotations

from typing import Protocol

from contracts.billing import CreditNote, Invoice, Payment
from contracts.catalog import Product
from contracts.ledger import JournalEntry
from contracts.parties import Customer
from services.system.erp.schemas import (
    CreditMemoCreateV1,
    CustomerPaymentCreateV1,
    InvoiceCreateV1,
    QueryResultV1,
    SalesOrderCreateV1,
    SalesOrderV1,
)

__all__ = ["ErpConnector"]


class ErpConnector(Protocol):
    """One ERP vendor behind the canonical ERP API."""

    name: str
    """The vendor (``netsuite``)."""

    async def aclose(self) -> None:
        """Release the connector's HTTP client."""
        ...

    async def upsert_customer(self, key: str, customer: Customer) -> Customer:
        """Create or update the customer whose external id is ``key``."""
        ...

    async def get_customer(self, key: str) -> Customer:
        """The customer whose external id is ``key``."""
        ...

    async def get_item(self, sku: str) -> Product:
        """The active item ``sku`` (a master-data exception when missing or inactive)."""
        ...

    async def get_items(self, skus: list[str]) -> list[Product]:
        """The active items of ``skus`` (distinct), in order; the first missing or inactive one is an exception."""
        ...

    async def create_sales_order(self, data: SalesOrderCreateV1, ext: str) -> SalesOrderV1:
        """Upsert the sales order with external id ``ext``."""
        ...

    async def get_sales_order(self, order_id: str) -> SalesOrderV1:
        """A sales order by its ERP id."""
        ...

    async def sales_orders_of(self, opportunity_id: str) -> list[SalesOrderV1]:
        """The sales orders made for a CRM opportunity, newest first."""
        ...

    async def close_sales_order(self, order_id: str, ext: str) -> SalesOrderV1:
        """Close the order's open lines, so nothing more is fulfilled or billed from it (repeatable)."""
        ...

    async def create_invoice(self, data: InvoiceCreateV1, ext: str) -> Invoice:
        """Upsert the invoice with external id ``ext`` (billing a sales order, or standalone)."""
        ...

    async def get_invoice(self, invoice_id: str) -> Invoice:
        """An invoice by its ERP id."""
        ...

    async def create_credit_memo(self, data: CreditMemoCreateV1, ext: str) -> CreditNote:
        """Upsert the credit memo with external id ``ext`` against an invoice."""
        ...

    async def create_customer_payment(self, data: CustomerPaymentCreateV1, ext: str) -> Payment:
        """Upsert the customer payment with external id ``ext``."""
        ...

    async def post_journal_entry(self, entry: JournalEntry, ext: str) -> JournalEntry:
        """Upsert the (balanced) journal entry with external id ``ext``."""
        ...

    async def query(self, q: str, limit: int) -> QueryResultV1:
        """Run a read-only query, reading every page up to ``limit`` rows."""
        ...
