"""Subscriptions: create, read, amend, renew, cancel (writes require ``Idempotency-Key``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter

from contracts.billing import Subscription
from services.runtime.app import links_to
from services.runtime.auth.guards import requires
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.system.billing.api import _examples
from services.system.billing.api._common import CUSTOMER_QUERY, SERVICE, DocumentId, body, caller_of
from services.system.billing.schemas import (
    AmendmentResultV1,
    AmendmentV1,
    CancellationV1,
    RenewalV1,
    SubscriptionCreateV1,
    SubscriptionListV1,
)
from services.system.billing.service import BillingService

__all__ = ["SubscriptionController"]

SubscriptionId = FromPath[DocumentId]
_OPPORTUNITY = Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$", max_length=255,
                         description="Only the subscriptions created for this CRM opportunity (deal) id")
_LIST = (
    "Every subscription of the customer in any status, canceled included, newest first. With `opportunity`, only "
    "those created for that deal: this is how a caller whose create timed out finds whether the vendor made the "
    "subscription anyway, without creating one."
)
_KEYED = {IDEMPOTENCY_OPT: "required"}
_CHANGES = ("amendSubscriptionV1", "cancelSubscriptionV1")
_ID = "$response.body#/id"
_CREATE = (
    "Recurring and usage items become the subscription's `items`. A `one_time` item (a setup fee) is billed once, "
    "on the subscription's first invoice, next to the first period of the recurring items: that invoice "
    "(`GET /v1/invoices?subscription={id}`) has a line with the item's `product_sku`, `quantity` and `amount` "
    "(`quantity` x `unit_amount`), and no later invoice bills it again. One-time items are not recurring, so "
    "they are not among the returned subscription's `items`. At least one item must be recurring or usage. "
    "A `start_date` after today defers billing to that day: the subscription is `trialing` until then, its "
    "recurring items are first billed that day (a full period, anchoring the billing cycle), and its one-time "
    "items are billed at creation. A `start_date` of today or earlier bills from creation."
)


class SubscriptionController(Controller):
    """Recurring billing arrangements."""

    path = "/subscriptions"
    tags = ["subscriptions"]
    dependencies = SERVICE

    @post("/", operation_id="createSubscriptionV1", guards=[requires("billing:write")],
          opt={**_KEYED, **links_to("getSubscriptionV1", *_CHANGES, subscription_id=_ID)},
          summary="Create a subscription (requires Idempotency-Key)", description=_CREATE)
    async def create(self, data: Annotated[SubscriptionCreateV1, body("New subscription", _examples.SUBSCRIPTION)],
                     service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> Subscription:
        return await service.create_subscription(data, caller_of(request))

    @get("/", operation_id="listSubscriptionsV1", guards=[requires("billing:read")],
         summary="Every subscription of a customer (all vendor pages), newest first", description=_LIST)
    async def list_subscriptions(self, service: NamedDependency[BillingService],
                                 customer: FromQuery[Annotated[str, CUSTOMER_QUERY]],
                                 opportunity: FromQuery[Annotated[str | None, _OPPORTUNITY]] = None,
                                 ) -> SubscriptionListV1:
        return SubscriptionListV1(data=await service.list_subscriptions(customer, opportunity))

    @get("/{subscription_id:str}", operation_id="getSubscriptionV1", guards=[requires("billing:read")],
         opt=links_to(*_CHANGES, subscription_id=_ID),
         summary="A subscription")
    async def read(self, subscription_id: SubscriptionId, service: NamedDependency[BillingService]) -> Subscription:
        return await service.get_subscription(subscription_id)

    @post("/{subscription_id:str}/amendments", operation_id="amendSubscriptionV1", guards=[requires("billing:write")],
          opt=_KEYED, status_code=200, summary="Change quantities or prices mid-term with an explicit proration")
    async def amend(self, subscription_id: SubscriptionId,
                    data: Annotated[AmendmentV1, body("Amendment", _examples.AMENDMENT)],
                    service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> AmendmentResultV1:
        return await service.amend_subscription(subscription_id, data, caller_of(request))

    @post("/{subscription_id:str}/renewals", operation_id="renewSubscriptionV1", guards=[requires("billing:write")],
          opt=_KEYED, status_code=200, summary="Renew for another term (lifts a scheduled cancellation)")
    async def renew(self, subscription_id: SubscriptionId,
                    data: Annotated[RenewalV1, body("Renewal", _examples.RENEWAL)],
                    service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> Subscription:
        return await service.renew_subscription(subscription_id, data, caller_of(request))

    @post("/{subscription_id:str}/cancellations", operation_id="cancelSubscriptionV1",
          guards=[requires("billing:write")], opt=_KEYED, status_code=200,
          summary="Cancel now or at the end of the term")
    async def cancel(self, subscription_id: SubscriptionId,
                     data: Annotated[CancellationV1, body("Cancellation", _examples.CANCELLATION)],
                     service: NamedDependency[BillingService], request: Request[Any, Any, Any]) -> Subscription:
        return await service.cancel_subscription(subscription_id, data, caller_of(request))
