"""What the webhook routes do: register, list, remove, read the delivery log, redeliver, ping."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from contracts.problems import FieldError
from services.experience.partner.pagination import paginate
from services.experience.partner.schemas import (
    DeliveryPageV1,
    Webhook,
    WebhookCreate,
    WebhookDelivery,
    WebhookList,
    WebhookWithSecret,
)
from services.experience.partner.webhooks._signing import new_secret
from services.experience.partner.webhooks._store import DeliveryRecord, OutboundEvent, WebhookRecord, WebhookStore
from services.runtime.problems import ServiceError

__all__ = ["WebhookService", "check_url"]

PING = "webhook.ping"


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse URLs a webhook must not point at.

    That is other schemes, credentials in the URL, and (unless allowed) hosts on loopback, private or
    link-local networks, where a delivery could reach revflow's own infrastructure.

    Raises:
        ServiceError: a 422 naming ``url``.
    """
    reason = None
    try:
        parts = urlsplit(url)
        _ = parts.port, httpx.URL(url)  # both refuse what they cannot parse (a bad port, a broken IPv6 host)
    except (ValueError, httpx.InvalidURL):
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        reason = "must be an absolute http(s) URL"
    elif parts.username is not None or parts.password is not None:
        reason = "must not carry credentials; deliveries are authenticated by their signature"
    elif not allow_private and _private(parts.hostname):
        reason = "must not point at a loopback, private or link-local address"
    if reason:
        raise ServiceError(f"The webhook URL {reason}.", slug="business-rule", code="webhook_url_refused",
                           errors=[FieldError(field="url", source="body", message=reason)])


def _private(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith((".localhost", ".internal", ".local")):
        return True
    try:
        return not ipaddress.ip_address(name).is_global
    except ValueError:
        return False  # a DNS name: resolved by the receiver's DNS at delivery time


def _view(record: WebhookRecord) -> Webhook:
    return Webhook(id=record.id, url=record.url, events=record.events, description=record.description,  # type: ignore[arg-type]
                   created_at=record.created_at)


class WebhookService:
    """The tenant's webhooks; every lookup is by the caller's tenant, so another tenant's ids are not found."""

    def __init__(self, store: WebhookStore, *, allow_private: bool, max_per_tenant: int) -> None:
        self.store, self.allow_private, self.max_per_tenant = store, allow_private, max_per_tenant

    async def create(self, tenant: str, data: WebhookCreate) -> WebhookWithSecret:
        check_url(data.url, allow_private=self.allow_private)
        if await self.store.count_webhooks(tenant) >= self.max_per_tenant:
            raise ServiceError(f"A tenant may register at most {self.max_per_tenant} webhooks; remove one first.",
                               slug="business-rule", code="webhook_limit")
        events = list(dict.fromkeys(e.value for e in data.events))
        record = await self.store.add_webhook(tenant, data.url, events, data.description, new_secret())
        return WebhookWithSecret(**{f: getattr(_view(record), f) for f in Webhook.__struct_fields__},
                                 secret=record.secret)

    async def list(self, tenant: str) -> WebhookList:
        return WebhookList(data=[_view(r) for r in await self.store.webhooks(tenant)])

    async def get(self, tenant: str, webhook_id: str) -> Webhook:
        return _view(await self._hook(tenant, webhook_id))

    async def remove(self, tenant: str, webhook_id: str) -> None:
        if not await self.store.remove_webhook(tenant, webhook_id):
            raise ServiceError(f"No webhook {webhook_id}.", slug="not-found")

    async def deliveries(self, tenant: str, webhook_id: str, limit: int, cursor: str | None) -> DeliveryPageV1:
        await self._hook(tenant, webhook_id)
        rows = await self.store.deliveries(tenant, webhook_id)
        page, next_cursor = paginate(rows, lambda d: (d.created_at.isoformat(), d.id), limit, cursor)
        return DeliveryPageV1(data=[await self.store.view(d) for d in page], next_cursor=next_cursor)

    async def delivery(self, tenant: str, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        return await self.store.view(await self._delivery(tenant, webhook_id, delivery_id))

    async def redeliver(self, tenant: str, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        record = await self._delivery(tenant, webhook_id, delivery_id)
        return await self.store.view(await self.store.redeliver(record))

    async def ping(self, tenant: str, webhook_id: str) -> WebhookDelivery:
        """Send a ``webhook.ping`` event to this webhook only (to check the receiver and its signature check)."""
        hook = await self._hook(tenant, webhook_id)
        event = OutboundEvent(id="evt_" + secrets.token_hex(12), type=PING, created_at=datetime.now(UTC),
                              data={"webhook_id": hook.id})
        return await self.store.view(await self.store.enqueue(hook, event))

    async def _hook(self, tenant: str, webhook_id: str) -> WebhookRecord:
        hook = await self.store.webhook(tenant, webhook_id)
        if hook is None:
            raise ServiceError(f"No webhook {webhook_id}.", slug="not-found")
        return hook

    async def _delivery(self, tenant: str, webhook_id: str, delivery_id: str) -> DeliveryRecord:
        await self._hook(tenant, webhook_id)
        record = await self.store.delivery(tenant, delivery_id)
        if record is None or record.webhook_id != webhook_id:
            raise ServiceError(f"No delivery {delivery_id} of webhook {webhook_id}.", slug="not-found")
        return record
