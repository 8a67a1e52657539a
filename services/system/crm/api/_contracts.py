"""Customer contracts: the contract a won deal produced, with its signed amendments, read by id or per account.

Finance looks a contract up by the customer, not by the deal: a customer holds several contracts over time (the
first booking, each renewal), each amended mid-term, and billing, revenue recognition and renewals all ask "what
is this customer contracted for?". So contracts are listed per account (``GET /v1/accounts/{key}/contracts``), and
each names the deal that produced it (``opportunity_id``) for the way back to the booking; a deal produces at
most one contract, so a list per opportunity would hold one entry at most.
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from contracts.deals import CustomerContract
from services.runtime.auth.guards import requires
from services.system.crm.api import _examples
from services.system.crm.api._common import SERVICE, AccountKey, ContractId
from services.system.crm.schemas import ContractListV1
from services.system.crm.service import CrmService

__all__ = ["ContractController"]

_MAPPING = ("Salesforce: the Contract record (`StartDate`, `ContractTerm`, `EndDate`, `Status`, `ContractNumber`), "
            "produced by the won opportunity whose `ContractId` names it. HubSpot has no contract object: a won deal "
            "that is no amendment stands for its contract (the contract id is the deal id, the term spans its line "
            "items' service periods, the status is `activated`). Amendments are the signed amendments of the "
            "producing deal, in the order they take effect.")


class ContractController(Controller):
    """Contracts with customers, as the CRM holds them."""

    path = "/"
    tags = ["contracts"]
    dependencies = SERVICE

    @get("/contracts/{contract_id:str}", operation_id="getContractV1", guards=[requires("crm:read")],
         summary="A contract with its signed amendments",
         description=f"404 (`contract_missing`) when the CRM holds no contract of that id. {_MAPPING}",
         responses={200: ResponseSpec(CustomerContract, description="The contract, with its signed amendments",
                                      examples=[Example(summary="A Salesforce contract amended once",
                                                        value=_examples.CONTRACT)])})
    async def read(self, contract_id: ContractId, service: NamedDependency[CrmService]) -> CustomerContract:
        return await service.get_contract(contract_id)

    @get("/accounts/{key:str}/contracts", operation_id="listAccountContractsV1", guards=[requires("crm:read")],
         summary="Every contract of an account, oldest start first (every CRM page read)",
         description=f"404 (`account_missing`) when the CRM has no account of that key. {_MAPPING}")
    async def list_contracts(self, key: AccountKey, service: NamedDependency[CrmService]) -> ContractListV1:
        return ContractListV1(data=await service.list_contracts(key))
