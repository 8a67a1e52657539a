"""Subscriptions on Stripe: create, amend with an explicit proration policy, renew, cancel.

Each write is one keyed Stripe call (``<idem>:<step>``), so Stripe replays it when the caller retries.
Cancelling now is a ``DELETE`` (no idempotency key on Stripe's side), so a repeat that finds the
subscription already canceled answers it as it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.billing import InvoiceLine, Subscription
from contracts.catalog import BillingFrequency
from services.system.billing.connectors.stripe._catalog import StripeCatalog, product_id
from services.system.billing.connectors.stripe._customers import StripeCustomers
from services.system.billing.connectors.stripe._mapping import (
    META,
    frequency_of,
    line_from_stripe,
    sku_of,
    subscription_from_stripe,
)
from services.system.billing.connectors.stripe._wire import StripeApi
from services.system.billing.errors import BillingNotFound, EffectiveDateAhead, UnsupportedByVendor, VendorRefused
from services.system.billing.schemas import AmendmentV1, CancellationV1, ItemChangeV1, RenewalV1, SubscriptionCreateV1

__all__ = ["StripeSubscriptions"]

TRIAL_LIMIT = timedelta(days=730)
"""How far ahead Stripe takes a ``trial_end`` ("at most two years")."""


class StripeSubscriptions:
    """Subscription operations (the connector maps the results)."""

    def __init__(self, api: StripeApi, customers: StripeCustomers, catalog: StripeCatalog) -> None:
        self.api, self.customers, self.catalog = api, customers, catalog

    async def fetch(self, subscription_id: str) -> tuple[dict[str, Any], str]:
        """The Stripe subscription and revflow's key of its customer."""
        sub = await self.api.get(f"/v1/subscriptions/{subscription_id}")
        return sub, await self._key(sub)

    async def create(self, data: SubscriptionCreateV1, idem: str) -> Subscription:
        """A new subscription; its first invoice is Stripe's business.

        Recurring and usage items become subscription ``items``; one-time items become ``add_invoice_items``
        (a one-time price of the SKU), which Stripe bills once, on the subscription's first invoice. A service
        start after today is a trial ending at that start (``trial_end``): Stripe bills the recurring items from
        then, with the billing cycle anchored there. The subscription is in flexible billing mode, so a usage price
        replaced mid-period still bills the usage before the change, at the old price (classic mode drops it).
        """
        customer = await self.customers.vendor_id(data.customer_key)
        items, one_offs = [], []
        for item in data.items:
            price = await self.catalog.price_for(item.sku, item.unit_amount.currency, item.billing_frequency,
                                                 item.unit_amount.amount_minor)
            if item.billing_frequency is BillingFrequency.ONE_TIME:
                one_offs.append({"price": price["id"], "quantity": item.quantity})
                continue
            metered = item.billing_frequency is BillingFrequency.USAGE
            items.append({"price": price["id"], "quantity": None if metered else item.quantity})
        meta = {META + "customer_key": data.customer_key, META + "opportunity_id": data.opportunity_id,
                META + "start_date": data.start_date.isoformat() if data.start_date else None}
        billing_start = data.billing_start(datetime.now(UTC).date())
        if billing_start and billing_start - datetime.now(UTC) > TRIAL_LIMIT:
            raise UnsupportedByVendor(f"start_date {data.start_date}: Stripe defers billing (a trial) by at most "
                                      f"{TRIAL_LIMIT.days} days; start the subscription nearer its service start.",
                                      code="start_too_far")
        params = {"customer": customer, "items": items, "add_invoice_items": one_offs or None,
                  "trial_end": int(billing_start.timestamp()) if billing_start else None,
                  "collection_method": data.collection_method, "billing_mode": {"type": "flexible"},
                  "days_until_due": data.days_until_due if data.collection_method == "send_invoice" else None,
                  "metadata": {k: v for k, v in meta.items() if v is not None}}
        sub = await self.api.post("/v1/subscriptions", params, key=f"{idem}:subscription")
        return subscription_from_stripe(sub, data.customer_key)

    @staticmethod
    def item_of(sub: dict[str, Any], sku: str) -> dict[str, Any] | None:
        """The subscription item of ``sku``, if any."""
        return next((si for si in sub["items"]["data"] if sku_of(si["price"]) == sku
                     or si["price"]["product"] == product_id(sku)), None)

    async def _item_param(self, sub: dict[str, Any], change: ItemChangeV1) -> dict[str, Any]:
        current = self.item_of(sub, change.sku)
        if current is None:
            if change.unit_amount is None or change.billing_frequency is None or change.quantity is None:
                raise UnsupportedByVendor(f"SKU {change.sku!r} is not on subscription {sub['id']}: adding it needs "
                                          "quantity, unit_amount and billing_frequency.", code="item_missing")
            price = await self.catalog.price_for(change.sku, change.unit_amount.currency, change.billing_frequency,
                                                 change.unit_amount.amount_minor)
            return {"price": price["id"], "quantity": change.quantity}
        param: dict[str, Any] = {"id": current["id"], "quantity": change.quantity}
        frequency = change.billing_frequency or frequency_of(current["price"])
        amount = change.unit_amount.amount_minor if change.unit_amount else current["price"].get("unit_amount")
        if amount != current["price"].get("unit_amount") or frequency is not frequency_of(current["price"]):
            price = await self.catalog.price_for(change.sku, sub["currency"].upper(), frequency, int(amount or 0))
            param["price"] = price["id"]
        return param

    async def amend(self, subscription_id: str, data: AmendmentV1,
                    idem: str) -> tuple[dict[str, Any], str, list[InvoiceLine]]:
        """Apply the changes; returns the subscription, its customer key and its pending proration lines."""
        sub, key = await self.fetch(subscription_id)
        items = [await self._item_param(sub, change) for change in data.changes]
        await self._check_metered_switch(sub, items, data.effective_at.astimezone(UTC).date()
                                         if data.effective_at else None)
        at = int(data.effective_at.timestamp()) if data.effective_at else None
        params = {"items": items, "proration_behavior": data.proration.value, "proration_date": at}
        sub = await self.api.post(f"/v1/subscriptions/{subscription_id}", params, key=f"{idem}:amend")
        pending: list[InvoiceLine] = []
        if data.proration.value == "create_prorations":
            found = await self.api.list_all("/v1/invoiceitems", {"customer": sub["customer"], "pending": True})
            pending = [line_from_stripe(item, item["currency"]) for item in reversed(found)
                       if item.get("subscription") == sub["id"] and item.get("proration")
                       and (at is None or item["period"]["start"] == at)]
        return sub, key, pending

    async def _check_metered_switch(self, sub: dict[str, Any], items: list[dict[str, Any]],
                                    effective: date | None) -> None:
        """Refuse a new metered price Stripe would bill differently from the contract.

        Stripe switches a metered price the moment the item is updated (``proration_date`` moves only licensed
        prorations): dated after Stripe's today (the test clock's, on one) it must wait for its day, dated before
        it the usage since would be billed at the old price. In classic billing mode Stripe also drops the usage
        before the switch from every invoice.
        """
        current = {si["id"]: si["price"] for si in sub["items"]["data"]}
        if not any(param.get("id") in current and "price" in param
                   and (current[param["id"]].get("recurring") or {}).get("usage_type") == "metered"
                   for param in items):
            return
        if (sub.get("billing_mode") or {}).get("type") != "flexible":
            raise UnsupportedByVendor(
                f"Subscription {sub['id']} is in Stripe's classic billing mode, which bills none of the usage before "
                f"a metered price change. Migrate it to flexible billing mode (POST /v1/subscriptions/{sub['id']}"
                "/migrate), then send the change again.", code="billing_mode_classic", owner="billing_ops")
        if effective is None:
            return
        today = await self._today(sub)
        if effective > today:
            raise EffectiveDateAhead(
                f"Stripe applies a new metered price the moment it is set, and its day is {today}: send this "
                f"change on {effective} so that the usage before it is billed at the old price.")
        if effective < today:
            raise UnsupportedByVendor(
                f"Stripe applies a new metered price the moment it is set, and its day is {today}: the usage "
                f"since {effective} would be billed at the old price while the contract prices it at the new one. "
                f"Date the change {today} (settling the usage since {effective} with a credit or a one-off "
                "charge), or leave the price as it is.", code="usage_price_backdated", owner="sales_ops")

    async def _today(self, sub: dict[str, Any]) -> date:
        """Stripe's day for ``sub``: its test clock's, when it runs on one."""
        if not sub.get("test_clock"):
            return datetime.now(UTC).date()
        clock = await self.api.get(f"/v1/test_helpers/test_clocks/{sub['test_clock']}")
        return datetime.fromtimestamp(int(clock["frozen_time"]), UTC).date()

    async def renew(self, subscription_id: str, data: RenewalV1, idem: str) -> Subscription:
        """Continue past the current term: lift a scheduled cancellation and record the new term end."""
        meta = {META + "term_end": data.term_end.isoformat() if data.term_end else "",
                META + "renewal_opportunity_id": data.opportunity_id or ""}
        sub = await self.api.post(f"/v1/subscriptions/{subscription_id}",
                                  {"cancel_at_period_end": False, "metadata": meta}, key=f"{idem}:renew")
        return subscription_from_stripe(sub, await self._key(sub))

    async def cancel(self, subscription_id: str, data: CancellationV1, idem: str) -> Subscription:
        """Cancel at term end (keyed update) or now (``DELETE``; a repeat answers the canceled subscription)."""
        if data.at == "term_end":
            sub = await self.api.post(f"/v1/subscriptions/{subscription_id}", {"cancel_at_period_end": True},
                                      key=f"{idem}:cancel")
            return subscription_from_stripe(sub, await self._key(sub))
        sub, key = await self.fetch(subscription_id)
        if sub["status"] != "canceled":
            try:
                sub = await self.api.delete(f"/v1/subscriptions/{subscription_id}", {"prorate": data.prorate})
            except (VendorRefused, BillingNotFound) as exc:
                if exc.code != "resource_missing":
                    raise
                sub, key = await self.fetch(subscription_id)  # our first attempt canceled it; its answer was lost
        return subscription_from_stripe(sub, key)

    async def _key(self, sub: dict[str, Any]) -> str:
        return (sub.get("metadata") or {}).get(META + "customer_key") or await self.customers.key_of(sub["customer"])
