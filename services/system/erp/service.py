"""Domain logic of the ERP API, vendor-agnostic: it depends on ``ports.ErpConnector`` only.

It derives each write's external id from the caller's ``Idempotency-Key`` (scoped by the caller, so two
clients' keys never meet at the vendor), refuses an unbalanced journal before anything reaches the ERP,
keeps queries read-only, appends every revenue-impacting write to the hash-chained audit stream and
announces posted invoices.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import msgspec

from contracts.billing import CreditNote, Invoice, Payment
from contracts.catalog import Product
from contracts.ledger import JournalEntry
from contracts.parties import Customer
from contracts.problems import FieldError
from services.runtime.audit import AuditLog
from services.runtime.correlation import current_correlation_id
from services.runtime.problems import ServiceError
from services.system.erp.errors import UnbalancedJournal
from services.system.erp.ports import ErpConnector
from services.system.erp.postings import InvoicePostings
from services.system.erp.schemas import (
    CreditMemoCreateV1,
    CustomerPaymentCreateV1,
    InvoiceCreateV1,
    JournalEntryCreateV1,
    QueryResultV1,
    QueryV1,
    SalesOrderCreateV1,
    SalesOrderV1,
)

__all__ = ["Caller", "ErpService", "external_id", "read_only_query"]

_SELECT = re.compile(r"^\s*select\s", re.IGNORECASE)
_WRITE_WORDS = re.compile(r"\b(insert|update|delete|merge|drop|alter|create|truncate|grant|exec)\b", re.IGNORECASE)


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is writing, and under which ``Idempotency-Key``."""

    client_id: str
    tenant: str | None = None
    idempotency_key: str | None = None


def external_id(caller: Caller, operation: str) -> str:
    """The vendor external id of one write: stable for the same caller, key and operation."""
    raw = f"{caller.tenant or '-'}|{caller.client_id}|{operation}|{caller.idempotency_key or ''}"
    return "rf-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def read_only_query(query: QueryV1) -> str:
    """The query text when it is a single ``SELECT``; a validation problem otherwise."""
    text = query.q.strip().rstrip(";").strip()
    if not _SELECT.match(text) or ";" in text or _WRITE_WORDS.search(re.sub(r"'[^']*'", "''", text)):
        raise ServiceError("Only a single read-only SELECT statement is accepted.", slug="validation",
                           errors=[FieldError(field="q", source="body", message="must be one SELECT statement")])
    return text


class ErpService:
    """Canonical ERP operations over the configured vendor."""

    def __init__(self, connector: ErpConnector, audit: AuditLog, postings: InvoicePostings) -> None:
        self.connector, self.audit, self.postings = connector, audit, postings

    async def upsert_customer(self, key: str, customer: Customer, caller: Caller) -> Customer:
        result = await self.connector.upsert_customer(key, customer)
        await self._record(caller, "customer.upserted", key, result)
        return result

    async def get_customer(self, key: str) -> Customer:
        return await self.connector.get_customer(key)

    async def get_item(self, sku: str) -> Product:
        return await self.connector.get_item(sku)

    async def get_items(self, skus: list[str]) -> list[Product]:
        return await self.connector.get_items(list(dict.fromkeys(skus)))

    async def create_sales_order(self, data: SalesOrderCreateV1, caller: Caller) -> SalesOrderV1:
        result = await self.connector.create_sales_order(data, external_id(caller, "sales_order.create"))
        await self._record(caller, "sales_order.created", result.id, result)
        return result

    async def get_sales_order(self, order_id: str) -> SalesOrderV1:
        return await self.connector.get_sales_order(order_id)

    async def sales_orders_of(self, opportunity_id: str) -> list[SalesOrderV1]:
        return await self.connector.sales_orders_of(opportunity_id)

    async def close_sales_order(self, order_id: str, caller: Caller) -> SalesOrderV1:
        result = await self.connector.close_sales_order(order_id, external_id(caller, f"sales_order.close:{order_id}"))
        await self._record(caller, "sales_order.closed", result.id, result)
        return result

    async def create_invoice(self, data: InvoiceCreateV1, caller: Caller) -> Invoice:
        result = await self.connector.create_invoice(data, external_id(caller, "invoice.create"))
        await self._record(caller, "invoice.posted", result.id or "", result)
        await self.postings.announce(result)
        return result

    async def get_invoice(self, invoice_id: str) -> Invoice:
        return await self.connector.get_invoice(invoice_id)

    async def create_credit_memo(self, data: CreditMemoCreateV1, caller: Caller) -> CreditNote:
        result = await self.connector.create_credit_memo(data, external_id(caller, "credit_memo.create"))
        await self._record(caller, "credit_memo.created", result.id or "", result)
        return result

    async def create_customer_payment(self, data: CustomerPaymentCreateV1, caller: Caller) -> Payment:
        result = await self.connector.create_customer_payment(data, external_id(caller, "payment.create"))
        await self._record(caller, "customer_payment.created", result.id or "", result)
        return result

    async def post_journal_entry(self, data: JournalEntryCreateV1, caller: Caller) -> JournalEntry:
        try:
            entry = JournalEntry(entry_date=data.entry_date, accounting_period=data.accounting_period,
                                 memo=data.memo, lines=data.lines, source=data.source,
                                 reverses_entry_id=data.reverses_entry_id)
        except ValueError as exc:
            raise UnbalancedJournal(f"Journal entry refused before posting: {str(exc).removeprefix('lines: ')}."
                                    ) from None
        result = await self.connector.post_journal_entry(entry, external_id(caller, "journal_entry.post"))
        await self._record(caller, "journal_entry.posted", result.id or "", result)
        return result

    async def query(self, query: QueryV1) -> QueryResultV1:
        return await self.connector.query(read_only_query(query), query.limit)

    async def _record(self, caller: Caller, action: str, subject: str, after: Any) -> None:
        await self.audit.append(actor=caller.client_id, action=f"erp.{action}", subject=subject, before=None,
                                after=msgspec.to_builtins(after), correlation_id=current_correlation_id())
