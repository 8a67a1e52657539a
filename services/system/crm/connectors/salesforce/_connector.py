"""``SalesforceConnector``: the CRM port over Salesforce REST v62.0 (SOQL, external-id upserts, describe).

Contacts, the catalogue and contracts are read and written by their own modules (``_contacts``, ``_catalog``,
``_contracts``); this one routes the port to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any, NamedTuple
from urllib.parse import quote

from contracts.billing import InvoiceStatus
from contracts.deals import Amendment, Opportunity, OpportunityStage
from contracts.parties import Customer
from services.system.crm.connectors._shared import SubResources, decimal_text, money_of
from services.system.crm.connectors.salesforce._amendments import (
    AMENDED,
    AMENDMENT_LINE_COLUMNS,
    OPPORTUNITY_COLUMNS,
    amendment_of,
)
from services.system.crm.connectors.salesforce._catalog import SalesforceCatalog
from services.system.crm.connectors.salesforce._contacts import SalesforceContacts
from services.system.crm.connectors.salesforce._contracts import SalesforceContracts
from services.system.crm.connectors.salesforce._create import OpportunityWriter
from services.system.crm.connectors.salesforce._mapping import (
    ACCOUNT_FIELDS,
    LINE_COLUMNS,
    LineDefaults,
    account_fields,
    customer_of,
    instant,
    opportunity_of,
    stage_names,
)
from services.system.crm.connectors.salesforce._outbound import parse_notifications
from services.system.crm.connectors.salesforce._wire import BASE, SalesforceApi, soql_text
from services.system.crm.errors import CrmNotFound, IncompleteCrmRecord, VendorRefused
from services.system.crm.ports import ClosedDeal, CreatedOpportunity, DealChange, Notification
from services.system.crm.schemas import FINANCE_FIELDS, FinanceStatusResultV1, FinanceStatusV1

__all__ = ["FINANCE_COLUMNS", "INVOICE_STATUSES", "SalesforceConnector"]

EXTERNAL_ID = "Revflow_Id__c"
# Canonical finance field -> the custom Opportunity field an org prepared for revflow carries.
FINANCE_COLUMNS = {"invoice_status": "Revflow_Invoice_Status__c", "subscription_id": "Revflow_Subscription_Id__c",
                   "revenue_recognized": "Revflow_Revenue_Recognized__c"}
INVOICE_STATUSES = {status: status.value.capitalize() for status in InvoiceStatus}
"""Canonical invoice status -> the value of the org's ``Revflow_Invoice_Status__c`` picklist (``paid`` -> ``Paid``)."""


class _OrgFields(NamedTuple):
    """The optional revflow fields this org has (read with ``describe``)."""

    finance: dict[str, str]
    """Canonical finance field -> its Opportunity field."""
    opportunity: tuple[str, ...]
    """Renewal, amendment and loss fields on Opportunity."""
    line: tuple[str, ...]
    """Service end, billing frequency and amendment fields on OpportunityLineItem."""
    keyed: bool
    """Whether Opportunity and OpportunityLineItem carry the ``Revflow_Id__c`` external id (needed to create deals)."""
    currencies: tuple[str, ...]
    """The active currencies of a multi-currency org (``CurrencyIsoCode`` values); none in a single-currency org."""


CURRENCY = "CurrencyIsoCode"


def _account_soql(fields: _OrgFields, where: str) -> str:
    columns = (*ACCOUNT_FIELDS, CURRENCY) if fields.currencies else ACCOUNT_FIELDS
    return f"SELECT {', '.join(columns)} FROM Account WHERE {where}"


def _opportunity_soql(fields: _OrgFields, where: str) -> str:
    keyed = (EXTERNAL_ID,) if fields.keyed else ()
    currency = (CURRENCY,) if fields.currencies else ()
    extra, line_extra = ("".join(f", {column}" for column in columns)
                         for columns in ((*fields.opportunity, *keyed, *currency), fields.line))
    return (f"SELECT Id, Name, StageName, CloseDate, Description, AccountId, Account.Revflow_Id__c, LastModifiedDate"
            f"{extra}, (SELECT Id, SortOrder, Quantity, UnitPrice, ListPrice, Discount, ServiceDate, Description"
            f"{line_extra}, Product2.ProductCode FROM OpportunityLineItems) FROM Opportunity WHERE {where}")


def _invoice_status(value: Any, opportunity_id: str) -> InvoiceStatus | None:
    if not value:
        return None
    try:
        return InvoiceStatus(str(value).lower())
    except ValueError:
        raise IncompleteCrmRecord(f"Salesforce opportunity {opportunity_id} has invoice status {value!r}, which "
                                  "revflow does not know.", code="opportunity_incomplete") from None


def _soql_instant(moment: datetime) -> str:
    # Whole seconds, rounded down: the bound only widens, and the publisher's dedupe absorbs the overlap.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceConnector(SubResources):
    """The CRM on Salesforce.

    Args:
        api: The Salesforce REST client (auth, retries, breaker).
        defaults: Currency, term and frequency where the org's records hold none.
        organization_id: The org id Outbound Messages must carry.
    """

    name = "salesforce"

    def __init__(self, api: SalesforceApi, defaults: LineDefaults, organization_id: str | None) -> None:
        self.api, self.defaults, self.organization_id = api, defaults, organization_id
        self._org_fields: _OrgFields | None = None
        self.contacts = SalesforceContacts(api)
        self.catalog = SalesforceCatalog(api, defaults)
        self.contracts = SalesforceContracts(api, defaults.currency, self._amendments_of_deals, self._contract_org)

    async def aclose(self) -> None:
        await self.api.http.aclose()

    async def upsert_account(self, key: str, account: Customer) -> Customer:
        currencies = (await self._fields()).currencies
        await self.api.upsert("Account", EXTERNAL_ID, key, account_fields(account, currencies))
        return await self.get_account(key)

    async def get_account(self, key: str) -> Customer:
        records = await self.api.query(_account_soql(await self._fields(), f"{EXTERNAL_ID} = {soql_text(key)}"))
        if not records:
            raise CrmNotFound(f"No CRM account with key {key!r}; upsert it first (PUT /v1/accounts/{key}).",
                              code="account_missing")
        return customer_of(records[0], self.defaults.currency)

    async def _contract_org(self) -> tuple[bool, bool]:
        fields = await self._fields()
        return bool(fields.currencies), AMENDED in fields.opportunity

    async def _opportunity(self, opportunity_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], Opportunity]:
        records = await self.api.query(_opportunity_soql(await self._fields(), f"Id = {soql_text(opportunity_id)}"))
        if not records:
            raise CrmNotFound(f"No opportunity {opportunity_id} in Salesforce.", code="opportunity_missing")
        record = records[0]
        lines = await self.api.children(record.get("OpportunityLineItems"))
        return record, lines, opportunity_of(record, lines, self.defaults)

    async def get_opportunity(self, opportunity_id: str) -> Opportunity:
        return (await self._opportunity(opportunity_id))[2]

    async def create_opportunity(self, key: str, opportunity: Opportunity) -> CreatedOpportunity:
        fields = await self._fields()
        if not fields.keyed:
            raise VendorRefused(f"The Salesforce org has no {EXTERNAL_ID} external id on Opportunity and "
                                "OpportunityLineItem, so a deal cannot be created without risking a duplicate; an "
                                "admin adds the field (text, unique, external id) to both.", slug="business-rule",
                                code="org_not_prepared", retryable=False, owner="integration")
        writer = OpportunityWriter(self.api, fields.currencies or (self.defaults.currency,), fields.line,
                                   multi_currency=bool(fields.currencies))
        opportunity_id, created = await writer.create(key, opportunity)
        return CreatedOpportunity(opportunity=await self.get_opportunity(opportunity_id), created=created)

    async def closed_deal(self, opportunity_id: str) -> ClosedDeal | None:
        record, lines, opportunity = await self._opportunity(opportunity_id)
        if not opportunity.stage.is_closed:
            return None
        closed = {"opportunity": opportunity, "closed_at": datetime.combine(opportunity.close_date, time(0), UTC),
                  "version": opportunity.close_date.isoformat()}
        if opportunity.stage is OpportunityStage.CLOSED_LOST:
            return ClosedDeal(**closed, loss_reason=record.get("Loss_Reason__c") or None)
        if record.get(AMENDED):
            return ClosedDeal(**closed, amendment=amendment_of(record, lines, self.defaults))
        accounts = await self.api.query(_account_soql(await self._fields(), f"Id = {soql_text(record['AccountId'])}"))
        if not accounts:
            raise CrmNotFound(f"Opportunity {opportunity_id} names account {record['AccountId']}, which is gone.",
                              code="account_missing")
        return ClosedDeal(**closed, customer=customer_of(accounts[0], self.defaults.currency))

    async def amendments_of(self, opportunity_id: str) -> list[Amendment]:
        deal = str((await self._opportunity(opportunity_id))[0]["Id"])  # a 404 for an unknown deal; 18 characters
        return (await self._amendments_of_deals([deal])).get(deal, [])

    async def _amendments_of_deals(self, deal_ids: list[str]) -> dict[str, list[Amendment]]:
        """The signed amendments of each booked deal, in the order they take effect."""
        fields = await self._fields()
        if AMENDED not in fields.opportunity or not deal_ids:
            return {}  # an org without the amendment link has no amendments revflow can read
        won = ", ".join(soql_text(name) for name in stage_names(OpportunityStage.CLOSED_WON))
        deals = ", ".join(soql_text(deal) for deal in deal_ids)
        records = await self.api.query(_opportunity_soql(fields, f"{AMENDED} IN ({deals}) AND StageName IN ({won})"))
        found: dict[str, list[Amendment]] = {}
        for record in records:
            amendment = amendment_of(record, await self.api.children(record.get("OpportunityLineItems")),
                                     self.defaults)
            found.setdefault(amendment.opportunity_id, []).append(amendment)
        return {deal: sorted(listed, key=lambda a: (a.effective_date, str(a.signed_at), a.id or ""))
                for deal, listed in found.items()}

    async def find_deals(self, stage: OpportunityStage, since: datetime | None) -> list[DealChange]:
        names = ", ".join(soql_text(name) for name in stage_names(stage))
        where = f"StageName IN ({names})"
        if since is not None:
            where += f" AND LastModifiedDate >= {_soql_instant(since)}"
        records = await self.api.query(f"SELECT Id, LastModifiedDate FROM Opportunity WHERE {where} "
                                       "ORDER BY LastModifiedDate, Id")
        return [DealChange(opportunity_id=r["Id"], modified_at=instant(r["LastModifiedDate"])) for r in records]

    async def write_finance_status(self, opportunity_id: str, status: FinanceStatusV1) -> FinanceStatusResultV1:
        """Write the finance fields and read them back in one composite call; an unknown deal is a 404.

        A multi-currency org's deal currency is read first when an amount must match it (two calls then).
        """
        fields = await self._fields()
        columns = fields.finance
        currency = self.defaults.currency
        if status.revenue_recognized and fields.currencies:
            currency = str((await self.api.get(f"/sobjects/Opportunity/{quote(opportunity_id, safe='')}",
                                               {"fields": "CurrencyIsoCode"})).get("CurrencyIsoCode") or currency)
        values = {"invoice_status": INVOICE_STATUSES[status.invoice_status] if status.invoice_status else None,
                  "subscription_id": status.subscription_id,
                  "revenue_recognized": decimal_text(status.revenue_recognized) if status.revenue_recognized
                  else None}
        if status.revenue_recognized and status.revenue_recognized.currency != currency:
            raise VendorRefused(f"The deal is in {currency}, not {status.revenue_recognized.currency}.",
                                slug="business-rule", code="currency_mismatch", retryable=False, owner="integration")
        record = {columns[name]: values[name] for name in FINANCE_FIELDS if name in columns}
        stored = [name for name in FINANCE_FIELDS if name in columns]
        path = f"{BASE}/sobjects/Opportunity/{quote(opportunity_id, safe='')}"
        read = ",".join(["Id", *(columns[n] for n in stored), *(["CurrencyIsoCode"] if fields.currencies else [])])
        subrequests = [*([{"method": "PATCH", "url": path, "referenceId": "write", "body": record}] if record else []),
                       {"method": "GET", "url": f"{path}?fields={read}", "referenceId": "read"}]
        try:
            replies = await self.api.composite(subrequests, key=f"Opportunity:{opportunity_id}:finance")
        except CrmNotFound:
            raise CrmNotFound(f"No opportunity {opportunity_id} in Salesforce.", code="opportunity_missing") from None
        back = replies[-1] if replies else None
        if not isinstance(back, dict):
            raise VendorRefused("Salesforce answered the finance-status write without the record.",
                                slug="upstream-failed", code="composite_unanswered", retryable=True,
                                owner="integration")
        return self._finance_result(opportunity_id, {name: back.get(columns[name]) for name in stored},
                                    str(back.get("CurrencyIsoCode") or currency), stored)

    @staticmethod
    def _finance_result(opportunity_id: str, back: dict[str, Any], currency: str,
                        stored: list[str]) -> FinanceStatusResultV1:
        revenue = back.get("revenue_recognized")
        status = FinanceStatusV1(invoice_status=_invoice_status(back.get("invoice_status"), opportunity_id),
                                 subscription_id=back.get("subscription_id"),
                                 revenue_recognized=money_of(revenue, currency, "revenue")
                                 if revenue is not None else None)
        return FinanceStatusResultV1(opportunity_id=opportunity_id, status=status, stored=stored,
                                     unsupported=[n for n in FINANCE_FIELDS if n not in stored])

    async def _fields(self) -> _OrgFields:
        """The optional revflow fields this org has, on Opportunity and on its lines.

        Finance, renewal, amendment and loss fields on Opportunity; service end, frequency and amendment fields on
        lines; the active currencies of a multi-currency org. Read with ``describe`` once per connector; an org without
        them gets ``unsupported`` finance fields, the configured default term and frequency on lines, no renewals or
        amendments, and the configured currency.
        """
        if self._org_fields is None:
            opportunity = await self._described("Opportunity")
            line = await self._described("OpportunityLineItem")
            currencies = tuple(str(v["value"]) for v in (opportunity.get(CURRENCY) or {}).get("picklistValues") or []
                               if v.get("active", True))
            self._org_fields = _OrgFields({k: v for k, v in FINANCE_COLUMNS.items() if v in opportunity},
                                          tuple(column for column in OPPORTUNITY_COLUMNS if column in opportunity),
                                          tuple(c for c in (*LINE_COLUMNS, *AMENDMENT_LINE_COLUMNS) if c in line),
                                          EXTERNAL_ID in opportunity and EXTERNAL_ID in line, currencies)
        return self._org_fields

    async def _described(self, sobject: str) -> dict[str, dict[str, Any]]:
        """The fields of an sObject by name, as ``describe`` reports them."""
        described = await self.api.get(f"/sobjects/{sobject}/describe")
        return {str(f.get("name")): f for f in described.get("fields") or []}

    async def verify_notifications(self, headers: Mapping[str, str], body: bytes, url: str) -> list[Notification]:
        return parse_notifications(body, self.organization_id)


