"""``ChargebeeConnector``: the billing port over Chargebee API v2 (Product Catalog 2.0, form-encoded, keyed writes)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any

import msgspec

from contracts.billing import CreditNote, Invoice, Refund, Subscription, UsageRecord
from contracts.catalog import BillingFrequency
from contracts.parties import Customer
from services.runtime.http import UpstreamClient
from services.system.billing.connectors.chargebee._catalog import ChargebeeCatalog
from services.system.billing.connectors.chargebee._customers import ChargebeeCustomers, customer_id
from services.system.billing.connectors.chargebee._events import refund_from_chargebee, translate, verify_basic
from services.system.billing.connectors.chargebee._mapping import (
    PO_MARK,
    credit_note_from_chargebee,
    invoice_from_chargebee,
    is_base,
)
from services.system.billing.connectors.chargebee._subscriptions import ChargebeeSubscriptions
from services.system.billing.connectors.chargebee._wire import ChargebeeApi
from services.system.billing.errors import (
    BillingNotFound,
    InvoicePaid,
    UnsupportedByVendor,
    VendorRefused,
    WebhookRejected,
)
from services.system.billing.ports import VendorEvent
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

__all__ = ["ChargebeeConnector"]

_CN_REASON = {"product_unsatisfactory": "product_unsatisfactory", "order_change": "order_change",
              "fraudulent": "fraudulent"}
_USAGE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def _usage_id(report_id: str) -> str:
    """Chargebee usage ids allow no ``:``; such report ids map to a fixed derived id."""
    return report_id if _USAGE_ID.match(report_id) else "rf-" + hashlib.sha256(report_id.encode()).hexdigest()[:40]


class ChargebeeConnector:
    """Billing on Chargebee.

    Args:
        http: The resilient upstream client of the Chargebee site (auth attached).
        page_size: ``limit`` used when paging lists (every page is read).
        webhook_credentials: ``username:password`` pairs that protect the webhook URL.
    """

    name = "chargebee"

    def __init__(self, http: UpstreamClient, *, page_size: int = 100,
                 webhook_credentials: tuple[str, ...] = ()) -> None:
        self.api = ChargebeeApi(http, page_size)
        self.customers = ChargebeeCustomers(self.api)
        self.catalog = ChargebeeCatalog(self.api)
        self.subscriptions = ChargebeeSubscriptions(self.api, self.customers, self.catalog)
        self.webhook_credentials = webhook_credentials

    async def aclose(self) -> None:
        await self.api.http.aclose()

    async def upsert_customer(self, key: str, customer: Customer) -> Customer:
        return await self.customers.upsert(key, customer)

    async def get_customer(self, key: str) -> Customer:
        return await self.customers.get(key)

    async def sync_catalog_item(self, sku: str, item: CatalogItemV1) -> CatalogItemSyncV1:
        return await self.catalog.sync(sku, item)

    async def create_subscription(self, data: SubscriptionCreateV1, idem: str) -> Subscription:
        return await self.subscriptions.canonical(await self.subscriptions.create(data, idem))

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return await self.subscriptions.canonical(await self.subscriptions.fetch(subscription_id))

    async def amend_subscription(self, subscription_id: str, data: AmendmentV1, idem: str) -> AmendmentResultV1:
        body, pending = await self.subscriptions.amend(subscription_id, data, idem)
        invoice = await self._invoice(body["invoice"]) if body.get("invoice") else None
        return AmendmentResultV1(subscription=await self.subscriptions.canonical(body), pending_lines=pending,
                                 invoice=invoice)

    async def renew_subscription(self, subscription_id: str, data: RenewalV1, idem: str) -> Subscription:
        return await self.subscriptions.canonical(await self.subscriptions.renew(subscription_id, data, idem))

    async def cancel_subscription(self, subscription_id: str, data: CancellationV1, idem: str) -> Subscription:
        return await self.subscriptions.canonical(await self.subscriptions.cancel(subscription_id, data, idem))

    async def list_subscriptions(self, customer_key: str) -> list[Subscription]:
        params = {"customer_id[is]": await self.customers.require(customer_key), "sort_by[desc]": "created_at"}
        return [await self.subscriptions.canonical(entry) async for entry in self.api.iterate("/subscriptions", params)]

    async def list_invoices(self, customer_key: str | None, subscription_id: str | None) -> list[Invoice]:
        params: dict[str, Any] = {"sort_by[desc]": "date"}
        if subscription_id is not None:
            params["subscription_id[is]"] = subscription_id
        if customer_key is not None:
            params["customer_id[is]"] = await self.customers.require(customer_key)
        invoices = []
        for inv in await self.api.list_all("/invoices", "invoice", params):
            if any(not is_base(li.get("entity_id")) or li.get("amount") for li in inv.get("line_items") or []):
                invoices.append(await self._invoice(inv, customer_key))
        return invoices

    async def get_invoice(self, invoice_id: str) -> Invoice:
        return await self._invoice((await self.api.get(f"/invoices/{invoice_id}"))["invoice"])

    async def finalize_invoice(self, invoice_id: str, idem: str) -> Invoice:
        inv = (await self.api.get(f"/invoices/{invoice_id}"))["invoice"]
        if inv["status"] == "pending":
            try:
                inv = (await self.api.post(f"/invoices/{invoice_id}/close", {}, key=f"{idem}:finalize"))["invoice"]
            except VendorRefused as exc:
                if exc.code != "invalid_state_for_request":
                    raise
                inv = (await self.api.get(f"/invoices/{invoice_id}"))["invoice"]  # closed meanwhile: answer it
        return await self._invoice(inv)

    async def create_invoice(self, data: InvoiceCreateV1, idem: str) -> Invoice:
        """A one-off invoice of charge item prices (``create_for_charge_items_and_charges``).

        The opportunity goes in its ``po_number``, marked as revflow's (``PO_MARK``) so a customer's own PO number
        is never read as one; Chargebee closes it at once and collects it when collection is automatic.
        """
        cid = await self.customers.require(data.customer_key)
        rows = []
        for line in data.lines:
            price = await self.catalog.list_price(line.sku, data.currency, BillingFrequency.ONE_TIME)
            rows.append({"item_price_id": price["id"], "quantity": line.quantity,
                         "unit_price": line.unit_amount.amount_minor
                         if line.unit_amount.amount_minor != price.get("price") else None})
        send = data.collection_method == "send_invoice"
        params = {"customer_id": cid, "currency_code": data.currency, "item_prices": rows,
                  "po_number": PO_MARK + data.opportunity_id if data.opportunity_id else None,
                  "auto_collection": "off" if send else "on", "net_term_days": data.days_until_due if send else None}
        body = await self.api.post("/invoices/create_for_charge_items_and_charges", params, key=f"{idem}:invoice")
        return await self._invoice(body["invoice"], data.customer_key)

    async def void_invoice(self, invoice_id: str, idem: str) -> Invoice:
        inv = (await self.api.get(f"/invoices/{invoice_id}"))["invoice"]
        status = inv["status"]
        if status == "paid" or inv.get("amount_paid") or inv.get("credits_applied"):
            raise InvoicePaid(invoice_id, status)
        if status != "voided":
            inv = (await self.api.post(f"/invoices/{invoice_id}/void", {}, key=f"{idem}:void"))["invoice"]
        return await self._invoice(inv)

    async def create_credit_note(self, data: CreditNoteCreateV1, idem: str) -> CreditNote:
        inv = (await self.api.get(f"/invoices/{data.invoice_id}"))["invoice"]
        _same_currency(inv, data.lines[0].amount.currency)
        total = sum(line.amount.amount_minor for line in data.lines)
        # A paid invoice is credited with a refundable note (the customer's balance); an unpaid one is adjusted.
        kind = "refundable" if inv["status"] == "paid" or inv.get("amount_paid") else "adjustment"
        params = {"reference_invoice_id": inv["id"], "total": total, "type": kind,
                  "reason_code": _CN_REASON.get(data.reason.value, "other"), "customer_notes": data.memo}
        note = (await self.api.post("/credit_notes", params, key=f"{idem}:credit_note"))["credit_note"]
        return credit_note_from_chargebee(note, await self.customers.key_of_id(note["customer_id"]))

    async def create_refund(self, data: RefundCreateV1, idem: str) -> Refund:
        invoice_id = data.invoice_id or await self._invoice_of_payment(str(data.payment_id))
        inv = (await self.api.get(f"/invoices/{invoice_id}"))["invoice"]
        _same_currency(inv, data.amount.currency)
        payments = [p["txn_id"] for p in inv.get("linked_payments") or []]
        if not payments:
            raise UnsupportedByVendor(f"Invoice {invoice_id} has no payment to refund (status {inv['status']}); "
                                      "credit it instead.", code="no_payment")
        reason = {"fraudulent": "fraudulent"}.get(data.reason or "", "other")
        note = (await self.api.post("/credit_notes", {"reference_invoice_id": inv["id"], "total":
                                                      data.amount.amount_minor, "type": "refundable",
                                                      "reason_code": reason}, key=f"{idem}:credit_note"))
        params = {"transaction": {"amount": data.amount.amount_minor, "payment_method": "other"},
                  "comment": data.reason}
        done = await self.api.post(f"/credit_notes/{note['credit_note']['id']}/record_refund", params,
                                   key=f"{idem}:refund")
        return refund_from_chargebee(done["transaction"], done["credit_note"], data.payment_id or payments[0])

    async def report_usage(self, data: UsageReportV1, idem: str) -> UsageRecord:
        sub = (await self.subscriptions.fetch(data.subscription_id))["subscription"]
        item = None
        for si in sub["subscription_items"]:
            price = await self.catalog.item_price(si["item_price_id"])
            if not is_base(si["item_price_id"]) and price["item_id"] == data.sku \
                    and (await self.catalog.item(data.sku) or {}).get("metered"):
                item = si
        if item is None:
            raise UnsupportedByVendor(f"Subscription {data.subscription_id} has no usage-priced item {data.sku!r}.",
                                      code="usage_item_missing")
        params = {"id": _usage_id(data.id), "item_price_id": item["item_price_id"], "quantity": data.quantity,
                  "usage_date": int(data.occurred_at.astimezone(UTC).timestamp())}
        try:
            await self.api.post(f"/subscriptions/{sub['id']}/usages", params, key=f"{idem}:usage")
        except VendorRefused as exc:
            if exc.code != "duplicate_entry":  # the same report (same id) already counted
                raise
        return UsageRecord(id=data.id, subscription_id=sub["id"], subscription_item_id=item["item_price_id"],
                           product_sku=data.sku, quantity=data.quantity, occurred_at=data.occurred_at)

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> VendorEvent:
        reason = verify_basic(headers.get("authorization"), self.webhook_credentials)
        if reason is not None:
            raise WebhookRejected(f"Chargebee webhook refused: {reason}.")
        try:
            event = msgspec.json.decode(body)
            event_id, kind = str(event["id"]), str(event["event_type"])
        except (msgspec.DecodeError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"Chargebee webhook body is not an event: {exc}", code="payload_invalid") from None
        payload, subject = await translate(event, self._invoice, self.subscriptions.canonical,
                                           self.customers.key_of_id, self._refund)
        return VendorEvent(id=event_id, vendor_type=kind, payload=payload, subject=subject)

    async def _refund(self, txn: dict[str, Any], note: dict[str, Any]) -> Refund:
        inv = (await self.api.get(f"/invoices/{note['reference_invoice_id']}"))["invoice"]
        payment = next((p["txn_id"] for p in inv.get("linked_payments") or []), txn["id"])
        return refund_from_chargebee(txn, note, payment)

    async def _invoice_of_payment(self, payment_id: str) -> str:
        txn = (await self.api.get(f"/transactions/{payment_id}"))["transaction"]
        linked = txn.get("linked_invoices") or []
        if not linked:
            raise BillingNotFound(f"Payment {payment_id} is linked to no invoice.", code="resource_missing",
                                  retryable=False, owner="integration")
        return str(linked[0]["invoice_id"])

    async def _invoice(self, inv: dict[str, Any], customer_key: str | None = None) -> Invoice:
        skus = {}
        for line in inv.get("line_items") or []:
            pid = line.get("entity_id")
            if pid and not is_base(pid) and line.get("entity_type", "").endswith("item_price"):
                skus[pid] = (await self.catalog.item_price(pid))["item_id"]
        if customer_key is None or customer_id(customer_key) != inv["customer_id"]:
            customer_key = await self.customers.key_of_id(inv["customer_id"])
        return invoice_from_chargebee(inv, customer_key, skus)


def _same_currency(inv: dict[str, Any], currency: str) -> None:
    if inv["currency_code"] != currency:
        raise VendorRefused(f"Invoice {inv['id']} is in {inv['currency_code']}, not {currency}.",
                            slug="business-rule", code="currency_mismatch", retryable=False, owner="integration")
