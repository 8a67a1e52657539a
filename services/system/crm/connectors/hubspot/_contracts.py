"""Customer contracts on HubSpot, which has no contract object: a won deal stands for the contract it produced.

The mapping, on the records the connector already reads for amendments:

- The contract of a booked deal is the deal itself: a deal at the default pipeline's ``closedwon`` stage that is
  no amendment (it has no ``revflow_amends_deal_id``). Its id is the deal's id (``GET /v1/contracts/{deal id}``),
  as ``opportunity_id`` says; HubSpot numbers no contracts, so ``number`` is null. A won renewal deal is the
  contract of the term it starts. An open or lost deal, or an amendment deal, is no contract (404).
- Status: ``activated``: a deal is won when the customer signed.
- Term: the deal's line items carry it (service start and end, mapped as on every line item): the contract
  starts with the earliest service start and ends with the latest service end, and ``term_months`` is set when
  that span is whole months. A deal without line items runs from its close date with no fixed end.
- Amendments: the won amendment deals that link to it (``revflow_amends_deal_id``), as its amendment list shows.
- Customer and currency: the deal's company (by revflow's key) and the deal's currency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from contracts.common import System
from contracts.deals import Amendment, ContractStatus, CustomerContract, Opportunity, OpportunityStage
from services.system.crm.connectors._shared import whole_months
from services.system.crm.connectors.hubspot._amendments import AMENDS
from services.system.crm.connectors.hubspot._contacts import company_id
from services.system.crm.connectors.hubspot._mapping import STAGES
from services.system.crm.connectors.hubspot._wire import HubSpotApi
from services.system.crm.errors import CrmNotFound

__all__ = ["HubSpotContracts"]

DealOf = Callable[[str], Awaitable[tuple[dict[str, Any], Any, Any, Opportunity]]]
"""A deal id -> the deal record, its company, its line items and the canonical opportunity."""
AmendmentsOf = Callable[[str], Awaitable[list[Amendment]]]
"""A booked deal id -> its signed amendments, in the order they take effect."""


def _is_contract(deal: dict[str, Any]) -> bool:
    props = deal.get("properties") or {}
    return STAGES.get(props.get("dealstage") or "") is OpportunityStage.CLOSED_WON and not props.get(AMENDS)


class HubSpotContracts:
    """Reads contracts (see the module docstring).

    Args:
        api: The HubSpot client.
        deal_of: Reads one deal with its company and line items.
        amendments_of: Reads the signed amendments of a booked deal.
    """

    def __init__(self, api: HubSpotApi, deal_of: DealOf, amendments_of: AmendmentsOf) -> None:
        self.api, self.deal_of, self.amendments_of = api, deal_of, amendments_of

    async def get(self, contract_id: str) -> CustomerContract:
        """The contract of a won deal (``CrmNotFound`` for any other id)."""
        missing = CrmNotFound(f"No contract {contract_id} in HubSpot: a contract is a won deal that is no "
                              "amendment, known by the deal's id.", code="contract_missing")
        try:
            deal, _, _, opportunity = await self.deal_of(contract_id)
        except CrmNotFound:
            raise missing from None
        if not _is_contract(deal):
            raise missing
        return await self._contract(opportunity)

    async def of_account(self, account_key: str) -> list[CustomerContract]:
        """Every contract of the company, oldest start first."""
        company = await company_id(self.api, account_key)
        deal_ids = await self.api.associated("companies", company, "deals")
        deals = await self.api.read_batch("deals", deal_ids, ["dealstage", AMENDS])
        found = [await self._contract((await self.deal_of(str(d["id"])))[3]) for d in deals if _is_contract(d)]
        return sorted(found, key=lambda c: (c.start_date, int(c.id or 0)))

    async def _contract(self, opportunity: Opportunity) -> CustomerContract:
        deal = str(opportunity.id)
        start = min((line.service_start for line in opportunity.lines), default=opportunity.close_date)
        end = max((line.service_end for line in opportunity.lines), default=None)
        return CustomerContract(
            id=deal, customer_id=opportunity.customer_id, opportunity_id=deal, status=ContractStatus.ACTIVATED,
            start_date=start, end_date=end, term_months=whole_months(start, end) if end else None,
            currency=opportunity.currency, amendments=await self.amendments_of(deal),
            external_ids={System.CRM: deal})
