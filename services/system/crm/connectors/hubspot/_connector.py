"""``HubSpotConnector``: the CRM port over HubSpot CRM v3 (batch upsert on a unique property, search, associations).

Contacts, the product library and contracts are read and written by their own modules (``_contacts``,
``_catalog``, ``_contracts``); this one routes the port to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import quote

from contracts.catalog import BillingFrequency
from contracts.deals import Amendment, Opportunity, OpportunityStage
from contracts.parties import Customer
from services.system.crm.connectors._shared import SubResources, decimal_text, money_of
from services.system.crm.connectors.hubspot._amendments import AMENDS, amendment_of
from services.system.crm.connectors.hubspot._catalog import HubSpotCatalog
from services.system.crm.connectors.hubspot._contacts import HubSpotContacts
from services.system.crm.connectors.hubspot._contracts import HubSpotContracts
from services.system.crm.connectors.hubspot._create import DealWriter
from services.system.crm.connectors.hubspot._mapping import (
    COMPANY_PROPERTIES,
    DEAL_PROPERTIES,
    LINE_PROPERTIES,
    STAGES,
    company_properties,
    customer_of,
    instant,
    opportunity_of,
)
from services.system.crm.connectors.hubspot._signature import events_of, verify
from services.system.crm.connectors.hubspot._wire import HubSpotApi
from services.system.crm.errors import CrmNotFound, VendorRefused
from services.system.crm.ports import ClosedDeal, CreatedOpportunity, DealChange, Notification
from services.system.crm.schemas import FINANCE_FIELDS, FinanceStatusResultV1, FinanceStatusV1

__all__ = ["FINANCE_PROPERTIES", "HubSpotConnector"]

UNIQUE = "revflow_external_id"
# Canonical finance field -> the custom deal property a portal prepared for revflow carries.
FINANCE_PROPERTIES = {"invoice_status": "revflow_invoice_status", "subscription_id": "revflow_subscription_id",
                      "revenue_recognized": "revflow_revenue_recognized"}


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


class HubSpotConnector(SubResources):
    """The CRM on HubSpot.

    Args:
        api: The HubSpot client (auth, retries, breaker).
        defaults: Currency, term in months and billing frequency where records hold none.
        app_secret: The app's client secret (webhook signatures).
        tolerance: Largest accepted webhook age in seconds.
    """

    name = "hubspot"

    def __init__(self, api: HubSpotApi, defaults: tuple[str, int, BillingFrequency], app_secret: str | None,
                 tolerance: int = 300) -> None:
        self.api, self.defaults, self.app_secret, self.tolerance = api, defaults, app_secret, tolerance
        self.contacts = HubSpotContacts(api)
        self.catalog = HubSpotCatalog(api, defaults[0], defaults[2])
        self.contracts = HubSpotContracts(api, self._deal, self._signed_amendments)

    async def aclose(self) -> None:
        await self.api.http.aclose()

    async def upsert_account(self, key: str, account: Customer) -> Customer:
        body = {"inputs": [{"idProperty": UNIQUE, "id": key, "properties": company_properties(account)}]}
        await self.api.post("/crm/v3/objects/companies/batch/upsert", body, repeatable=True)
        return await self.get_account(key)

    async def get_account(self, key: str) -> Customer:
        params = [("idProperty", UNIQUE), *[("properties", p) for p in COMPANY_PROPERTIES]]
        try:
            company = await self.api.get(f"/crm/v3/objects/companies/{quote(key, safe='')}", params)
        except CrmNotFound:
            raise CrmNotFound(f"No CRM account with key {key!r}; upsert it first (PUT /v1/accounts/{key}).",
                              code="account_missing") from None
        return customer_of(company, self.defaults[0])

    async def _deal(self, deal_id: str) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]],
                                                 Opportunity]:
        if not deal_id.isdigit():
            raise CrmNotFound(f"No deal {deal_id} in HubSpot (deal ids are numbers).", code="opportunity_missing")
        params = [*[("properties", p) for p in DEAL_PROPERTIES], ("associations", "companies"),
                  ("associations", "line_items")]
        try:
            deal = await self.api.get(f"/crm/v3/objects/deals/{deal_id}", params)
        except CrmNotFound:
            raise CrmNotFound(f"No deal {deal_id} in HubSpot.", code="opportunity_missing") from None
        links = deal.get("associations") or {}
        company_ids = sorted({r["id"] for r in (links.get("companies") or {}).get("results") or []})
        company = None
        if company_ids:
            company = await self.api.get(f"/crm/v3/objects/companies/{company_ids[0]}",
                                         [("properties", p) for p in COMPANY_PROPERTIES])
        line_ids = sorted({r["id"] for r in (links.get("line_items") or {}).get("results") or []})
        lines = await self._lines(line_ids)
        return deal, company, lines, opportunity_of(deal, company, lines, self.defaults)

    async def _lines(self, ids: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):  # batch read takes at most 100 inputs
            page = await self.api.post("/crm/v3/objects/line_items/batch/read",
                                       {"inputs": [{"id": i} for i in ids[start:start + 100]],
                                        "properties": list(LINE_PROPERTIES)}, repeatable=True)
            found += page.get("results") or []
        return found

    async def get_opportunity(self, opportunity_id: str) -> Opportunity:
        return (await self._deal(opportunity_id))[3]

    async def create_opportunity(self, key: str, opportunity: Opportunity) -> CreatedOpportunity:
        deal_id, created = await DealWriter(self.api).create(key, opportunity)
        return CreatedOpportunity(opportunity=await self.get_opportunity(deal_id), created=created)

    async def closed_deal(self, opportunity_id: str) -> ClosedDeal | None:
        deal, company, lines, opportunity = await self._deal(opportunity_id)
        if not opportunity.stage.is_closed or company is None:
            return None
        props = deal.get("properties") or {}
        closed = {"opportunity": opportunity, "version": opportunity.close_date.isoformat(),
                  "closed_at": opportunity.closed_at or datetime.combine(opportunity.close_date, time(0), UTC)}
        if opportunity.stage is OpportunityStage.CLOSED_LOST:
            return ClosedDeal(**closed, loss_reason=props.get("closed_lost_reason") or None)
        if props.get(AMENDS):
            return ClosedDeal(**closed, amendment=amendment_of(deal, lines, self.defaults))
        return ClosedDeal(**closed, customer=customer_of(company, self.defaults[0]))

    async def amendments_of(self, opportunity_id: str) -> list[Amendment]:
        await self._deal(opportunity_id)  # a 404 for an unknown deal
        return await self._signed_amendments(opportunity_id)

    async def _signed_amendments(self, opportunity_id: str) -> list[Amendment]:
        """The won amendment deals linked to a booked deal, in the order they take effect."""
        won = [stage for stage, canonical in STAGES.items() if canonical is OpportunityStage.CLOSED_WON]
        found = await self.api.search_all("deals", {
            "filterGroups": [{"filters": [{"propertyName": AMENDS, "operator": "EQ", "value": opportunity_id},
                                          {"propertyName": "dealstage", "operator": "IN", "values": won}]}],
            "properties": ["hs_object_id"]})
        amendments = []
        for result in found:
            deal, _, lines, _ = await self._deal(result["id"])
            amendments.append(amendment_of(deal, lines, self.defaults))
        return sorted(amendments, key=lambda a: (a.effective_date, str(a.signed_at), int(a.id or 0)))

    async def find_deals(self, stage: OpportunityStage, since: datetime | None) -> list[DealChange]:
        filters: list[dict[str, Any]] = [{"propertyName": "dealstage", "operator": "IN",
                                          "values": [k for k, v in STAGES.items() if v is stage]}]
        if since is not None:
            filters.append({"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": _ms(since)})
        results = await self.api.search_all("deals", {
            "filterGroups": [{"filters": filters}], "properties": ["hs_lastmodifieddate"],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]})
        return [DealChange(opportunity_id=r["id"], modified_at=instant(r["properties"]["hs_lastmodifieddate"]))
                for r in results]

    async def write_finance_status(self, opportunity_id: str, status: FinanceStatusV1) -> FinanceStatusResultV1:
        await self.get_opportunity(opportunity_id)
        present = await self._finance(opportunity_id)
        revenue = status.revenue_recognized
        if revenue is not None and revenue.currency != self._currency_of(present):
            raise VendorRefused(f"The deal is in {self._currency_of(present)}, not {revenue.currency}.",
                                slug="business-rule", code="currency_mismatch", retryable=False, owner="integration")
        values = {"invoice_status": status.invoice_status.value if status.invoice_status else "",
                  "subscription_id": status.subscription_id or "",
                  "revenue_recognized": decimal_text(revenue) if revenue else ""}
        props = {FINANCE_PROPERTIES[n]: values[n] for n in FINANCE_FIELDS if FINANCE_PROPERTIES[n] in present}
        if props:
            await self.api.patch(f"/crm/v3/objects/deals/{opportunity_id}", {"properties": props})
        return self._result(opportunity_id, await self._finance(opportunity_id))

    async def _finance(self, deal_id: str) -> dict[str, Any]:
        """The finance properties this portal has (requested properties it lacks are left out of the answer)."""
        params = [("properties", p) for p in (*FINANCE_PROPERTIES.values(), "deal_currency_code")]
        return (await self.api.get(f"/crm/v3/objects/deals/{deal_id}", params)).get("properties") or {}

    def _currency_of(self, props: dict[str, Any]) -> str:
        return str(props.get("deal_currency_code") or self.defaults[0])

    def _result(self, deal_id: str, props: dict[str, Any]) -> FinanceStatusResultV1:
        stored = [n for n in FINANCE_FIELDS if FINANCE_PROPERTIES[n] in props]
        revenue = props.get(FINANCE_PROPERTIES["revenue_recognized"])
        status = FinanceStatusV1(invoice_status=props.get(FINANCE_PROPERTIES["invoice_status"]) or None,
                                 subscription_id=props.get(FINANCE_PROPERTIES["subscription_id"]) or None,
                                 revenue_recognized=money_of(revenue, self._currency_of(props), "revenue")
                                 if revenue else None)
        return FinanceStatusResultV1(opportunity_id=deal_id, status=status, stored=stored,
                                     unsupported=[n for n in FINANCE_FIELDS if n not in stored])

    async def verify_notifications(self, headers: Mapping[str, str], body: bytes, url: str) -> list[Notification]:
        verify(headers, body, url, self.app_secret, tolerance=self.tolerance)
        return events_of(body)
