"""Subscriptions on Chargebee: ``subscription_for_items``, ``update_for_items`` and ``cancel_for_items``.

Each write is one keyed Chargebee call (``<idem>:<step>``), so Chargebee replays it when the caller retries.
The canonical proration policy maps onto ``prorate`` and ``invoice_immediately``: ``create_prorations`` ->
prorate, leave the charges unbilled (they become the pending lines); ``always_invoice`` -> prorate and
invoice now; ``none`` -> no proration. An amendment's ``effective_at`` becomes ``change_option=specific_date``
with ``changes_scheduled_at`` (Chargebee backdates a change to a moment already past, prorating as of then).
A subscription item's canonical id is its item price id (Chargebee
subscription items have no id of their own, and an item appears at most once per subscription).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from contracts.billing import InvoiceLine, Subscription, SubscriptionItem
from contracts.catalog import BillingFrequency
from services.system.billing.connectors.chargebee._catalog import ChargebeeCatalog
from services.system.billing.connectors.chargebee._customers import ChargebeeCustomers
from services.system.billing.connectors.chargebee._mapping import (
    FREQUENCY_PERIOD,
    META,
    day,
    end_day,
    frequency_of,
    instant,
    is_base,
    line_from_chargebee,
    money,
    subscription_status,
)
from services.system.billing.connectors.chargebee._wire import ChargebeeApi
from services.system.billing.errors import UnsupportedByVendor, VendorRefused
from services.system.billing.schemas import AmendmentV1, CancellationV1, ItemChangeV1, RenewalV1, SubscriptionCreateV1

__all__ = ["ChargebeeSubscriptions"]

_POLICY = {"create_prorations": (True, False), "always_invoice": (True, True), "none": (False, True)}


class ChargebeeSubscriptions:
    """Subscription operations and their canonical form."""

    def __init__(self, api: ChargebeeApi, customers: ChargebeeCustomers, catalog: ChargebeeCatalog) -> None:
        self.api, self.customers, self.catalog = api, customers, catalog

    async def fetch(self, subscription_id: str) -> dict[str, Any]:
        """The wrapped ``{"subscription", "customer"}`` of a subscription."""
        return await self.api.get(f"/subscriptions/{subscription_id}")

    async def create(self, data: SubscriptionCreateV1, idem: str) -> dict[str, Any]:
        """A new subscription; Chargebee invoices its first term itself.

        One-time items are charge item prices in ``subscription_items`` (``item_type=charge``, charged
        ``immediately``): Chargebee bills them once, on the first invoice, and keeps them off the subscription.
        """
        cid = await self.customers.require(data.customer_key)
        recurring = [i for i in data.items if i.billing_frequency is not BillingFrequency.ONE_TIME]
        periods = {FREQUENCY_PERIOD.get(i.billing_frequency) for i in recurring}
        currencies = {i.unit_amount.currency for i in data.items}
        if len(periods) != 1 or None in periods or len(currencies) != 1:
            raise UnsupportedByVendor("A Chargebee subscription bills every recurring item in one currency and one "
                                      "billing period.", code="mixed_items_unsupported")
        currency = currencies.pop()
        rows = [{"item_price_id": await self.catalog.base_price(currency, periods.pop())}]
        for item in data.items:
            price = await self.catalog.list_price(item.sku, currency, item.billing_frequency)
            metered = item.billing_frequency is BillingFrequency.USAGE
            charge = item.billing_frequency is BillingFrequency.ONE_TIME
            rows.append({"item_price_id": price["id"], "quantity": None if metered else item.quantity,
                         "unit_price": item.unit_amount.amount_minor
                         if item.unit_amount.amount_minor != price.get("price") else None,
                         "item_type": "charge" if charge else None,
                         "charge_on_option": "immediately" if charge else None})
        meta = {META + "customer_key": data.customer_key, META + "opportunity_id": data.opportunity_id,
                META + "start_date": data.start_date.isoformat() if data.start_date else None}
        billing_start = data.billing_start(datetime.now(UTC).date())
        params = {"subscription_items": rows, "meta_data": {k: v for k, v in meta.items() if v is not None},
                  "start_date": int(billing_start.timestamp()) if billing_start else None,
                  "auto_collection": "off" if data.collection_method == "send_invoice" else None}
        return await self.api.post(f"/customers/{cid}/subscription_for_items", params, key=f"{idem}:subscription")

    async def canonical(self, body: dict[str, Any]) -> Subscription:
        """A wrapped Chargebee subscription as a canonical ``Subscription``."""
        sub = body["subscription"]
        meta = sub.get("meta_data") or {}
        key = meta.get(META + "customer_key") or self.customers.key_of(body["customer"])
        currency = sub["currency_code"]
        items = []
        for si in sub["subscription_items"]:
            if is_base(si["item_price_id"]) or si.get("item_type") == "charge":  # charges are not recurring
                continue
            price = await self.catalog.item_price(si["item_price_id"])
            metered = bool((await self.catalog.item(price["item_id"]) or {}).get("metered"))
            items.append(SubscriptionItem(
                id=si["item_price_id"], product_sku=price["item_id"], price_id=si["item_price_id"],
                quantity=int(si.get("quantity") or 0), billing_frequency=frequency_of(price, metered),
                unit_amount=money(si.get("unit_price", price.get("price")), currency)))
        start = _date_meta(meta, "start_date") or day(sub.get("started_at") or sub.get("created_at"))
        end = _date_meta(meta, "term_end")
        canceled_at = None
        if sub["status"] == "non_renewing":
            end = end_day(sub["current_term_start"], sub["current_term_end"])
        elif sub["status"] == "cancelled":
            canceled_at = instant(sub.get("cancelled_at"))
            end = day(sub.get("cancelled_at"))
        if start is not None and end is not None and end < start:
            end = start
        return Subscription(
            id=sub["id"], customer_id=key, currency=currency, status=subscription_status(sub["status"]),
            items=items, start_date=start or date.today(), end_date=end,
            current_period_start=day(sub.get("current_term_start")),
            current_period_end=end_day(sub.get("current_term_start"), sub.get("current_term_end")),
            canceled_at=canceled_at, opportunity_id=meta.get(META + "opportunity_id"))

    async def _check_usage_price_change(self, sub: dict[str, Any], sku: str, effective: date) -> None:
        """Refuse a new usage price unless it takes effect on a term's first day.

        Chargebee prices a whole term's usage at the price on its invoice, so a change mid-term would bill the
        usage before it at the new price.
        """
        item = await self.catalog.item(sku)
        start = day(sub.get("current_term_start"))
        if not (item or {}).get("metered") or start is None or effective == start:
            return
        following = day(sub.get("current_term_end"))
        raise UnsupportedByVendor(
            f"Chargebee bills all of a term's usage of {sku!r} at the price on the term's invoice, so a new unit "
            f"price from {effective} would also reprice the usage since {start}. Make the change effective on "
            f"{start}, or on {following} (the next term's first day) once that term has begun.",
            code="usage_price_mid_term", owner="sales_ops")

    async def _row(self, sub: dict[str, Any], change: ItemChangeV1, effective: date | None = None) -> dict[str, Any]:
        current = None
        for si in sub["subscription_items"]:
            if not is_base(si["item_price_id"]) and (await self.catalog.item_price(si["item_price_id"]))[
                    "item_id"] == change.sku:
                current = si
        if current is None:
            if change.unit_amount is None or change.billing_frequency is None or change.quantity is None:
                raise UnsupportedByVendor(f"SKU {change.sku!r} is not on subscription {sub['id']}: adding it needs "
                                          "quantity, unit_amount and billing_frequency.", code="item_missing")
            price = await self.catalog.list_price(change.sku, sub["currency_code"], change.billing_frequency)
            return {"item_price_id": price["id"], "quantity": change.quantity,
                    "unit_price": change.unit_amount.amount_minor}
        price = await self.catalog.item_price(current["item_price_id"])
        if change.billing_frequency is not None:
            price = await self.catalog.list_price(change.sku, sub["currency_code"], change.billing_frequency)
        unit = change.unit_amount.amount_minor if change.unit_amount else current.get("unit_price")
        if unit != current.get("unit_price") and effective is not None:
            await self._check_usage_price_change(sub, change.sku, effective)
        quantity = change.quantity if change.quantity is not None else current.get("quantity")
        return {"item_price_id": price["id"], "quantity": quantity, "unit_price": unit}

    async def amend(self, subscription_id: str, data: AmendmentV1, idem: str) -> tuple[dict[str, Any], list[Any]]:
        """Apply the changes; returns the wrapped result and its pending (unbilled) proration lines."""
        sub = (await self.fetch(subscription_id))["subscription"]
        effective = data.effective_at.astimezone(UTC).date() if data.effective_at else None
        rows = [await self._row(sub, change, effective) for change in data.changes]
        prorate, immediately = _POLICY[data.proration.value]
        params: dict[str, Any] = {"subscription_items": rows, "prorate": prorate, "invoice_immediately": immediately}
        if data.effective_at is not None:
            # Chargebee's specific_date change, backdated when the moment has passed: prorated as of that time.
            params.update(change_option="specific_date",
                          changes_scheduled_at=int(data.effective_at.astimezone(UTC).timestamp()))
        body = await self.api.post(f"/subscriptions/{subscription_id}/update_for_items", params, key=f"{idem}:amend")
        skus = {r["item_price_id"]: change.sku for r, change in zip(rows, data.changes, strict=True)}
        pending: list[InvoiceLine] = [
            line_from_chargebee(c, c["currency_code"], skus, -1 if c["amount"] < 0 else 1)
            for c in body.get("unbilled_charges") or [] if not is_base(c.get("entity_id"))]
        return body, pending

    async def renew(self, subscription_id: str, data: RenewalV1, idem: str) -> dict[str, Any]:
        """Continue past the current term: lift a scheduled cancellation, recording the new term end."""
        body = await self.fetch(subscription_id)
        if body["subscription"]["status"] == "cancelled":
            raise VendorRefused(f"Subscription {subscription_id} is cancelled and cannot be renewed.",
                                slug="business-rule", code="invalid_state_for_request", retryable=False,
                                owner="integration")
        meta = {**(body["subscription"].get("meta_data") or {}),
                META + "term_end": data.term_end.isoformat() if data.term_end else None,
                META + "renewal_opportunity_id": data.opportunity_id}
        if body["subscription"]["status"] == "non_renewing":
            body = await self.api.post(f"/subscriptions/{subscription_id}/remove_scheduled_cancellation", {},
                                       key=f"{idem}:renew")
        return await self.api.post(f"/subscriptions/{subscription_id}/update_for_items",
                                   {"meta_data": {k: v for k, v in meta.items() if v is not None}},
                                   key=f"{idem}:renew_terms")

    async def cancel(self, subscription_id: str, data: CancellationV1, idem: str) -> dict[str, Any]:
        """Cancel at term end or now; cancelling a cancelled subscription answers it as it is."""
        body = await self.fetch(subscription_id)
        status = body["subscription"]["status"]
        if status == "cancelled" or (status == "non_renewing" and data.at == "term_end"):
            return body
        params = {"end_of_term": data.at == "term_end",
                  "credit_option_for_current_term_charges": "prorate" if data.prorate else "none"}
        return await self.api.post(f"/subscriptions/{subscription_id}/cancel_for_items", params, key=f"{idem}:cancel")


def _date_meta(meta: dict[str, Any], name: str) -> date | None:
    raw = meta.get(META + name)
    try:
        return date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None
