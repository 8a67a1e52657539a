"""Routes of the partner API v2: v1's routes with v2's shapes (see ``schemas._v2`` for what changed)."""

from __future__ import annotations

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
    invalid_body,
    tenant_of,
)
from services.experience.partner.api._v1 import WEBHOOK_DOC
from services.experience.partner.deps import DEPENDENCIES
from services.experience.partner.pagination import Cursor, Limit
from services.experience.partner.schemas import (
    CreditNotePageV2,
    CustomerPageV2,
    DeliveryPageV2,
    InvoicePageV2,
    InvoiceV2,
    OrderPageV2,
    OrderSubmissionV2,
    OrderV2,
    SubscriptionPageV2,
    UsageReceipt,
    UsageReport,
    Webhook,
    WebhookCreate,
    WebhookDelivery,
    WebhookList,
    WebhookWithSecret,
    credit_note_v2,
    invoice_v2,
    order_v2,
    subscription_v2,
)
from services.experience.partner.service import PartnerService
from services.experience.partner.webhooks import WebhookService
from services.runtime.app import links_to

__all__ = ["V2_CONTROLLERS"]


class OrderControllerV2(Controller):
    """Orders: each becomes a closed-won deal and is activated in billing, the ERP and revenue."""

    path = "/orders"
    tags = ["orders"]
    dependencies = DEPENDENCIES

    @post("/", operation_id="submitOrderV2", guards=WRITE, status_code=202,
          opt=links_to("getOrderV2", order_id="$response.body#/id"),
          summary="Submit an order (idempotent by id): it becomes a deal and an activation")
    async def submit(self, data: JSONBody[OrderSubmissionV2], request: Request[Any, Any, Any],
                     partner: NamedDependency[PartnerService]) -> OrderV2:
        try:
            submission = data.to_v1()
        except (TypeError, ValueError) as exc:
            raise invalid_body(exc) from None
        return order_v2(await partner.orders.submit(tenant_of(request), request.user.client_id, submission))

    @get("/", operation_id="listOrdersV2", guards=READ, summary="Your orders, newest first")
    async def list_orders(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                          limit: FromQuery[Limit] = 20, cursor: FromQuery[Cursor] = None) -> OrderPageV2:
        page = await partner.orders.page(tenant_of(request), limit, cursor)
        return OrderPageV2(data=[order_v2(o) for o in page.data], has_more=page.next_cursor is not None,
                           next_cursor=page.next_cursor)

    @get("/{order_id:str}", operation_id="getOrderV2", guards=READ, summary="An order and where it stands")
    async def read(self, order_id: OrderId, request: Request[Any, Any, Any],
                   partner: NamedDependency[PartnerService]) -> OrderV2:
        return order_v2(await partner.orders.get(tenant_of(request), order_id))


class UsageControllerV2(Controller):
    path = "/usage"
    tags = ["usage"]
    dependencies = DEPENDENCIES

    @post("/", operation_id="reportUsageV2", guards=WRITE, status_code=202,
          summary="Report usage records (each record id counts once, however often it is sent)")
    async def report(self, data: JSONBody[UsageReport], request: Request[Any, Any, Any],
                     partner: NamedDependency[PartnerService]) -> UsageReceipt:
        return await partner.usage.report(tenant_of(request), data)


class CustomerControllerV2(Controller):
    path = "/customers"
    tags = ["customers"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listCustomersV2", guards=READ, summary="Your customers, newest first")
    async def list_customers(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                             limit: FromQuery[Limit] = 20, cursor: FromQuery[Cursor] = None) -> CustomerPageV2:
        page = await partner.documents.customers(tenant_of(request), limit, cursor)
        return CustomerPageV2(data=page.data, has_more=page.next_cursor is not None, next_cursor=page.next_cursor)


class SubscriptionControllerV2(Controller):
    path = "/subscriptions"
    tags = ["subscriptions"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listSubscriptionsV2", guards=READ, summary="The subscriptions your orders became")
    async def list_subscriptions(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                                 order_id: FromQuery[OrderFilter] = None, limit: FromQuery[Limit] = 20,
                                 cursor: FromQuery[Cursor] = None) -> SubscriptionPageV2:
        page = await partner.documents.subscriptions(tenant_of(request), order_id, limit, cursor)
        return SubscriptionPageV2(data=[subscription_v2(s) for s in page.data], has_more=page.next_cursor is not None,
                                  next_cursor=page.next_cursor)


class InvoiceControllerV2(Controller):
    path = "/invoices"
    tags = ["invoices"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listInvoicesV2", guards=READ, summary="Invoices of your orders, newest first")
    async def list_invoices(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                            order_id: FromQuery[OrderFilter] = None, limit: FromQuery[Limit] = 20,
                            cursor: FromQuery[Cursor] = None) -> InvoicePageV2:
        page = await partner.documents.invoices(tenant_of(request), order_id, limit, cursor)
        return InvoicePageV2(data=[invoice_v2(i) for i in page.data], has_more=page.next_cursor is not None,
                             next_cursor=page.next_cursor)

    @get("/{invoice_id:str}", operation_id="getInvoiceV2", guards=READ, summary="One of your invoices")
    async def read(self, invoice_id: InvoiceId, request: Request[Any, Any, Any],
                   partner: NamedDependency[PartnerService]) -> InvoiceV2:
        return invoice_v2(await partner.documents.invoice(tenant_of(request), invoice_id))


class CreditNoteControllerV2(Controller):
    path = "/credit-notes"
    tags = ["credit notes"]
    dependencies = DEPENDENCIES

    @get("/", operation_id="listCreditNotesV2", guards=READ, summary="Credit notes on your invoices, newest first")
    async def list_credit_notes(self, request: Request[Any, Any, Any], partner: NamedDependency[PartnerService],
                                order_id: FromQuery[OrderFilter] = None, limit: FromQuery[Limit] = 20,
                                cursor: FromQuery[Cursor] = None) -> CreditNotePageV2:
        page = await partner.documents.credit_notes(tenant_of(request), order_id, limit, cursor)
        return CreditNotePageV2(data=[credit_note_v2(n) for n in page.data], has_more=page.next_cursor is not None,
                                next_cursor=page.next_cursor)


class WebhookControllerV2(Controller):
    """Webhooks: signed deliveries of what happens to your orders."""

    path = "/webhooks"
    tags = ["webhooks"]
    dependencies = DEPENDENCIES

    @post("/", operation_id="createWebhookV2", guards=WRITE, status_code=201,
          summary="Register a webhook (the answer carries its signing secret, shown once)", description=WEBHOOK_DOC)
    async def create(self, data: JSONBody[WebhookCreate], request: Request[Any, Any, Any],
                     webhooks: NamedDependency[WebhookService]) -> WebhookWithSecret:
        return await webhooks.create(tenant_of(request), data)

    @get("/", operation_id="listWebhooksV2", guards=READ, summary="Your webhooks")
    async def list_webhooks(self, request: Request[Any, Any, Any],
                            webhooks: NamedDependency[WebhookService]) -> WebhookList:
        return await webhooks.list(tenant_of(request))

    @get("/{webhook_id:str}", operation_id="getWebhookV2", guards=READ, summary="A webhook")
    async def read(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                   webhooks: NamedDependency[WebhookService]) -> Webhook:
        return await webhooks.get(tenant_of(request), webhook_id)

    @delete("/{webhook_id:str}", operation_id="deleteWebhookV2", guards=WRITE, status_code=204,
            summary="Remove a webhook (nothing more is delivered to it)")
    async def remove(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                     webhooks: NamedDependency[WebhookService]) -> None:
        await webhooks.remove(tenant_of(request), webhook_id)

    @get("/{webhook_id:str}/deliveries", operation_id="listWebhookDeliveriesV2", guards=READ,
         summary="The webhook's delivery log: every event sent, each attempt and its answer, newest first")
    async def deliveries(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                         webhooks: NamedDependency[WebhookService], limit: FromQuery[Limit] = 20,
                         cursor: FromQuery[Cursor] = None) -> DeliveryPageV2:
        page = await webhooks.deliveries(tenant_of(request), webhook_id, limit, cursor)
        return DeliveryPageV2(data=page.data, has_more=page.next_cursor is not None, next_cursor=page.next_cursor)

    @get("/{webhook_id:str}/deliveries/{delivery_id:str}", operation_id="getWebhookDeliveryV2", guards=READ,
         summary="One delivery and its attempts")
    async def delivery(self, webhook_id: WebhookId, delivery_id: DeliveryId, request: Request[Any, Any, Any],
                       webhooks: NamedDependency[WebhookService]) -> WebhookDelivery:
        return await webhooks.delivery(tenant_of(request), webhook_id, delivery_id)

    @post("/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver", operation_id="redeliverWebhookV2",
          guards=WRITE, status_code=202, summary="Send a delivery again now (same event id, fresh signature)")
    async def redeliver(self, webhook_id: WebhookId, delivery_id: DeliveryId, request: Request[Any, Any, Any],
                        webhooks: NamedDependency[WebhookService]) -> WebhookDelivery:
        return await webhooks.redeliver(tenant_of(request), webhook_id, delivery_id)

    @post("/{webhook_id:str}/ping", operation_id="pingWebhookV2", guards=WRITE, status_code=202,
          summary="Send a `webhook.ping` event to this webhook (to test the receiver and its signature check)")
    async def ping(self, webhook_id: WebhookId, request: Request[Any, Any, Any],
                   webhooks: NamedDependency[WebhookService]) -> WebhookDelivery:
        return await webhooks.ping(tenant_of(request), webhook_id)


V2_CONTROLLERS = [OrderControllerV2, UsageControllerV2, CustomerControllerV2, SubscriptionControllerV2,
                  InvoiceControllerV2, CreditNoteControllerV2, WebhookControllerV2]
