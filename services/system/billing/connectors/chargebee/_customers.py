"""Customers on Chargebee: the business key is the Chargebee customer id, so an upsert is naturally idempotent.

Chargebee accepts a caller-chosen customer id (letters, digits, ``_-.@``, at most 50). A key that fits is
used as it is; any other key maps to a fixed derived id (readable prefix plus a digest), so a lookup is one
strongly consistent ``GET`` and two racing or retried creates meet at Chargebee's uniqueness check
(``duplicate_entry``) instead of making two customers. The key itself and what Chargebee has no field for
(legal name, shipping address, contacts beyond the billing one, tax ids, other systems' ids) are kept in
the customer's ``meta_data`` JSON.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import msgspec

from contracts.common import System
from contracts.parties import Contact, ContactRole, Customer, PostalAddress, TaxId
from services.system.billing.connectors.chargebee._mapping import META, instant
from services.system.billing.connectors.chargebee._wire import ChargebeeApi
from services.system.billing.errors import BillingNotFound, CustomerNotFound, InconsistentVendorData, VendorRefused

__all__ = ["ChargebeeCustomers", "customer_id"]

_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,50}$")


class _Profile(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    legal_name: str | None = None
    shipping_address: PostalAddress | None = None
    contacts: list[Contact] = []
    tax_ids: list[TaxId] = []
    external_ids: dict[str, str] = {}
    tax_exempt: bool = False


def _digest(*parts: Any) -> str:
    return hashlib.sha256(msgspec.json.encode(parts)).hexdigest()[:24]


def customer_id(key: str) -> str:
    """The Chargebee customer id of the business key ``key``."""
    if _ID.match(key):
        return key
    return f"rf-{re.sub(r'[^A-Za-z0-9_.-]', '_', key)[:30]}-{_digest(key)[:12]}"


def customer_params(key: str, customer: Customer) -> dict[str, Any]:
    """The Chargebee create/update params that make a customer equal ``customer``."""
    contact = (customer.contact_for(ContactRole.BILLING) or customer.contact_for(ContactRole.PRIMARY)
               or (customer.contacts[0] if customer.contacts else None))
    addr = customer.billing_address
    profile = _Profile(legal_name=customer.legal_name, shipping_address=customer.shipping_address,
                       contacts=customer.contacts, tax_ids=customer.tax_ids, tax_exempt=customer.tax_exempt,
                       external_ids={k: v for k, v in customer.external_ids.items() if k != System.BILLING})
    return {
        "company": customer.name, "email": contact.email if contact else None,
        "phone": contact.phone if contact else None, "preferred_currency_code": customer.currency,
        "billing_address": {"line1": addr.line1, "line2": addr.line2, "city": addr.city, "state": addr.region,
                            "zip": addr.postal_code, "country": addr.country},
        "meta_data": {f"{META}key": key, f"{META}profile": msgspec.to_builtins(profile)},
    }


def customer_from_chargebee(key: str, cust: dict[str, Any]) -> Customer:
    """A Chargebee customer as the canonical ``Customer`` known by ``key``."""
    meta = cust.get("meta_data") or {}
    addr = cust.get("billing_address") or {}
    try:
        profile = msgspec.convert(meta.get(f"{META}profile") or {}, _Profile)
        billing = {"line1": addr.get("line1") or "", "line2": addr.get("line2") or None, "city": addr.get("city")
                   or "", "region": addr.get("state") or None, "postal_code": addr.get("zip") or None,
                   "country": addr.get("country") or ""}
        return msgspec.convert({
            "id": key, "name": cust.get("company") or "", "legal_name": profile.legal_name,
            "currency": cust.get("preferred_currency_code") or "", "billing_address": billing,
            "shipping_address": msgspec.to_builtins(profile.shipping_address),
            "contacts": msgspec.to_builtins(profile.contacts), "tax_ids": msgspec.to_builtins(profile.tax_ids),
            "tax_exempt": profile.tax_exempt, "created_at": instant(cust.get("created_at")),
            "external_ids": {**profile.external_ids, System.BILLING.value: cust["id"]}}, Customer)
    except (msgspec.ValidationError, ValueError) as exc:
        raise InconsistentVendorData(f"Chargebee customer {cust.get('id')} is not a complete revflow customer: "
                                     f"{exc}") from None


def _same(key: str, cust: dict[str, Any], customer: Customer) -> bool:
    try:
        found = customer_from_chargebee(key, cust)
    except InconsistentVendorData:
        return False
    return _bare(found) == _bare(msgspec.structs.replace(customer, id=key))


def _bare(customer: Customer) -> Customer:
    ids = {k: v for k, v in customer.external_ids.items() if k != System.BILLING}
    return msgspec.structs.replace(customer, external_ids=ids, created_at=None)


class ChargebeeCustomers:
    """Lookups by business key and idempotent upserts."""

    def __init__(self, api: ChargebeeApi) -> None:
        self.api = api

    async def find(self, key: str) -> dict[str, Any] | None:
        """The Chargebee customer of ``key``, or ``None``."""
        try:
            return (await self.api.get(f"/customers/{customer_id(key)}"))["customer"]
        except BillingNotFound:
            return None

    async def get(self, key: str) -> Customer:
        """The canonical customer known by ``key``."""
        cust = await self.find(key)
        if cust is None:
            raise CustomerNotFound(key)
        return customer_from_chargebee(key, cust)

    async def require(self, key: str) -> str:
        """The Chargebee id of the customer of ``key`` (``CustomerNotFound`` when there is none)."""
        if await self.find(key) is None:
            raise CustomerNotFound(key)
        return customer_id(key)

    @staticmethod
    def key_of(cust: dict[str, Any]) -> str:
        """revflow's business key of a Chargebee customer (its id when revflow never upserted it)."""
        return str((cust.get("meta_data") or {}).get(f"{META}key") or cust["id"])

    async def key_of_id(self, cid: str) -> str:
        """revflow's business key of the Chargebee customer ``cid``."""
        return self.key_of((await self.api.get(f"/customers/{cid}"))["customer"])

    async def upsert(self, key: str, customer: Customer) -> Customer:
        """Create or update; a repeat (or a race) ends with one Chargebee customer."""
        params = customer_params(key, customer)
        cust = await self.find(key)
        if cust is None:
            try:
                cust = (await self.api.post("/customers", {"id": customer_id(key), **params},
                                            key=f"revflow:customer:{key}:create:{_digest(params)}"))["customer"]
            except VendorRefused as exc:
                if exc.code != "duplicate_entry":  # a racing upsert created it first
                    raise
                cust = (await self.api.get(f"/customers/{customer_id(key)}"))["customer"]
        if not _same(key, cust, customer):
            # Keyed by the state before and after, so a retry replays while A -> B -> A still applies.
            cust = (await self.api.post(f"/customers/{cust['id']}", params,
                                        key=f"revflow:customer:{key}:update:{_digest(cust, params)}"))["customer"]
        return customer_from_chargebee(key, cust)
