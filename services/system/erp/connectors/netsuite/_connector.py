"""``NetSuiteConnector``: the ERP port over SuiteTalk REST (records upserted by external id) and SuiteQL."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.billing import CreditNote, CreditNoteLine, Invoice, Payment, PaymentStatus
from contracts.catalog import Product
from contracts.ledger import EntrySide, JournalEntry
from contracts.parties import Customer
from services.runtime.http import UpstreamClient
from services.system.erp.connectors.netsuite._mapping import (
    BILLING_ID_FIELD,
    customer_body,
    customer_from_netsuite,
    decimal_of,
    input_lines,
    invoice_from_netsuite,
    money_of,
    quote,
    sales_order_from_netsuite,
)
from services.system.erp.connectors.netsuite._wire import NetSuiteApi
from services.system.erp.errors import (
    InconsistentVendorData,
    VendorRefused,
    account_missing,
    customer_missing,
    sku_inactive,
    sku_missing,
)
from services.system.erp.schemas import (
    CreditMemoCreateV1,
    CustomerPaymentCreateV1,
    InvoiceCreateV1,
    QueryResultV1,
    SalesOrderCreateV1,
    SalesOrderV1,
)

__all__ = ["NetSuiteConnector"]


class NetSuiteConnector:
    """The ERP on NetSuite.

    Args:
        http: The resilient upstream client of the account (TBA signing attached).
        currencies: ISO 4217 code -> internal id of the account's currency records.
        page_size: SuiteQL page size.
    """

    name = "netsuite"

    def __init__(self, http: UpstreamClient, *, currencies: dict[str, str], page_size: int = 1000) -> None:
        self.api = NetSuiteApi(http, page_size)
        self.currency_ids = dict(currencies)
        self.currency_codes = {v: k for k, v in currencies.items()}

    async def aclose(self) -> None:
        await self.api.http.aclose()

    # --- master data ------------------------------------------------------------------------------

    async def upsert_customer(self, key: str, customer: Customer) -> Customer:
        await self.api.upsert("customer", key, customer_body(customer, self._currency_id(customer.currency)))
        return await self.get_customer(key)

    async def get_customer(self, key: str) -> Customer:
        record = await self.api.find("customer", key)
        if record is None:
            raise customer_missing(key)
        return customer_from_netsuite(record, key, self._currency_of(record, "customer"))

    async def get_item(self, sku: str) -> Product:
        return (await self.get_items([sku]))[0]

    async def get_items(self, skus: list[str]) -> list[Product]:
        rows = await self._items(skus)
        return [Product(id=None, sku=sku, name=rows[sku].get("displayname") or rows[sku]["itemid"],
                        description=rows[sku].get("salesdescription") or rows[sku].get("description"),
                        external_ids={"erp": rows[sku]["id"]})  # type: ignore[dict-item]
                for sku in skus]

    # --- transactions -----------------------------------------------------------------------------

    async def create_sales_order(self, data: SalesOrderCreateV1, ext: str) -> SalesOrderV1:
        items = await self._items(line.sku for line in data.lines)
        body = {"entity": _customer_ref(data.customer_key),
                "currency": {"id": self._currency_id(data.currency)},
                "tranDate": data.order_date.isoformat() if data.order_date else None, "memo": data.memo,
                "otherRefNum": data.opportunity_id,
                "item": input_lines(data.lines, {sku: row["id"] for sku, row in items.items()})}
        order_id = await self._write_for(data.customer_key, self.api.upsert("salesOrder", ext, _present(body),
                                                                            replace="item"))
        return await self.get_sales_order(order_id, customer_key=data.customer_key)

    async def get_sales_order(self, order_id: str, customer_key: str | None = None) -> SalesOrderV1:
        """The sales order as NetSuite has it; a ``customer_key`` the caller knows saves reading the customer."""
        record = await self.api.read("salesOrder", order_id)
        key = customer_key if customer_key is not None else await self._customer_key(record["entity"])
        return sales_order_from_netsuite(record, key, self._currency_of(record, "sales order"))

    async def sales_orders_of(self, opportunity_id: str) -> list[SalesOrderV1]:
        q = f"SELECT id FROM transaction WHERE type = 'SalesOrd' AND otherrefnum = {quote(opportunity_id)}"
        rows, _ = await self.api.suiteql(q, 1_000)
        ids = sorted((int(row["id"]) for row in rows), reverse=True)
        return [await self.get_sales_order(str(order_id)) for order_id in ids]

    async def close_sales_order(self, order_id: str, ext: str) -> SalesOrderV1:
        """Close every open line (NetSuite then shows the order ``Closed``); closing a closed order changes nothing."""
        record = await self.api.read("salesOrder", order_id)
        open_lines = [line["line"] for line in (record.get("item") or {}).get("items", []) if not line.get("isClosed")]
        if open_lines:
            await self.api.update("salesOrder", order_id,
                                  {"item": {"items": [{"line": n, "isClosed": True} for n in open_lines]}}, key=ext)
        return await self.get_sales_order(order_id)

    async def create_invoice(self, data: InvoiceCreateV1, ext: str) -> Invoice:
        head = _present({"tranDate": data.issued_on.isoformat() if data.issued_on else None,
                         "dueDate": data.due_on.isoformat() if data.due_on else None, "memo": data.memo,
                         BILLING_ID_FIELD: data.billing_invoice_id})
        if data.sales_order_id is not None:
            invoice_id = await self._transform("salesOrder", data.sales_order_id, "invoice", ext, head)
        else:
            assert data.lines is not None and data.customer_key is not None and data.currency is not None
            items = await self._items(line.sku for line in data.lines)
            body = {**head, "entity": _customer_ref(data.customer_key),
                    "currency": {"id": self._currency_id(data.currency)},
                    "item": input_lines(data.lines, {sku: row["id"] for sku, row in items.items()})}
            invoice_id = await self._write_for(data.customer_key,
                                               self.api.upsert("invoice", ext, body, replace="item"))
        return await self.get_invoice(invoice_id)

    async def get_invoice(self, invoice_id: str) -> Invoice:
        record = await self.api.read("invoice", invoice_id)
        return invoice_from_netsuite(record, await self._customer_key(record["entity"]),
                                     self._currency_of(record, "invoice"))

    async def create_credit_memo(self, data: CreditMemoCreateV1, ext: str) -> CreditNote:
        invoice = await self.get_invoice(data.invoice_id)
        currency = data.lines[0].amount.currency
        if currency != invoice.currency:
            raise VendorRefused(f"Invoice {data.invoice_id} is in {invoice.currency}, not {currency}.",
                                slug="business-rule", code="currency_mismatch", retryable=False,
                                owner="integration")
        items = await self._items(line.sku for line in data.lines)
        lines = [{"item": {"id": items[line.sku]["id"]}, "quantity": 1, "rate": decimal_of(line.amount),
                  "amount": decimal_of(line.amount), "description": line.description} for line in data.lines]
        body = _present({"memo": data.memo or f"Credit ({data.reason.value})", "item": {"items": lines}})
        memo_id = await self._transform("invoice", data.invoice_id, "creditMemo", ext, body)
        record = await self.api.read("creditMemo", memo_id)
        total = money_of(record.get("total"), currency)
        assert total is not None
        return CreditNote(id=memo_id, invoice_id=data.invoice_id, customer_id=invoice.customer_id,
                          reason=data.reason, currency=currency, total=total,
                          lines=[CreditNoteLine(description=line.description, amount=line.amount)
                                 for line in data.lines], external_ids={"erp": memo_id})  # type: ignore[dict-item]

    async def create_customer_payment(self, data: CustomerPaymentCreateV1, ext: str) -> Payment:
        currency = data.amount.currency
        body: dict[str, Any] = _present({
            "customer": _customer_ref(data.customer_key),
            "currency": {"id": self._currency_id(currency)}, "payment": decimal_of(data.amount),
            "tranDate": data.received_on.isoformat() if data.received_on else None, "memo": data.memo})
        if data.invoice_id is not None:
            body["apply"] = {"items": [{"doc": {"id": data.invoice_id}, "apply": True,
                                        "amount": decimal_of(data.amount)}]}
        payment_id = await self._write_for(data.customer_key,
                                           self.api.upsert("customerPayment", ext, body, replace="apply"))
        record = await self.api.read("customerPayment", payment_id)
        amount = money_of(record.get("total", record.get("payment")), currency)
        assert amount is not None
        return Payment(id=payment_id, customer_id=data.customer_key, invoice_id=data.invoice_id, amount=amount,
                       status=PaymentStatus.SUCCEEDED, method=data.method,
                       external_ids={"erp": payment_id})  # type: ignore[dict-item]

    async def post_journal_entry(self, entry: JournalEntry, ext: str) -> JournalEntry:
        currencies = {line.amount.currency for line in entry.lines}
        if len(currencies) != 1:
            raise VendorRefused("A NetSuite journal entry is in one currency; split the entry per currency.",
                                slug="business-rule", code="journal_multi_currency", retryable=False,
                                owner="integration")
        accounts = await self._accounts(line.account.number for line in entry.lines)
        lines = [_present({"account": {"id": accounts[line.account.number]},
                           ("debit" if line.side is EntrySide.DEBIT else "credit"): decimal_of(line.amount),
                           "memo": line.memo}) for line in entry.lines]
        body = _present({"tranDate": entry.entry_date.isoformat(), "memo": entry.memo,
                         "currency": {"id": self._currency_id(currencies.pop())}, "line": {"items": lines}})
        journal_id = await self.api.upsert("journalEntry", ext, body, replace="line")
        return msgspec.structs.replace(entry, id=journal_id, posted_at=datetime.now(UTC),
                                       external_ids={**entry.external_ids, "erp": journal_id})

    async def query(self, q: str, limit: int) -> QueryResultV1:
        rows, more = await self.api.suiteql(q, limit)
        items = [{str(k): str(v) for k, v in row.items()} for row in rows]
        return QueryResultV1(items=items, count=len(items), truncated=more)

    # --- helpers ----------------------------------------------------------------------------------

    async def _transform(self, source: str, source_id: str, target: str, ext: str, body: dict[str, Any]) -> str:
        """``!transform`` once per external id: an earlier (or concurrent) attempt's record is answered.

        The external id is unique per record type, so a repeat is refused (a duplicate external id, or the source
        already billed or closed, whatever NetSuite's code for it); the record that attempt made is then looked up,
        which costs a read only when NetSuite refuses.
        """
        try:
            return await self.api.transform(source, source_id, target, {**body, "externalId": ext}, key=ext)
        except VendorRefused as exc:
            again = await self.api.find(target, ext) if not exc.retryable else None
            if again is None:
                raise
            return str(again["id"])

    @staticmethod
    async def _write_for(customer_key: str, write: Awaitable[str]) -> str:
        """Await a write that names the customer by key: NetSuite's invalid reference to it is ``customer_missing``."""
        try:
            return await write
        except VendorRefused as exc:
            if exc.code == "INVALID_CONTENT" and exc.vendor_path in ("entity", "customer"):
                raise customer_missing(customer_key) from exc
            raise

    async def _items(self, skus: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Active items by SKU; the first missing or inactive one is a master-data exception."""
        wanted = list(dict.fromkeys(skus))
        q = ("SELECT id, itemid, displayname, salesdescription, description, isinactive FROM item WHERE itemid IN ("
             + ", ".join(quote(s) for s in wanted) + ")")
        rows, _ = await self.api.suiteql(q, 10_000)
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row.get("isinactive") != "T" or row["itemid"] not in found:
                found[row["itemid"]] = row
        for sku in wanted:
            if sku not in found:
                raise sku_missing(sku)
            if found[sku].get("isinactive") == "T":
                raise sku_inactive(sku)
        return found

    async def _accounts(self, numbers: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(numbers))
        q = ("SELECT id, acctnumber FROM account WHERE isinactive = 'F' AND acctnumber IN ("
             + ", ".join(quote(n) for n in wanted) + ")")
        rows, _ = await self.api.suiteql(q, 10_000)
        ids = {row["acctnumber"]: str(row["id"]) for row in rows}
        for number in wanted:
            if number not in ids:
                raise account_missing(number)
        return ids

    async def _customer_key(self, ref: dict[str, Any]) -> str:
        record = await self.api.read("customer", str(ref["id"]), fields="externalId")
        return str(record.get("externalId") or ref["id"])

    def _currency_id(self, code: str) -> str:
        try:
            return self.currency_ids[code]
        except KeyError:
            raise VendorRefused(f"Currency {code} is not among the NetSuite account's currencies revflow knows ("
                                f"{', '.join(sorted(self.currency_ids))}): enable it in NetSuite (Lists > Accounting "
                                "> Currencies), then add its internal id to REVFLOW_ERP_NETSUITE_CURRENCIES.",
                                slug="business-rule",
                                code="currency_unsupported", retryable=False, owner="finance_ops") from None

    def _currency_of(self, record: dict[str, Any], what: str) -> str:
        ref = record.get("currency") or {}
        code = self.currency_codes.get(str(ref.get("id")))
        if code is None:
            raise InconsistentVendorData(f"NetSuite {what} {record.get('id')} is in currency record "
                                         f"{ref.get('id')!r}, which revflow has no ISO code for.")
        return code


def _customer_ref(key: str) -> dict[str, str]:
    """The customer named by its external id (our business key): NetSuite resolves it, saving a lookup."""
    return {"externalId": key}


def _present(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}
