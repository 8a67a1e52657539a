"""Domain logic of the example service: accounts kept in Redis, each write audited and announced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from redis.asyncio import Redis
from redis.exceptions import WatchError

from contracts.events import new_event
from services.example.schemas import AccountCreate, AccountPage, AccountPatch, AccountView
from services.runtime.audit import AuditLog
from services.runtime.correlation import current_correlation_id
from services.runtime.events import EventBus
from services.runtime.problems import ServiceError
from services.runtime.redis import KeySpace

__all__ = ["AccountNotFound", "AccountService"]

SOURCE = "/services/example"
_MAX_WRITE_TRIES = 20


class AccountNotFound(ServiceError):
    slug = "not-found"


class AccountService:
    """Create, read, change and list accounts."""

    def __init__(self, redis: Redis, keyspace: KeySpace, bus: EventBus, audit: AuditLog) -> None:
        self.redis = redis
        self.keys = keyspace
        self.bus = bus
        self.audit = audit

    def _key(self, account_id: str) -> str:
        return self.keys.key("example", "account", account_id)

    async def create(self, data: AccountCreate, actor: str) -> AccountView:
        now = datetime.now(UTC)
        account = AccountView(id=f"acct_{uuid.uuid4().hex[:20]}", name=data.name, email=data.email,
                              currency=data.currency, credit_limit_minor=data.credit_limit_minor,
                              created_at=now, updated_at=now, version=1)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(account.id), msgspec.json.encode(account))
            pipe.zadd(self.keys.key("example", "accounts"), {account.id: now.timestamp()})
            await pipe.execute()
        await self._record(actor, "account.created", None, account)
        return account

    async def get(self, account_id: str) -> AccountView:
        raw = await self.redis.get(self._key(account_id))
        if raw is None:
            raise AccountNotFound(f"No account {account_id!r}")
        return msgspec.json.decode(raw, type=AccountView)

    async def update(self, account_id: str, patch: AccountPatch, actor: str) -> AccountView:
        """Apply ``patch`` atomically: a concurrent change makes this one re-read and re-apply, never lose it."""
        changes = {f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not None}
        key = self._key(account_id)
        for _ in range(_MAX_WRITE_TRIES):
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.watch(key)
                raw = await pipe.get(key)
                if raw is None:
                    raise AccountNotFound(f"No account {account_id!r}")
                before = msgspec.json.decode(raw, type=AccountView)
                after = msgspec.structs.replace(before, **changes, updated_at=datetime.now(UTC),
                                                version=before.version + 1)
                pipe.multi()
                pipe.set(key, msgspec.json.encode(after))
                try:
                    await pipe.execute()
                except WatchError:
                    continue
            await self._record(actor, "account.updated", before, after)
            return after
        raise ServiceError(f"Account {account_id!r} is changing too often; retry", slug="conflict", retryable=True)

    async def list(self, limit: int, cursor: str | None) -> AccountPage:
        start = int(cursor) if cursor else 0
        ids = await self.redis.zrange(self.keys.key("example", "accounts"), start, start + limit)
        more = len(ids) > limit
        raws = await self.redis.mget([self._key(i.decode()) for i in ids[:limit]]) if ids else []
        data = [msgspec.json.decode(r, type=AccountView) for r in raws if r is not None]
        return AccountPage(data=data, next_cursor=str(start + limit) if more else None)

    async def _record(self, actor: str, action: str, before: AccountView | None, after: AccountView) -> None:
        await self.audit.append(actor=actor, action=action, subject=after.id,
                                before=msgspec.to_builtins(before), after=msgspec.to_builtins(after),
                                correlation_id=current_correlation_id())
        event_type = f"revflow.example.account.{action.split('.')[1]}.v1"
        await self.bus.publish(new_event(type=event_type, source=SOURCE, subject=after.id,
                                         data=msgspec.to_builtins(after)))
