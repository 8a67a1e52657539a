"""Salesforce Contracts -> canonical customer contracts.

The org's standard Contract is the contract: ``AccountId``, ``StartDate``, ``ContractTerm`` (months), the
``EndDate`` Salesforce derives from them (the term's last day, inclusive), ``Status`` (``Draft``, ``In Approval
Process``, ``Activated``), ``ContractNumber`` and, in a multi-currency org, ``CurrencyIsoCode``. The won deal that
produced it names it in the standard lookup ``Opportunity.ContractId``. Amendments link to that booked deal
(``Amended_Opportunity__c``, see ``_amendments``), so a contract's amendments are its deal's: the same list
``GET /v1/opportunities/{id}/amendments`` shows. When several won deals name one contract (an amendment whose
``ContractId`` sales also set, a deal booked into an existing contract), the earliest closed one that is not an
amendment is the deal that produced it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from contracts.common import System
from contracts.deals import Amendment, ContractStatus, CustomerContract, OpportunityStage
from services.system.crm.connectors.salesforce._amendments import AMENDED
from services.system.crm.connectors.salesforce._contacts import account_id
from services.system.crm.connectors.salesforce._mapping import stage_names
from services.system.crm.connectors.salesforce._wire import SalesforceApi, soql_text
from services.system.crm.errors import CrmNotFound, IncompleteCrmRecord

__all__ = ["STATUSES", "SalesforceContracts"]

STATUSES = {"Draft": ContractStatus.DRAFT, "In Approval Process": ContractStatus.IN_APPROVAL,
            "Activated": ContractStatus.ACTIVATED}
"""The org's contract status -> the canonical one."""
_CONTRACT_ID = re.compile(r"^800[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")
"""A Contract record id (key prefix ``800``, 15 or 18 characters)."""
_COLUMNS = "Id, ContractNumber, AccountId, Account.Revflow_Id__c, StartDate, EndDate, ContractTerm, Status"

AmendmentsOf = Callable[[list[str]], Awaitable[dict[str, list[Amendment]]]]
"""Booked deal ids -> the signed amendments of each (the connector's amendment query)."""
OrgShape = Callable[[], Awaitable[tuple[bool, bool]]]
"""Whether the org has multiple currencies, and whether its deals carry the amendment link."""


class SalesforceContracts:
    """Reads contracts (see the module docstring).

    Args:
        api: The Salesforce REST client.
        currency: The configured currency (of a single-currency org).
        amendments: The signed amendments of booked deals.
        org: What the org has (multiple currencies, the amendment link).
    """

    def __init__(self, api: SalesforceApi, currency: str, amendments: AmendmentsOf, org: OrgShape) -> None:
        self.api, self.currency, self.amendments, self.org = api, currency, amendments, org

    async def get(self, contract_id: str) -> CustomerContract:
        """One contract with its amendments (``CrmNotFound`` when the org has none of that id)."""
        found = await self._contracts(f"Id = {soql_text(contract_id)}") if _CONTRACT_ID.match(contract_id) else []
        if not found:
            raise CrmNotFound(f"No contract {contract_id} in Salesforce.", code="contract_missing")
        return found[0]

    async def of_account(self, account_key: str) -> list[CustomerContract]:
        """Every contract of the account, oldest start first."""
        account = await account_id(self.api, account_key)
        return await self._contracts(f"AccountId = {soql_text(account)}")

    async def _contracts(self, where: str) -> list[CustomerContract]:
        multi, amendable = await self.org()
        currency = ", CurrencyIsoCode" if multi else ""
        records = await self.api.query(f"SELECT {_COLUMNS}{currency} FROM Contract WHERE {where} "
                                       "ORDER BY StartDate, Id")
        if not records:
            return []
        deals = await self._deals([str(r["Id"]) for r in records], amendable)
        signed = await self.amendments(sorted(set(deals.values()))) if deals and amendable else {}
        return [self._contract(r, deals.get(str(r["Id"])), signed) for r in records]

    async def _deals(self, contract_ids: list[str], amendable: bool) -> dict[str, str]:
        """Contract id -> the won deal that produced it (the earliest closed that is no amendment)."""
        won = ", ".join(soql_text(name) for name in stage_names(OpportunityStage.CLOSED_WON))
        not_amendment = f" AND {AMENDED} = null" if amendable else ""
        records = await self.api.query(
            f"SELECT Id, ContractId FROM Opportunity WHERE ContractId IN "
            f"({', '.join(soql_text(i) for i in contract_ids)}) AND StageName IN ({won}){not_amendment} "
            "ORDER BY CloseDate, Id")
        deals: dict[str, str] = {}
        for record in records:
            deals.setdefault(str(record["ContractId"]), str(record["Id"]))
        return deals

    def _contract(self, record: dict[str, Any], deal: str | None,
                  signed: dict[str, list[Amendment]]) -> CustomerContract:
        status = STATUSES.get(record.get("Status") or "")
        if status is None or not record.get("StartDate"):
            raise IncompleteCrmRecord(f"Salesforce contract {record['Id']} needs a start date and a status revflow "
                                      f"knows ({', '.join(STATUSES)}); it has {record.get('Status')!r}.",
                                      code="contract_incomplete")
        account = record.get("Account") or {}
        return CustomerContract(
            id=str(record["Id"]), number=record.get("ContractNumber") or None,
            customer_id=account.get("Revflow_Id__c") or str(record["AccountId"]), opportunity_id=deal, status=status,
            start_date=date.fromisoformat(record["StartDate"]),
            end_date=date.fromisoformat(record["EndDate"]) if record.get("EndDate") else None,
            term_months=record.get("ContractTerm") or None,
            currency=str(record.get("CurrencyIsoCode") or self.currency),
            amendments=signed.get(deal, []) if deal else [], external_ids={System.CRM: str(record["Id"])})
