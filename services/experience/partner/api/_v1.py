"""Routes of the partner API v1 (deprecated: every answer links its v2 successor; sunset below)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from services.experience.partner.api._common import (
    READ,
    WRITE,
    DeliveryId,
    InvoiceId,
    OrderFilter,
    OrderId,
    WebhookId,
    tenant_of,
)
from services.experience.partner.deps import DEPENDENCIES
from services.experience.partner.pagination import Cursor, Limit
from services.experience.partner.schemas import (
    CreditNotePageV1,
    CustomerPageV1,
    DeliveryPageV1,
    InvoicePageV1,
    InvoiceV1,
    OrderPageV1,
    OrderSubmissionV1,
    OrderV1,
    SubscriptionPageV1,
    UsageReceipt,
    UsageReport,
    Webhook,
    WebhookCreate,
    WebhookDelivery,
    WebhookList,
    WebhookWithSecret,
)
from services.experience.partner.service import PartnerService
from services.experience.partner.webhooks import WebhookService
from services.runtime.versioning import Deprecation

__all__ = ["V1_CONTROLLERS", "V1_DEPRECATION"]

V1_DEPRECATION = Deprecation(since=datetime(2026, 1, 1, tzinfo=UTC), sunset=datetime(2027, 1, 1, tzinfo=UTC))
"""v1 answers until the sunset; v2 changes money to decimal strings, pages to ``has_more``, orders to ``id``."""

WEBHOOK_DOC = """Deliveries are `POST`s of `{"id", "type", "created_at", "data"}` (JSON) signed like Stripe's:

    Revflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the webhook secret>

Recompute the HMAC over the raw body, compare in constant time, refuse a `t` more than 5 minutes old, and
deduplicate on `id` (the same in every retry and redelivery; `Revflow-Event-Id` carries it too). Answer 2xx
within 10 s; anything else is retried with exponential backoff (`Revflow-Delivery-Attempt` counts attempts),
then the delivery is `failed` until you redeliver it. Every attempt is in the webhook's delivery log."""


class OrderControllerV1(Controller):
    """Orders: each becomes a closed-won deal and is activated in billing, the ERP and revenue."""

    path = "/orders"
    tags = ["orders"]
    dependencies = DEPENDENCIES

    @post("/", operation_id="submitOrderV1", guards=WRITE, status_code=202,
          summary="Submit an order (idempotent by order_id): it becomes a deal and an activation")
    async def submit(self, data: JSONBody[OrderSubmissionV1], request: Request[Any, Any, Any],
                     partner: NamedDependency[PartnerService]) -> OrderV1:
        return await partner.orders.submit(tenant_of(request), request.user.client_id, data)

    @get("/", operation_id="listOrdersV1", guards=READ, summary="Your orders, newest first")
    async def list_orders(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                          limit: FromQuery[Limit] = 20, cursor: FromQuery[Cursor] = None) -> OrderPageV1:
        return await partner.orders.page(tenant_of(request), limit, cursor)

    @get("/{order_id:str}", operation_id="getOrderV1", guards=READ, summary="An order and where it stands")
    async def read(self, order_id: OrderId, request: Request[Any, Any, Any],
                   partner: NamedDependency[PartnerService]) -> OrderV1:
        return await partner.orders.get(tenant_of(request), order_id)


class UsageControllerV1(Controller):
    """Usage of usage-priced products on your orders."""

    path = "/usage"
    tags = ["usage"]
    dependencies = DEPENDENCIES

    @post("/", operation_id="reportUsageV1", guards=WRITE, status_code=202,
          summary="Report usage records (each record id counts once, however often it is sent)")
    async def report(self, data: JSONBody[UsageReport], request: Request[Any, Any, Any],
                     partner: NamedDependency[PartnerService]) -> UsageReceipt:
        return await partner.usage.report(tenant_of(request), data)


class CustomerControllerV1(Controller):
    path = "/customers"
    tags = ["customers"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listCustomersV1", guards=READ, summary="Your customers, newest first")
    async def list_customers(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                             limit: FromQuery[Limit] = 20, cursor: FromQuery[Cursor] = None) -> CustomerPageV1:
        return await partner.documents.customers(tenant_of(request), limit, cursor)


class SubscriptionControllerV1(Controller):
    path = "/subscriptions"
    tags = ["subscriptions"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listSubscriptionsV1", guards=READ, summary="The subscriptions your orders became")
    async def list_subscriptions(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                                 order_id: FromQuery[OrderFilter] = None, limit: FromQuery[Limit] = 20,
                                 cursor: FromQuery[Cursor] = None) -> SubscriptionPageV1:
        return await partner.documents.subscriptions(tenant_of(request), order_id, limit, cursor)


class InvoiceControllerV1(Controller):
    path = "/invoices"
    tags = ["invoices"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listInvoicesV1", guards=READ, summary="Invoices of your orders, newest first")
    async def list_invoices(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                            order_id: FromQuery[OrderFilter] = None, limit: FromQuery[Limit] = 20,
                            cursor: FromQuery[Cursor] = None) -> InvoicePageV1:
        return await partner.documents.invoices(tenant_of(request), order_id, limit, cursor)

    @get("/{invoice_id:str}", operation_id="getInvoiceV1", guards=READ, summary="One of your invoices")
    async def read(self, invoice_id: InvoiceId, request: Request[Any, Any, Any],
                   partner: NamedDependency[PartnerService]) -> InvoiceV1:
        return await partner.documents.invoice(tenant_of(request), invoice_id)


class CreditNoteControllerV1(Controller):
    path = "/credit-notes"
    tags = ["credit notes"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listCreditNotesV1", guards=READ, summary="Credit notes on your invoices, newest first")
    async def list_credit_notes(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                                order_id: FromQuery[OrderFilter] = None, limit: FromQuery[Limit] = 20,
                                cursor: FromQuery[Cursor] = None) -> CreditNotePageV1:
        return await partner.documents.credit_notes(tenant_of(request), order_id, limit, cursor)


class WebhookControllerV1(Controller):
    """Webhooks: signed deliveries of what happens to your orders."""

    path = "/webhooks"
    tags = ["webhooks"]
    dependencies = DEPENDENCIES

    @post("/", operation_id="createWebhookV1", guards=WRITE, status_code=201,
          summary="Register a webhook (the answer carries its signing secret, shown once)", description=WEBHOOK_DOC)
    async def create(self, data: JSONBody[WebhookCreate], request: Request[Any, Any, Any],
                     webhooks: NamedDependency[WebhookService]) -> WebhookWithSecret:
        return await webhooks.create(tenant_of(request), data)

    @get("/", operation_id="listWebhooksV1", guards=READ, summary="Your webhooks")
    async def list_webhooks(self, request: Request[Any, Any, Any],
                            webhooks: NamedDependency[WebhookService]) -> WebhookList:
        return await webhooks.list(tenant_of(request))

    @get("/{webhook_id:str}", operation_id="getWebhookV1", guards=READ, summary="A webhook")
    async def read(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                   webhooks: NamedDependency[WebhookService]) -> Webhook:
        return await webhooks.get(tenant_of(request), webhook_id)

    @delete("/{webhook_id:str}", operation_id="deleteWebhookV1", guards=WRITE, status_code=204,
            summary="Remove a webhook (nothing more is delivered to it)")
    async def remove(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                     webhooks: NamedDependency[WebhookService]) -> None:
        await webhooks.remove(tenant_of(request), webhook_id)

    @get("/{webhook_id:str}/deliveries", operation_id="listWebhookDeliveriesV1", guards=READ,
         summary="The webhook's delivery log: every event sent, each attempt and its answer, newest first")
    async def deliveries(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                         webhooks: NamedDependency[WebhookService], limit: FromQuery[Limit] = 20,
                         cursor: FromQuery[Cursor] = None) -> DeliveryPageV1:
        return await webhooks.deliveries(tenant_of(request), webhook_id, limit, cursor)

    @get("/{webhook_id:str}/deliveries/{delivery_id:str}", operation_id="getWebhookDeliveryV1", guards=READ,
         summary="One delivery and its attempts")
    async def delivery(self, webhook_id: WebhookId, delivery_id: DeliveryId, request: Request[Any, Any, Any],
                       webhooks: NamedDependency[WebhookService]) -> WebhookDelivery:
        return await webhooks.delivery(tenant_of(request), webhook_id, delivery_id)

    @post("/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver", operation_id="redeliverWebhookV1",
          guards=WRITE, status_code=202, summary="Send a delivery again now (same event id, fresh signature)")
    async def redeliver(self, webhook_id: WebhookId, delivery_id: DeliveryId, request: Request[Any, Any, Any],
                        webhooks: NamedDependency[WebhookService]) -> WebhookDelivery:
        return await webhooks.redeliver(tenant_of(request), webhook_id, delivery_id)

    @post("/{webhook_id:str}/ping", operation_id="pingWebhookV1", guards=WRITE, status_code=202,
          summary="Send a `webhook.ping` event to this webhook (to test the receiver and its signature check)")
    async def ping(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                   webhooks: NamedDependency[WebhookService]) -> WebhookDelivery:
        return await webhooks.ping(tenant_of(request), webhook_id)


V1_CONTROLLERS = [OrderControllerV1, UsageControllerV1, CustomerControllerV1, SubscriptionControllerV1,
                  InvoiceControllerV1, CreditNoteControllerV1, WebhookControllerV1]
