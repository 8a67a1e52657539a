"""Inbound billing webhooks: authenticated by the vendor's signature, deduplicated, republished as CloudEvents.

The route is excluded from JWT auth (the vendor cannot present our tokens); the connector verifies the
vendor's own proof instead (Stripe: ``Stripe-Signature`` HMAC, 300 s tolerance, several ``v1`` values).
Deduplication is by the vendor's event id in Redis: a marker is taken (``SET NX``, short-lived) while an
event is being published and made long-lived once it is, so a redelivery publishes nothing, a concurrent
duplicate gets 409 (the vendor retries it later), and a failed publish releases the marker so the
vendor's retry publishes it. The CloudEvent id is derived from the vendor event id, so even a publish that
lands twice can be recognised by consumers.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from redis.asyncio import Redis

from contracts.events import build_event
from services.runtime.events import EventBus
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.problems import ServiceError
from services.runtime.redis import KeySpace
from services.system.billing.ports import BillingConnector
from services.system.billing.schemas import WebhookAckV1

__all__ = ["WebhookController", "WebhookReceiver"]

_PROCESSING_TTL_S = 60
_DONE_TTL_S = 30 * 86_400  # longer than any vendor's redelivery window (Stripe: 3 days)


class WebhookReceiver:
    """Verify, deduplicate and republish one vendor's webhook deliveries."""

    def __init__(self, connector: BillingConnector, redis: Redis, keyspace: KeySpace, bus: EventBus) -> None:
        self.connector, self.redis, self.keyspace, self.bus = connector, redis, keyspace, bus

    async def receive(self, headers: Any, body: bytes) -> WebhookAckV1:
        """Handle one delivery (``WebhookRejected`` when it is not authentic)."""
        event = await self.connector.verify_webhook(headers, body)
        marker = self.keyspace.key("billing", "webhook", self.connector.name, event.id)
        if not await self.redis.set(marker, b"processing", nx=True, ex=_PROCESSING_TTL_S):
            if await self.redis.get(marker) == b"done":
                return WebhookAckV1(duplicate=True)
            raise ServiceError(f"Event {event.id} is being processed by another delivery.", slug="conflict",
                               retryable=True, owner="integration", headers={"Retry-After": "5"})
        try:
            published = None
            if event.payload is not None:
                cloud = build_event(event.payload, subject=event.subject or event.id,
                                    id=f"{self.connector.name}:{event.id}")
                await self.bus.publish(cloud)
                published = cloud.type
        except BaseException:
            await self.redis.delete(marker)
            raise
        await self.redis.set(marker, b"done", ex=_DONE_TTL_S)
        return WebhookAckV1(published=published)


class WebhookController(Controller):
    """Webhook endpoints, one per vendor; only the configured vendor's answers."""

    path = "/webhooks"
    tags = ["webhooks"]

    @post("/stripe", operation_id="receiveStripeWebhookV1", status_code=200, security=[],
          opt={"exclude_from_auth": True, IDEMPOTENCY_OPT: "off"},
          summary="Stripe webhook deliveries (authenticated by Stripe-Signature, not by a token)")
    async def stripe(self, request: Request[Any, Any, Any]) -> WebhookAckV1:
        return await _receive(request, "stripe")

    @post("/chargebee", operation_id="receiveChargebeeWebhookV1", status_code=200, security=[],
          opt={"exclude_from_auth": True, IDEMPOTENCY_OPT: "off"},
          summary="Chargebee webhook deliveries (authenticated by HTTP Basic credentials, not by a token)")
    async def chargebee(self, request: Request[Any, Any, Any]) -> WebhookAckV1:
        return await _receive(request, "chargebee")


async def _receive(request: Request[Any, Any, Any], vendor: str) -> WebhookAckV1:
    receiver: WebhookReceiver = request.app.state.webhooks
    if receiver.connector.name != vendor:
        raise ServiceError(f"This deployment bills with {receiver.connector.name}, not {vendor}.", slug="not-found")
    return await receiver.receive(request.headers, await request.body())
