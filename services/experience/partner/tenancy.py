"""The tenant index: which orders, customers, deals and invoices belong to which tenant (Redis).

The partner API submitted every order it knows, so it is the one that can say whose a deal is. Every read of
a partner route goes through the caller's tenant here first: an id that is not in the tenant's index is not
found, whether it belongs to another tenant or to nobody.

Keys (one Cluster slot per tenant, ``{partner:<tenant>}``):

- ``…{partner:T}:orders``                 hash  order id -> ``OrderRecord``
- ``…{partner:T}:customers``              hash  customer id -> ``CustomerRecord``
- ``…{partner:T}:customer:<id>:orders``   set   the customer's order ids
- ``…{partner:T}:deals``                  hash  opportunity id -> order id
- ``…{partner:T}:invoices``               hash  invoice id -> opportunity id (learnt when deals are read)

and two shared ones: ``…partner:deals`` (opportunity id -> tenant and order, for routing the process tier's
events) and ``…partner:orders:pending`` (orders whose deal the CRM has not reported yet).
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from redis.asyncio import Redis

from contracts.deals import DealLine
from contracts.parties import Customer
from services.runtime.redis import KeySpace

__all__ = ["CustomerRecord", "OrderRecord", "TenantIndex"]

_SEP = "\x1f"


class OrderRecord(msgspec.Struct, kw_only=True):
    """An order as the partner submitted it, with what the process tier last said about it."""

    tenant: str
    order_id: str
    customer_id: str
    currency: str
    lines: list[DealLine]
    close_date: date
    fingerprint: str
    """Digest of the submission: the same order id with other content is a conflict."""
    submitted_at: datetime
    updated_at: datetime
    status: str = "submitted"
    opportunity_id: str | None = None
    workflow_id: str | None = None


class CustomerRecord(msgspec.Struct, kw_only=True):
    id: str
    customer: Customer
    created_at: datetime
    updated_at: datetime


_order_decoder = msgspec.msgpack.Decoder(OrderRecord)
_customer_decoder = msgspec.msgpack.Decoder(CustomerRecord)
_encode = msgspec.msgpack.encode


class TenantIndex:
    """Reads and writes of the tenant index; every method but the event-routing ones takes the tenant."""

    def __init__(self, redis: Redis, keyspace: KeySpace) -> None:
        self.redis, self.keyspace = redis, keyspace
        self.deal_owners = keyspace.key("partner", "deals")
        self.pending_key = keyspace.key("partner", "orders", "pending")

    def _key(self, tenant: str, *parts: str) -> str:
        return self.keyspace.tagged(f"partner:{tenant}", *parts)

    # -- orders --------------------------------------------------------------------------------------------------

    async def claim_order(self, record: OrderRecord) -> OrderRecord | None:
        """Store a new order unless its id is taken; the order already stored under it otherwise."""
        key = self._key(record.tenant, "orders")
        if await self.redis.hsetnx(key, record.order_id, _encode(record)):
            return None
        return await self.order(record.tenant, record.order_id)

    async def save_order(self, record: OrderRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(record.tenant, "orders"), record.order_id, _encode(record))
            member = f"{record.tenant}{_SEP}{record.order_id}"
            if record.opportunity_id:
                pipe.hset(self._key(record.tenant, "deals"), record.opportunity_id, record.order_id)
                pipe.hset(self.deal_owners, record.opportunity_id, member)
                pipe.srem(self.pending_key, member)
            else:
                pipe.sadd(self.pending_key, member)
            await pipe.execute()

    async def forget_order(self, tenant: str, order_id: str) -> None:
        """Remove an order the process tier refused (so the partner can correct it and submit again)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._key(tenant, "orders"), order_id)
            pipe.srem(self.pending_key, f"{tenant}{_SEP}{order_id}")
            await pipe.execute()

    async def order(self, tenant: str, order_id: str) -> OrderRecord | None:
        raw = await self.redis.hget(self._key(tenant, "orders"), order_id)
        return None if raw is None else _order_decoder.decode(raw)

    async def orders(self, tenant: str) -> list[OrderRecord]:
        rows = await self.redis.hvals(self._key(tenant, "orders"))
        return [_order_decoder.decode(raw) for raw in rows]

    # -- customers -----------------------------------------------------------------------------------------------

    async def save_customer(self, tenant: str, customer_id: str, customer: Customer, order_id: str,
                            now: datetime) -> None:
        """Record the customer as this order describes it (the latest order's details win)."""
        key = self._key(tenant, "customers")
        raw = await self.redis.hget(key, customer_id)
        created = _customer_decoder.decode(raw).created_at if raw is not None else now
        record = CustomerRecord(id=customer_id, customer=customer, created_at=created, updated_at=now)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, customer_id, _encode(record))
            pipe.sadd(self._key(tenant, "customer", customer_id, "orders"), order_id)
            await pipe.execute()

    async def customers(self, tenant: str) -> list[tuple[CustomerRecord, list[str]]]:
        records = [_customer_decoder.decode(raw) for raw in await self.redis.hvals(self._key(tenant, "customers"))]
        if not records:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for record in records:
                pipe.smembers(self._key(tenant, "customer", record.id, "orders"))
            members = await pipe.execute()
        return [(record, sorted(m.decode() for m in ids)) for record, ids in zip(records, members, strict=True)]

    # -- deals, invoices and event routing -----------------------------------------------------------------------

    async def owner_of_deal(self, opportunity_id: str) -> tuple[str, str] | None:
        """The tenant and order of a deal, when a partner submitted it."""
        raw = await self.redis.hget(self.deal_owners, opportunity_id)
        if raw is None:
            return None
        tenant, _, order_id = raw.decode().partition(_SEP)
        return tenant, order_id

    async def pending_orders(self) -> list[tuple[str, str]]:
        """Orders of every tenant whose deal the process tier has not reported yet."""
        members = await self.redis.smembers(self.pending_key)
        return [(t, o) for t, _, o in (m.decode().partition(_SEP) for m in members)]

    async def remember_invoices(self, tenant: str, invoices: dict[str, str]) -> None:
        """Note which deal each invoice bills, so fetching an invoice by id needs one deal read."""
        if invoices:
            await self.redis.hset(self._key(tenant, "invoices"), mapping=invoices)

    async def deal_of_invoice(self, tenant: str, invoice_id: str) -> str | None:
        raw = await self.redis.hget(self._key(tenant, "invoices"), invoice_id)
        return None if raw is None else raw.decode()
