"""Customers on Stripe: found by revflow's business key in metadata, upserted without ever duplicating.

Stripe has no external-id upsert. A customer carries ``metadata[revflow_key]``; an upsert searches for it
and, when absent, creates a bare customer holding only that key under an ``Idempotency-Key`` fixed by the
business key, so two racing or retried upserts get the same customer back from Stripe's idempotency layer
(Stripe's search index lags writes; the key covers that window). The details are then written with an
update, which is idempotent by nature. What Stripe has no field for (legal name, shipping address, contacts
beyond the billing one, tax ids) is kept as compact JSON in ``metadata[revflow_profile_<n>]`` chunks, as
Stripe caps a metadata value at 500 characters.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from contracts.common import System
from contracts.parties import Contact, ContactRole, Customer, PostalAddress, TaxId
from services.system.billing.connectors.stripe._mapping import META, instant
from services.system.billing.connectors.stripe._wire import StripeApi
from services.system.billing.errors import CustomerNotFound, InconsistentVendorData

__all__ = ["StripeCustomers"]

_CHUNK = 450
_MAX_CHUNKS = 40


class _Profile(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    legal_name: str | None = None
    shipping_address: PostalAddress | None = None
    contacts: list[Contact] = []
    tax_ids: list[TaxId] = []
    external_ids: dict[str, str] = {}


def _address(addr: PostalAddress) -> dict[str, str]:
    return {"line1": addr.line1, "line2": addr.line2 or "", "city": addr.city, "state": addr.region or "",
            "postal_code": addr.postal_code or "", "country": addr.country}


def _profile_meta(customer: Customer, previous: dict[str, str]) -> dict[str, str]:
    profile = _Profile(legal_name=customer.legal_name, shipping_address=customer.shipping_address,
                       contacts=customer.contacts, tax_ids=customer.tax_ids,
                       external_ids={k: v for k, v in customer.external_ids.items() if k != System.BILLING})
    raw = msgspec.json.encode(profile).decode()
    chunks = [raw[i:i + _CHUNK] for i in range(0, len(raw), _CHUNK)][:_MAX_CHUNKS]
    meta = {f"{META}profile_{i}": chunk for i, chunk in enumerate(chunks)}
    for name in previous:  # an empty value deletes a chunk the new profile no longer needs
        if name.startswith(f"{META}profile_") and name not in meta:
            meta[name] = ""
    return meta


def customer_params(key: str, customer: Customer, previous: dict[str, str]) -> dict[str, Any]:
    """The Stripe update params that make a customer equal ``customer``."""
    contact = (customer.contact_for(ContactRole.BILLING) or customer.contact_for(ContactRole.PRIMARY)
               or (customer.contacts[0] if customer.contacts else None))
    return {
        "name": customer.name, "email": contact.email if contact else "", "phone": (contact.phone or "") if contact
        else "", "address": _address(customer.billing_address), "tax_exempt": "exempt" if customer.tax_exempt
        else "none",
        "metadata": {f"{META}key": key, f"{META}currency": customer.currency, **_profile_meta(customer, previous)},
    }


def customer_from_stripe(key: str, cust: dict[str, Any]) -> Customer:
    """A Stripe customer as the canonical ``Customer`` known by ``key``."""
    meta = cust.get("metadata") or {}
    addr = cust.get("address") or {}
    raw = "".join(meta[f"{META}profile_{i}"] for i in range(_MAX_CHUNKS) if f"{META}profile_{i}" in meta)
    try:
        profile = msgspec.json.decode(raw, type=_Profile) if raw else _Profile()
        billing = PostalAddress(line1=addr.get("line1") or "", line2=addr.get("line2") or None,
                                city=addr.get("city") or "", region=addr.get("state") or None,
                                postal_code=addr.get("postal_code") or None, country=addr.get("country") or "")
        return msgspec.convert({
            "id": key, "name": cust.get("name") or "", "legal_name": profile.legal_name,
            "currency": meta.get(f"{META}currency") or (cust.get("currency") or "").upper(),
            "billing_address": msgspec.to_builtins(billing),
            "shipping_address": msgspec.to_builtins(profile.shipping_address),
            "contacts": msgspec.to_builtins(profile.contacts), "tax_ids": msgspec.to_builtins(profile.tax_ids),
            "tax_exempt": cust.get("tax_exempt") == "exempt", "created_at": instant(cust.get("created")),
            "external_ids": {**profile.external_ids, System.BILLING.value: cust["id"]}}, Customer)
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
        raise InconsistentVendorData(f"Stripe customer {cust.get('id')} is not a complete revflow customer: "
                                     f"{exc}") from None


def _digest(*parts: Any) -> str:
    return hashlib.sha256(msgspec.json.encode(parts)).hexdigest()[:24]


class StripeCustomers:
    """Lookups by business key (cached both ways: keys never move between customers) and upserts."""

    def __init__(self, api: StripeApi) -> None:
        self.api = api
        self._ids: dict[str, str] = {}
        self._keys: dict[str, str] = {}

    async def find(self, key: str) -> dict[str, Any] | None:
        """The Stripe customer carrying ``key``, or ``None``."""
        found = await self.api.search_all("/v1/customers/search", f"metadata['{META}key']:'{key}'")
        found = [c for c in found if not c.get("deleted")]
        if not found:
            return None
        cust = min(found, key=lambda c: (c.get("created", 0), c["id"]))  # the first one wins, always
        self._remember(key, cust["id"])
        return cust

    async def vendor_id(self, key: str) -> str:
        """The Stripe id of the customer known by ``key`` (``CustomerNotFound`` when none)."""
        if key in self._ids:
            return self._ids[key]
        cust = await self.find(key)
        if cust is None:
            raise CustomerNotFound(key)
        return str(cust["id"])

    async def key_of(self, customer_id: str) -> str:
        """revflow's business key of a Stripe customer (its id when revflow never upserted it)."""
        if customer_id not in self._keys:
            cust = await self.api.get(f"/v1/customers/{customer_id}")
            self._remember((cust.get("metadata") or {}).get(f"{META}key") or customer_id, customer_id)
        return self._keys[customer_id]

    async def get(self, key: str) -> Customer:
        """The canonical customer known by ``key``."""
        cust = await self.find(key)
        if cust is None:
            raise CustomerNotFound(key)
        return customer_from_stripe(key, cust)

    async def upsert(self, key: str, customer: Customer) -> Customer:
        """Create or update; a repeat (or a race) ends with one Stripe customer."""
        cust = await self.find(key)
        if cust is None:
            cust = await self.api.post("/v1/customers", {"metadata": {f"{META}key": key}},
                                       key=f"revflow:customer:{key}:create")
            self._remember(key, cust["id"])
        previous = cust.get("metadata") or {}
        params = customer_params(key, customer, previous)
        wanted = _without_billing_id(msgspec.structs.replace(customer, id=key, created_at=None))
        current = _comparable(key, cust)
        if current != wanted:
            # Keyed by the state before and after, so a retry replays while A -> B -> A still applies.
            cust = await self.api.post(f"/v1/customers/{cust['id']}", params,
                                       key=f"revflow:customer:{key}:update:{_digest(cust, params)}")
        return customer_from_stripe(key, cust)

    def _remember(self, key: str, customer_id: str) -> None:
        self._ids[key] = customer_id
        self._keys[customer_id] = key


def _comparable(key: str, cust: dict[str, Any]) -> Customer | None:
    try:
        found = customer_from_stripe(key, cust)
    except InconsistentVendorData:
        return None
    return _without_billing_id(msgspec.structs.replace(found, created_at=None))


def _without_billing_id(customer: Customer) -> Customer:
    ids = {k: v for k, v in customer.external_ids.items() if k != System.BILLING}
    return msgspec.structs.replace(customer, external_ids=ids)
