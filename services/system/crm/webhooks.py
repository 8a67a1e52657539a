"""Push notifications: Salesforce Outbound Messages and HubSpot webhooks, feeding the exactly-once publisher.

Both routes are excluded from JWT auth (the vendor cannot present our tokens); the connector checks the
vendor's own proof instead (Salesforce: the ``OrganizationId``; HubSpot: ``X-HubSpot-Signature-v3`` with the
app secret, five-minute tolerance). Each notification is deduplicated on the vendor's notification / event
id, then the opportunity is read back and, when it is closed (won, renewed, amended or lost), handed to the
publisher, whose own dedupe (opportunity id + outcome + close version) makes push and pull announce a close
exactly once together.

Salesforce expects the SOAP ``notificationsResponse`` with ``<Ack>true</Ack>``; anything else makes it
retry. HubSpot expects any 2xx.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from redis.asyncio import Redis

from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.problems import ServiceError
from services.runtime.redis import KeySpace
from services.system.crm.ports import CrmConnector
from services.system.crm.publisher import ClosedDealPublisher
from services.system.crm.schemas import WebhookAckV1

__all__ = ["SOAP_ACK", "WebhookController", "WebhookReceiver"]

_PROCESSING_TTL_S = 60
_DONE_TTL_S = 30 * 86_400  # longer than any vendor's redelivery window (Salesforce retries for 24 h)
SOAP_ACK = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
            b'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack>'
            b"</notificationsResponse></soapenv:Body></soapenv:Envelope>")


class WebhookReceiver:
    """Verify, deduplicate and hand on one CRM's push notifications."""

    def __init__(self, connector: CrmConnector, redis: Redis, keyspace: KeySpace,
                 publisher: ClosedDealPublisher) -> None:
        self.connector, self.redis, self.keyspace, self.publisher = connector, redis, keyspace, publisher

    async def receive(self, headers: Any, body: bytes, url: str) -> WebhookAckV1:
        """Handle one delivery (``WebhookRejected`` when it is not authentic)."""
        notifications = await self.connector.verify_notifications(headers, body, url)
        duplicates = published = 0
        for note in notifications:
            marker = self.keyspace.key("crm", "notification", self.connector.name, note.id)
            if not await self.redis.set(marker, b"processing", nx=True, ex=_PROCESSING_TTL_S):
                if await self.redis.get(marker) == b"done":
                    duplicates += 1
                    continue
                raise ServiceError(f"Notification {note.id} is being processed by another delivery.",
                                   slug="conflict", retryable=True, owner="integration", headers={"Retry-After": "5"})
            try:
                if note.closed is not False:
                    published += await self.publisher.publish_closed(note.opportunity_id)
            except BaseException:
                await self.redis.delete(marker)
                raise
            await self.redis.set(marker, b"done", ex=_DONE_TTL_S)
        return WebhookAckV1(received=len(notifications), duplicates=duplicates, published=published)


class WebhookController(Controller):
    """Push endpoints, one per CRM; only the configured CRM's answers."""

    path = "/webhooks"
    tags = ["webhooks"]

    @post("/salesforce", operation_id="receiveSalesforceOutboundMessageV1", status_code=200, security=[],
          opt={"exclude_from_auth": True, IDEMPOTENCY_OPT: "off"}, media_type="text/xml",
          summary="Salesforce Outbound Messages (SOAP; authenticated by the organization id, not by a token)")
    async def salesforce(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        await _receive(request, "salesforce")
        return Response(SOAP_ACK, media_type="text/xml; charset=utf-8")

    @post("/hubspot", operation_id="receiveHubSpotWebhookV1", status_code=200, security=[],
          opt={"exclude_from_auth": True, IDEMPOTENCY_OPT: "off"},
          summary="HubSpot webhook deliveries (authenticated by X-HubSpot-Signature-v3, not by a token)")
    async def hubspot(self, request: Request[Any, Any, Any]) -> WebhookAckV1:
        return await _receive(request, "hubspot")


async def _receive(request: Request[Any, Any, Any], vendor: str) -> WebhookAckV1:
    receiver: WebhookReceiver = request.app.state.webhooks
    if receiver.connector.name != vendor:
        raise ServiceError(f"This deployment's CRM is {receiver.connector.name}, not {vendor}.", slug="not-found")
    return await receiver.receive(request.headers, await request.body(), str(request.url))
