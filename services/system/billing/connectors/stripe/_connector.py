"""``StripeConnector``: the billing port over Stripe's API (v1, form-encoded, ``Idempotency-Key`` on writes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from contracts.billing import CreditNote, Invoice, Refund, Subscription, UsageRecord
from contracts.catalog import BillingFrequency
from contracts.parties import Customer
from services.runtime.http import UpstreamClient
from services.system.billing.connectors.stripe._catalog import StripeCatalog
from services.system.billing.connectors.stripe._customers import StripeCustomers
from services.system.billing.connectors.stripe._events import translate
from services.system.billing.connectors.stripe._mapping import (
    META,
    credit_note_from_stripe,
    invoice_from_stripe,
    refund_from_stripe,
    subscription_from_stripe,
)
from services.system.billing.connectors.stripe._subscriptions import StripeSubscriptions
from services.system.billing.connectors.stripe._webhooks import verify_signature
from services.system.billing.connectors.stripe._wire import StripeApi
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

__all__ = ["StripeConnector"]

_SETTLEMENT = {"customer_balance": "credit_amount", "refund": "refund_amount", "out_of_band": "out_of_band_amount"}


class StripeConnector:
    """Billing on Stripe.

    Args:
        http: The resilient upstream client of the Stripe API (auth attached).
        page_size: ``limit`` used when paging lists (every page is read).
        webhook_secrets: Signing secrets of the webhook endpoint.
    """

    name = "stripe"

    def __init__(self, http: UpstreamClient, *, page_size: int = 100, webhook_secrets: tuple[str, ...] = ()) -> None:
        self.api = StripeApi(http, page_size)
        self.customers = StripeCustomers(self.api)
        self.catalog = StripeCatalog(self.api)
        self.subscriptions = StripeSubscriptions(self.api, self.customers, self.catalog)
        self.webhook_secrets = webhook_secrets

    async def aclose(self) -> None:
        await self.api.http.aclose()

    async def upsert_customer(self, key: str, customer: Customer) -> Customer:
        return await self.customers.upsert(key, customer)

    async def get_customer(self, key: str) -> Customer:
        return await self.customers.get(key)

    async def sync_catalog_item(self, sku: str, item: CatalogItemV1) -> CatalogItemSyncV1:
        return await self.catalog.sync(sku, item)

    async def create_subscription(self, data: SubscriptionCreateV1, idem: str) -> Subscription:
        return await self.subscriptions.create(data, idem)

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return subscription_from_stripe(*await self.subscriptions.fetch(subscription_id))

    async def amend_subscription(self, subscription_id: str, data: AmendmentV1, idem: str) -> AmendmentResultV1:
        sub, key, prorations = await self.subscriptions.amend(subscription_id, data, idem)
        invoice = None
        if data.proration.value == "always_invoice" and sub.get("latest_invoice"):
            latest = await self.api.get(f"/v1/invoices/{sub['latest_invoice']}")
            if latest.get("billing_reason") == "subscription_update":
                invoice = invoice_from_stripe(latest, await self._lines(latest), key)
        return AmendmentResultV1(subscription=subscription_from_stripe(sub, key), pending_lines=prorations,
                                 invoice=invoice)

    async def renew_subscription(self, subscription_id: str, data: RenewalV1, idem: str) -> Subscription:
        return await self.subscriptions.renew(subscription_id, data, idem)

    async def cancel_subscription(self, subscription_id: str, data: CancellationV1, idem: str) -> Subscription:
        return await self.subscriptions.cancel(subscription_id, data, idem)

    async def list_subscriptions(self, customer_key: str) -> list[Subscription]:
        customer = await self.customers.vendor_id(customer_key)
        return [subscription_from_stripe(sub, customer_key)
                async for sub in self.api.iterate("/v1/subscriptions", {"customer": customer, "status": "all"})]

    async def list_invoices(self, customer_key: str | None, subscription_id: str | None) -> list[Invoice]:
        params: dict[str, Any] = {"subscription": subscription_id}
        if customer_key is not None:
            params["customer"] = await self.customers.vendor_id(customer_key)
        invoices = []
        async for inv in self.api.iterate("/v1/invoices", params):
            lines = await self._lines(inv)
            if lines:  # an empty draft has no canonical form yet
                invoices.append(invoice_from_stripe(inv, lines, customer_key or await self._key(inv["customer"])))
        return invoices

    async def get_invoice(self, invoice_id: str) -> Invoice:
        return await self._invoice(await self.api.get(f"/v1/invoices/{invoice_id}"))

    async def finalize_invoice(self, invoice_id: str, idem: str) -> Invoice:
        inv = await self.api.get(f"/v1/invoices/{invoice_id}")
        if inv["status"] == "draft":
            try:
                inv = await self.api.post(f"/v1/invoices/{invoice_id}/finalize", {}, key=f"{idem}:finalize")
            except VendorRefused as exc:
                if exc.code != "invoice_not_editable":
                    raise
                inv = await self.api.get(f"/v1/invoices/{invoice_id}")  # finalized meanwhile: answer it
        return await self._invoice(inv)

    async def create_invoice(self, data: InvoiceCreateV1, idem: str) -> Invoice:
        """A one-off invoice: a draft with one invoice item per line (a one-time price of the SKU), finalized.

        Then it is charged at once when it charges automatically (a declined card leaves it ``open``), or sent to
        the customer; either way it is handed to Stripe's automatic collection (``auto_advance``: retries,
        reminders) from there.

        The prices are found (or made) before anything is invoiced, so an unknown SKU leaves no draft behind. Every
        write is keyed from ``idem``, so a repeat after any of them continues where the first stopped.
        """
        customer = await self.customers.vendor_id(data.customer_key)
        prices = [await self.catalog.price_for(line.sku, data.currency, BillingFrequency.ONE_TIME,
                                               line.unit_amount.amount_minor) for line in data.lines]
        meta = {META + "customer_key": data.customer_key, META + "opportunity_id": data.opportunity_id}
        send = data.collection_method == "send_invoice"
        inv = await self.api.post("/v1/invoices", {
            "customer": customer, "currency": data.currency.lower(), "collection_method": data.collection_method,
            "days_until_due": data.days_until_due if send else None, "auto_advance": False,
            "pending_invoice_items_behavior": "exclude",
            "metadata": {k: v for k, v in meta.items() if v is not None}}, key=f"{idem}:invoice")
        for i, (line, price) in enumerate(zip(data.lines, prices, strict=True)):
            await self.api.post("/v1/invoiceitems", {
                "customer": customer, "invoice": inv["id"], "price": price["id"], "quantity": line.quantity,
                "description": line.description}, key=f"{idem}:line:{i}")
        await self.finalize_invoice(inv["id"], idem)
        inv = await self.api.get(f"/v1/invoices/{inv['id']}")
        if inv["status"] == "open" and send:
            inv = await self.api.post(f"/v1/invoices/{inv['id']}/send", {}, key=f"{idem}:send")
        elif inv["status"] == "open":
            try:
                inv = await self.api.post(f"/v1/invoices/{inv['id']}/pay", {}, key=f"{idem}:pay")
            except VendorRefused:  # a declined card, or paid meanwhile: the invoice says which
                inv = await self.api.get(f"/v1/invoices/{inv['id']}")
                if inv["status"] not in ("open", "paid"):
                    raise
        if inv["status"] == "open" and not inv.get("auto_advance"):
            inv = await self.api.post(f"/v1/invoices/{inv['id']}", {"auto_advance": True}, key=f"{idem}:collect")
        return await self._invoice(inv)

    async def void_invoice(self, invoice_id: str, idem: str) -> Invoice:
        inv = await self.api.get(f"/v1/invoices/{invoice_id}")
        if inv["status"] == "draft":
            await self.finalize_invoice(invoice_id, idem)
            inv = await self.api.get(f"/v1/invoices/{invoice_id}")
        status = inv["status"]
        if status in ("paid", "uncollectible") or (status == "open" and inv.get("amount_paid")):
            raise InvoicePaid(invoice_id, status)
        if status == "open":
            inv = await self.api.post(f"/v1/invoices/{invoice_id}/void", {}, key=f"{idem}:void")
        return await self._invoice(inv)

    async def create_credit_note(self, data: CreditNoteCreateV1, idem: str) -> CreditNote:
        inv = await self.api.get(f"/v1/invoices/{data.invoice_id}")
        _same_currency(inv, data.lines[0].amount.currency)
        total = sum(line.amount.amount_minor for line in data.lines)
        lines = [{"type": "invoice_line_item", "invoice_line_item": line.invoice_line_id,
                  "amount": line.amount.amount_minor, "description": line.description} if line.invoice_line_id
                 else {"type": "custom_line_item", "unit_amount": line.amount.amount_minor, "quantity": 1,
                       "description": line.description} for line in data.lines]
        params: dict[str, Any] = {"invoice": inv["id"], "lines": lines, "memo": data.memo,
                                  "reason": None if data.reason.value == "other" else data.reason.value,
                                  "metadata": {META + "invoice_id": inv["id"]}}
        if inv["status"] == "paid":
            params[_SETTLEMENT[data.settlement]] = total
        note = await self.api.post("/v1/credit_notes", params, key=f"{idem}:credit_note")
        return credit_note_from_stripe(note, await self._key(note["customer"]))

    async def create_refund(self, data: RefundCreateV1, idem: str) -> Refund:
        charge = data.payment_id
        if data.invoice_id is not None:
            inv = await self.api.get(f"/v1/invoices/{data.invoice_id}")
            _same_currency(inv, data.amount.currency)
            charge = inv.get("charge")
            if not charge:
                raise UnsupportedByVendor(f"Invoice {data.invoice_id} has no card payment to refund "
                                          f"(status {inv['status']}); credit it instead.", code="no_payment")
        params = {"charge": charge, "amount": data.amount.amount_minor, "reason": data.reason,
                  "metadata": {META + "invoice_id": data.invoice_id} if data.invoice_id else None}
        refund = await self.api.post("/v1/refunds", params, key=f"{idem}:refund")
        return refund_from_stripe(refund, data.invoice_id)

    async def report_usage(self, data: UsageReportV1, idem: str) -> UsageRecord:
        sub, _ = await self.subscriptions.fetch(data.subscription_id)
        item = self.subscriptions.item_of(sub, data.sku)
        meter_id = (item or {}).get("price", {}).get("recurring", {}).get("meter") if item else None
        if item is None or not meter_id:
            raise UnsupportedByVendor(f"Subscription {data.subscription_id} has no usage-priced item {data.sku!r}.",
                                      code="usage_item_missing")
        meter = await self.api.get(f"/v1/billing/meters/{meter_id}")
        payload = {meter["customer_mapping"]["event_payload_key"]: sub["customer"],
                   meter["value_settings"]["event_payload_key"]: data.quantity}
        params = {"event_name": meter["event_name"], "payload": payload, "identifier": data.id,
                  "timestamp": int(data.occurred_at.timestamp())}
        try:
            await self.api.post("/v1/billing/meter_events", params, key=f"{idem}:meter_event")
        except VendorRefused as exc:
            if exc.code != "resource_already_exists":  # the same report (same identifier) already counted
                raise
        return UsageRecord(id=data.id, subscription_id=sub["id"], subscription_item_id=item["id"],
                           product_sku=data.sku, quantity=data.quantity, occurred_at=data.occurred_at)

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> VendorEvent:
        reason = verify_signature(headers.get("stripe-signature"), body, self.webhook_secrets)
        if reason is not None:
            raise WebhookRejected(f"Stripe webhook refused: {reason}.")
        try:
            event = msgspec.json.decode(body)
            event_id, kind = str(event["id"]), str(event["type"])
        except (msgspec.DecodeError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"Stripe webhook body is not an event: {exc}", code="payload_invalid") from None
        payload, subject = await translate(event, self._key, self._lines)
        return VendorEvent(id=event_id, vendor_type=kind, payload=payload, subject=subject)

    async def _key(self, customer_id: str) -> str:
        return await self.customers.key_of(customer_id)

    async def _lines(self, inv: dict[str, Any]) -> list[dict[str, Any]]:
        embedded = inv.get("lines") or {}
        if not embedded.get("has_more"):
            return list(embedded.get("data") or [])
        return await self.api.list_all(f"/v1/invoices/{inv['id']}/lines")

    async def _invoice(self, inv: dict[str, Any]) -> Invoice:
        lines = await self._lines(inv)
        if not lines:
            raise BillingNotFound(f"Invoice {inv['id']} has no lines yet, so it has no canonical form.",
                                  code="invoice_empty", retryable=True, owner="billing_ops")
        return invoice_from_stripe(inv, lines, await self._key(inv["customer"]))


def _same_currency(inv: dict[str, Any], currency: str) -> None:
    if inv["currency"].upper() != currency:
        raise VendorRefused(f"Invoice {inv['id']} is in {inv['currency'].upper()}, not {currency}.",
                            slug="business-rule", code="currency_mismatch", retryable=False, owner="integration")

