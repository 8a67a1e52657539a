"""Webhooks, their deliveries and the delivery schedule, in Redis.

Keys of a tenant share its slot (``{partner:<tenant>}``):

- ``…:webhooks``                         hash   webhook id -> ``WebhookRecord`` (secret included)
- ``…:webhook:<id>:deliveries``          zset   the webhook's delivery log (score: created, ms)
- ``…:delivery:<id>``                    string ``DeliveryRecord`` (status, counters, schedule)
- ``…:delivery:<id>:attempts``           list   ``DeliveryAttempt`` per attempt, oldest first
- ``…:delivery:<id>:payload``            string the exact bytes every attempt sends

The schedule is one shared sorted set, ``…partner:webhooks:due`` (member ``<tenant>␟<delivery id>``,
score: when it is due, ms). A replica claims a due delivery by moving its score to the end of a lease in one
script, so two replicas never attempt it at once and a replica that dies mid-attempt only delays it. A
finished attempt moves the score on (retry) or removes it (done) only if the score is still its lease: a
redelivery asked for meanwhile keeps its own, earlier, score.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
from redis.asyncio import Redis

from services.experience.partner.schemas import DeliveryAttempt, DeliveryStatus, WebhookDelivery
from services.runtime.redis import KeySpace
from services.runtime.settings import SecretsHidden

__all__ = ["DeliveryRecord", "OutboundEvent", "WebhookRecord", "WebhookStore"]

_SEP = "\x1f"
_CLAIM = """
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""
_SETTLE = """
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1
"""


class WebhookRecord(SecretsHidden, frozen=True, kw_only=True):
    """A partner's webhook subscription as stored; its signing secret never shows in a repr or a log line."""

    secret_fields = frozenset({"secret"})

    id: str
    tenant: str
    url: str
    events: list[str]
    secret: str
    created_at: datetime
    description: str | None = None

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class DeliveryRecord(msgspec.Struct, kw_only=True):
    id: str
    tenant: str
    webhook_id: str
    event_id: str
    event_type: str
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    """Attempts so far, redeliveries included."""
    round_attempts: int = 0
    """Attempts since the delivery was created or last redelivered (what the retry budget counts)."""
    next_attempt_at: datetime | None = None
    redeliveries: int = 0
    redelivering: bool = False


class OutboundEvent(msgspec.Struct, frozen=True, kw_only=True):
    """What a webhook receives (the request body): ``{"id", "type", "created_at", "data"}``."""

    id: str
    type: str
    created_at: datetime
    data: dict[str, object]


_webhook = msgspec.msgpack.Decoder(WebhookRecord)
_delivery = msgspec.msgpack.Decoder(DeliveryRecord)
_attempt = msgspec.msgpack.Decoder(DeliveryAttempt)
_encode = msgspec.msgpack.encode


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class WebhookStore:
    """Webhook registrations, deliveries with their logs, and the shared schedule."""

    def __init__(self, redis: Redis, keyspace: KeySpace, *, retention_days: int = 30) -> None:
        self.redis, self.keyspace = redis, keyspace
        self.due_key = keyspace.key("partner", "webhooks", "due")
        self.retention = timedelta(days=retention_days)
        self._claim = redis.register_script(_CLAIM)
        self._settle = redis.register_script(_SETTLE)
        self.on_schedule: Callable[[], None] | None = None
        """Called when a delivery becomes due now (the local dispatcher's wake-up; others poll)."""

    def _key(self, tenant: str, *parts: str) -> str:
        return self.keyspace.tagged(f"partner:{tenant}", *parts)

    # -- webhooks ------------------------------------------------------------------------------------------------

    async def add_webhook(self, tenant: str, url: str, events: list[str], description: str | None,
                          secret: str) -> WebhookRecord:
        record = WebhookRecord(id="whk_" + secrets.token_hex(12), tenant=tenant, url=url, events=events,
                               secret=secret, created_at=datetime.now(UTC), description=description)
        await self.redis.hset(self._key(tenant, "webhooks"), record.id, _encode(record))
        return record

    async def webhook(self, tenant: str, webhook_id: str) -> WebhookRecord | None:
        raw = await self.redis.hget(self._key(tenant, "webhooks"), webhook_id)
        return None if raw is None else _webhook.decode(raw)

    async def webhooks(self, tenant: str) -> list[WebhookRecord]:
        rows = [_webhook.decode(raw) for raw in await self.redis.hvals(self._key(tenant, "webhooks"))]
        return sorted(rows, key=lambda r: (r.created_at, r.id))

    async def count_webhooks(self, tenant: str) -> int:
        return int(await self.redis.hlen(self._key(tenant, "webhooks")))

    async def remove_webhook(self, tenant: str, webhook_id: str) -> bool:
        """Unregister; deliveries still scheduled are dropped when they come due."""
        return bool(await self.redis.hdel(self._key(tenant, "webhooks"), webhook_id))

    # -- deliveries ----------------------------------------------------------------------------------------------

    async def enqueue(self, hook: WebhookRecord, event: OutboundEvent) -> DeliveryRecord:
        """Schedule ``event`` for ``hook`` now, once: the delivery id is derived from both ids.

        Safe to repeat (events arrive at least once): a delivery that exists is left as it is, except that one
        never attempted is scheduled again, in case the first call stopped half-way.
        """
        delivery_id = "dlv_" + hashlib.sha256(f"{event.id}|{hook.id}".encode()).hexdigest()[:24]
        now = datetime.now(UTC)
        record = DeliveryRecord(id=delivery_id, tenant=hook.tenant, webhook_id=hook.id, event_id=event.id,
                                event_type=event.type, created_at=now, next_attempt_at=now)
        ttl = int(self.retention.total_seconds())
        head = self._key(hook.tenant, "delivery", delivery_id)
        if not await self.redis.set(head, _encode(record), nx=True, ex=ttl):
            existing = await self.delivery(hook.tenant, delivery_id)
            if existing is None or existing.attempts or existing.status is not DeliveryStatus.PENDING:
                return existing or record
            record = existing
        log = self._key(hook.tenant, "webhook", hook.id, "deliveries")
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(f"{head}:payload", msgspec.json.encode(event), nx=True, ex=ttl)
            pipe.zadd(log, {delivery_id: _ms(record.created_at)}, nx=True)
            pipe.zremrangebyscore(log, "-inf", _ms(now - self.retention))
            pipe.expire(log, ttl)
            pipe.zadd(self.due_key, {f"{hook.tenant}{_SEP}{delivery_id}": _ms(now)}, nx=True)
            await pipe.execute()
        self._scheduled()
        return record

    async def delivery(self, tenant: str, delivery_id: str) -> DeliveryRecord | None:
        raw = await self.redis.get(self._key(tenant, "delivery", delivery_id))
        return None if raw is None else _delivery.decode(raw)

    async def payload(self, tenant: str, delivery_id: str) -> bytes | None:
        raw = await self.redis.get(self._key(tenant, "delivery", delivery_id, "payload"))
        return None if raw is None else bytes(raw)

    async def deliveries(self, tenant: str, webhook_id: str) -> list[DeliveryRecord]:
        """The webhook's delivery log (heads only)."""
        ids = await self.redis.zrange(self._key(tenant, "webhook", webhook_id, "deliveries"), 0, -1)
        if not ids:
            return []
        raws = await self.redis.mget([self._key(tenant, "delivery", i.decode()) for i in ids])
        return [_delivery.decode(raw) for raw in raws if raw is not None]

    async def view(self, record: DeliveryRecord) -> WebhookDelivery:
        """The delivery with its attempts, as the API shows it."""
        rows = await self.redis.lrange(self._key(record.tenant, "delivery", record.id, "attempts"), 0, -1)
        return WebhookDelivery(id=record.id, webhook_id=record.webhook_id, event_id=record.event_id,
                               event_type=record.event_type, status=record.status, created_at=record.created_at,
                               next_attempt_at=record.next_attempt_at, redeliveries=record.redeliveries,
                               attempts=[_attempt.decode(raw) for raw in rows])

    async def redeliver(self, record: DeliveryRecord) -> DeliveryRecord:
        """Send the delivery again now, with a fresh retry budget (the event id stays the same)."""
        now = datetime.now(UTC)
        record.status, record.round_attempts, record.next_attempt_at = DeliveryStatus.PENDING, 0, now
        record.redeliveries += 1
        record.redelivering = True
        await self._save(record)
        await self.redis.zadd(self.due_key, {f"{record.tenant}{_SEP}{record.id}": _ms(now)})
        self._scheduled()
        return record

    # -- the schedule --------------------------------------------------------------------------------------------

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[tuple[str, str, int]]:
        """Deliveries due by ``now`` that this replica now holds: ``(tenant, delivery id, lease score)``."""
        members = await self.redis.zrangebyscore(self.due_key, "-inf", _ms(now), start=0, num=limit)
        claimed = []
        for raw in members:
            member = raw.decode()
            score = _ms(now + lease) + secrets.randbelow(1000)
            if await self._claim(keys=[self.due_key], args=[member, _ms(now), score]):
                tenant, _, delivery_id = member.partition(_SEP)
                claimed.append((tenant, delivery_id, score))
        return claimed

    async def settle(self, record: DeliveryRecord, lease_score: int, attempt: DeliveryAttempt | None) -> bool:
        """Log an attempt and store the delivery's new state and schedule, unless a redelivery overtook it.

        Returns whether the new state was stored (``False``: a redelivery was asked for meanwhile; the
        attempt is logged and the redelivery goes ahead).
        """
        member = f"{record.tenant}{_SEP}{record.id}"
        if attempt is not None:
            key = self._key(record.tenant, "delivery", record.id, "attempts")
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.rpush(key, _encode(attempt))
                pipe.expire(key, int(self.retention.total_seconds()))
                await pipe.execute()
        following = "" if record.next_attempt_at is None else str(_ms(record.next_attempt_at))
        if not await self._settle(keys=[self.due_key], args=[member, lease_score, following]):
            current = await self.delivery(record.tenant, record.id)
            if current is not None and attempt is not None:
                current.attempts = max(current.attempts, record.attempts)
                await self._save(current)
            return False
        await self._save(record)
        return True

    async def drop(self, tenant: str, delivery_id: str, lease_score: int) -> None:
        """Unschedule a delivery that can no longer be attempted (its webhook or payload is gone)."""
        await self._settle(keys=[self.due_key], args=[f"{tenant}{_SEP}{delivery_id}", lease_score, ""])

    def _scheduled(self) -> None:
        if self.on_schedule is not None:
            self.on_schedule()

    async def _save(self, record: DeliveryRecord) -> None:
        await self.redis.set(self._key(record.tenant, "delivery", record.id), _encode(record),
                             ex=int(self.retention.total_seconds()))
