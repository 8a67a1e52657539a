"""Accounts: upserts by business key (``PUT``, naturally idempotent through the CRM's external-id upsert).

An account's contacts have their own routes (``_contacts``), so each is kept by its own key.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency

from contracts.parties import Customer
from services.runtime.auth.guards import requires
from services.system.crm.api import _examples
from services.system.crm.api._common import SERVICE, AccountKey, actor_of, body
from services.system.crm.service import CrmService

__all__ = ["AccountController"]


class AccountController(Controller):
    """CRM accounts (companies), known by revflow's business key."""

    path = "/accounts"
    tags = ["accounts"]
    dependencies = SERVICE

    @put("/{key:str}", operation_id="upsertAccountV1", guards=[requires("crm:write")],
         summary="Create or update the CRM account of a business key",
         description="Naturally idempotent: an upsert on the CRM's external-id field, so a repeat or a retry "
                     "leaves one account. The answer is what the CRM now holds (fields it has no place for, "
                     "such as tax ids, are not stored). Contacts are kept one by one under "
                     "`/v1/accounts/{key}/contacts`: `contacts` is neither written nor read here.")
    async def upsert(self, key: AccountKey,
                     data: Annotated[Customer, body("Account", _examples.ACCOUNT, "AccountUpsert")],
                     service: NamedDependency[CrmService], request: Request[Any, Any, Any]) -> Customer:
        return await service.upsert_account(key, data, actor_of(request))

    @get("/{key:str}", operation_id="getAccountV1", guards=[requires("crm:read")],
         summary="The CRM account of a business key")
    async def read(self, key: AccountKey, service: NamedDependency[CrmService]) -> Customer:
        return await service.get_account(key)
