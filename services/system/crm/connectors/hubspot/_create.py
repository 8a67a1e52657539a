"""Deals created through the CRM API, the HubSpot way: an order booked outside the CRM becomes a deal.

HubSpot's CRM API takes no idempotency key. Every record written here carries the portal's unique
``revflow_external_id`` instead and is written by batch upsert on it (or found by a batch read on it), so every
step is safe to repeat, and a retry (the same Idempotency-Key again, or one after HubSpot committed but its
answer was lost) finds what an earlier attempt left and completes it:

1. The company by its ``revflow_external_id`` (revflow's business key); an unknown key is refused (422 on
   ``customer_id``).
2. A product per SKU: the portal's product with that ``hs_sku``, else one upserted by ``revflow_external_id`` =
   the SKU, at the line's list price.
3. The deal, upserted by revflow's key in the default pipeline at an open stage (``contractsent`` when it is
   booked closed), so no closed-won webhook goes out before its line items exist; then associated with the
   company (the default deal -> company association).
4. The line items not yet there, upserted by ``revflow_external_id`` = ``<key>#<n>`` (``hs_product_id``, ``name``,
   ``hs_sku``, ``price`` = the list price, the per-unit ``discount`` = list - sale, ``quantity``,
   ``recurringbillingfrequency``, ``hs_recurring_billing_start_date`` / ``_end_date``, ``hs_position_on_quote``),
   then associated with the deal (default line item -> deal association).
5. ``dealstage`` last: ``closedwon`` sends the ``deal.propertyChange`` webhook with every line in place, and the
   pull finds the deal like any other won deal.

HubSpot has no one-time or usage billing frequency (a line item without one is read as the configured default),
so such lines are refused (422) rather than booked to bill on another schedule.
"""

from __future__ import annotations

from typing import Any

from contracts.deals import DealLine, Opportunity, OpportunityStage
from services.runtime.problems import ServiceError
from services.system.crm.connectors._shared import decimal_text, line_keys
from services.system.crm.connectors.hubspot._mapping import FREQUENCIES
from services.system.crm.connectors.hubspot._wire import HubSpotApi
from services.system.crm.errors import OpportunityRefused, VendorRefused

__all__ = ["STAGE_IDS", "DealWriter"]

UNIQUE = "revflow_external_id"
STAGE_IDS = {OpportunityStage.PROSPECTING: "appointmentscheduled", OpportunityStage.QUALIFICATION: "qualifiedtobuy",
             OpportunityStage.PROPOSAL: "presentationscheduled", OpportunityStage.NEGOTIATION: "contractsent",
             OpportunityStage.CLOSED_WON: "closedwon", OpportunityStage.CLOSED_LOST: "closedlost"}
"""Canonical stage -> the default pipeline's stage a new deal is given."""
OPEN_STAGE = STAGE_IDS[OpportunityStage.NEGOTIATION]
"""Where a deal booked closed waits while its line items are written."""
_FREQUENCY_IDS = {canonical: name for name, canonical in FREQUENCIES.items()}
_BATCH = 100  # inputs per batch call


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[start:start + _BATCH] for start in range(0, len(items), _BATCH)]


class DealWriter:
    """Creates one deal with its line items (see the module docstring)."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api

    async def create(self, key: str, opportunity: Opportunity) -> tuple[str, bool]:
        """The deal's id, and whether this call created it."""
        for index, line in enumerate(opportunity.lines):
            if line.billing_frequency not in _FREQUENCY_IDS:
                raise OpportunityRefused(f"HubSpot line items have no {line.billing_frequency.value} billing "
                                         f"frequency (only {', '.join(f.value for f in _FREQUENCY_IDS)}).",
                                         field=f"lines.{index}.billing_frequency",
                                         code="billing_frequency_unsupported")
        company_id = await self._company(opportunity.customer_id)
        target, keys = STAGE_IDS[opportunity.stage], line_keys(key, len(opportunity.lines))
        deal = (await self._by_key("deals", [key], ["dealstage"])).get(key)
        lines = await self._by_key("line_items", keys)
        linked: set[str] = set()
        if deal is not None:
            companies = await self._linked(deal["id"], "companies")
            if companies and company_id not in companies:
                raise ServiceError(f"Deal {deal['id']} already has the revflow id {key!r}, for another company.",
                                   slug="conflict", code="opportunity_key_taken", retryable=False,
                                   owner="integration")
            linked = await self._linked(deal["id"], "line_items")
            stage = deal["properties"].get("dealstage")
            if stage == target and all(k in lines and lines[k]["id"] in linked for k in keys):
                return str(deal["id"]), False
        products = await self._products(opportunity.lines)
        stage = deal["properties"].get("dealstage") if deal else (OPEN_STAGE if opportunity.stage.is_closed
                                                                  else target)
        deal_id = str(deal["id"]) if deal else await self._upsert_deal(key, opportunity, stage)
        await self.api.put(f"/crm/v4/objects/deals/{deal_id}/associations/default/companies/{company_id}")
        missing = [(i, k) for i, k in enumerate(keys) if k not in lines]
        if missing:
            lines |= await self._upsert_lines(missing, opportunity, products)
        await self._associate([lines[k]["id"] for k in keys if lines[k]["id"] not in linked], deal_id)
        if stage != target:
            await self.api.patch(f"/crm/v3/objects/deals/{deal_id}", {"properties": {"dealstage": target}})
        return deal_id, deal is None

    async def _by_key(self, object_type: str, keys: list[str], properties: list[str] | None = None,
                      ) -> dict[str, dict[str, Any]]:
        """The records holding these ``revflow_external_id`` values, by value (a batch read: never stale)."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(keys):
            page = await self.api.post(f"/crm/v3/objects/{object_type}/batch/read", {
                "idProperty": UNIQUE, "inputs": [{"id": k} for k in chunk],
                "properties": [UNIQUE, *(properties or [])]}, repeatable=True)
            for record in page.get("results") or []:
                found[str((record.get("properties") or {}).get(UNIQUE))] = record
        return found

    async def _company(self, key: str) -> str:
        company = (await self._by_key("companies", [key])).get(key)
        if company is None:
            raise OpportunityRefused(f"No CRM account with key {key!r}; upsert it first (PUT /v1/accounts/{key}).",
                                     field="customer_id", code="account_missing")
        return str(company["id"])

    async def _linked(self, deal_id: str, to_type: str) -> set[str]:
        """The ids of the records of ``to_type`` associated with the deal (every page)."""
        found: set[str] = set()
        after: str | None = None
        while True:
            page = await self.api.get(f"/crm/v4/objects/deals/{deal_id}/associations/{to_type}",
                                      {"limit": 500, **({"after": after} if after else {})})
            found |= {str(r["toObjectId"]) for r in page.get("results") or []}
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return found

    async def _products(self, lines: list[DealLine]) -> dict[str, tuple[str, str]]:
        """SKU -> (product id, product name): the portal's product with that ``hs_sku``, else a new one."""
        skus = sorted({line.product_sku for line in lines})
        found: dict[str, tuple[str, str]] = {}
        results = await self.api.search_all("products", {
            "filterGroups": [{"filters": [{"propertyName": "hs_sku", "operator": "IN", "values": skus}]}],
            "properties": ["hs_sku", "name"], "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]})
        for product in results:
            props = product.get("properties") or {}
            found.setdefault(str(props.get("hs_sku")), (str(product["id"]), str(props.get("name") or props["hs_sku"])))
        prices = {}
        for line in lines:
            prices.setdefault(line.product_sku, decimal_text(line.list_price))
        new = [sku for sku in skus if sku not in found]
        # Search is eventually consistent: a product an earlier attempt created may not show yet, and the upsert
        # on the SKU as its revflow id then finds it instead of making a second one.
        for chunk in _chunks(new):
            await self.api.post("/crm/v3/objects/products/batch/upsert", {"inputs": [
                {"idProperty": UNIQUE, "id": sku, "properties": {"name": sku, "hs_sku": sku, "price": prices[sku]}}
                for sku in chunk]}, repeatable=True)
        if new:
            made = await self._by_key("products", new, ["name"])
            found |= {sku: (str(p["id"]), str(p["properties"].get("name") or sku)) for sku, p in made.items()}
        return found

    async def _upsert_deal(self, key: str, opportunity: Opportunity, stage: str) -> str:
        page = await self.api.post("/crm/v3/objects/deals/batch/upsert", {"inputs": [{
            "idProperty": UNIQUE, "id": key, "properties": {
                "dealname": opportunity.name, "pipeline": "default", "dealstage": stage,
                "closedate": f"{opportunity.close_date.isoformat()}T00:00:00.000Z",
                "deal_currency_code": opportunity.currency, "amount": decimal_text(opportunity.amount)}}]},
            repeatable=True)
        return str((page.get("results") or [{}])[0]["id"])

    async def _upsert_lines(self, missing: list[tuple[int, str]], opportunity: Opportunity,
                            products: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
        """Upsert the line items not yet at the portal; the records of every one of them."""
        for chunk in _chunks(missing):
            await self.api.post("/crm/v3/objects/line_items/batch/upsert", {"inputs": [
                {"idProperty": UNIQUE, "id": key,
                 "properties": _line_properties(index, opportunity.lines[index], opportunity.currency, products)}
                for index, key in chunk]}, repeatable=True)
        keys = [key for _, key in missing]
        written = await self._by_key("line_items", keys)
        if len(written) != len(keys):
            raise VendorRefused("HubSpot accepted the line items but does not return them all.", slug="upstream-failed",
                                code="line_items_missing", retryable=True, owner="integration")
        return written

    async def _associate(self, line_ids: list[str], deal_id: str) -> None:
        for chunk in _chunks(line_ids):
            await self.api.post("/crm/v4/associations/line_items/deals/batch/associate/default", {
                "inputs": [{"from": {"id": line_id}, "to": {"id": deal_id}} for line_id in chunk]}, repeatable=True)


def _line_properties(index: int, line: DealLine, currency: str,
                     products: dict[str, tuple[str, str]]) -> dict[str, str]:
    product_id, name = products[line.product_sku]
    props = {"hs_product_id": product_id, "name": name, "hs_sku": line.product_sku, "quantity": str(line.quantity),
             "price": decimal_text(line.list_price), "discount": decimal_text(line.list_price - line.sale_price),
             "hs_line_item_currency_code": currency,
             "recurringbillingfrequency": _FREQUENCY_IDS[line.billing_frequency],
             "hs_recurring_billing_start_date": line.service_start.isoformat(),
             "hs_recurring_billing_end_date": line.service_end.isoformat(), "hs_position_on_quote": str(index)}
    if line.description is not None:
        props["description"] = line.description
    return props
