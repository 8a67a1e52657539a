"""Domain logic of the CRM API, vendor-agnostic: it depends on ``ports.CrmConnector`` only.

Writes are upserts by business key (accounts and their contacts), by record id (finance status) or by revflow's
key of a new opportunity, idempotent at the vendor, and each is appended to the hash-chained audit stream. The
catalogue and contracts are read only: the CRM's users keep them. Deal events
(closed-won, renewed, amended, lost) come from ``publisher.ClosedDealPublisher``, fed by both push and pull; an
opportunity created here is announced the same way, once the CRM reports it closed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import msgspec

from contracts.common import System
from contracts.deals import Amendment, CustomerContract, Opportunity, OpportunityStage
from contracts.parties import Contact, Customer
from contracts.problems import FieldError
from services.runtime.audit import AuditLog
from services.runtime.correlation import current_correlation_id
from services.runtime.problems import ServiceError
from services.system.crm.errors import OpportunityRefused
from services.system.crm.ports import CreatedOpportunity, CrmConnector
from services.system.crm.publisher import ClosedDealPublisher, Pull
from services.system.crm.schemas import (
    CatalogItemV1,
    ClosedLostSyncV1,
    ClosedWonSyncV1,
    FinanceStatusResultV1,
    FinanceStatusV1,
)

__all__ = ["CrmService", "opportunity_key"]

_ACCOUNT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
"""What an account's business key looks like (the ``PUT /v1/accounts/{key}`` path parameter)."""
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}$")
"""A revflow id the CRM can hold as it is, with room for the ``#<n>`` of each line's key."""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


def opportunity_key(opportunity: Opportunity, idempotency_key: str | None, actor: str) -> str:
    """revflow's key of a new opportunity at the CRM (its external id there).

    The caller's ``external_ids.revflow`` (the order intake's workflow id), so every retry of the same booking
    finds the same record whatever key it carries; else derived from the caller and its ``Idempotency-Key``.
    An id the CRM cannot hold as it is (odd characters, too long) is replaced by a digest of itself.
    """
    given = opportunity.external_ids.get(System.REVFLOW)
    if given is not None:
        return given if _PLAIN_KEY.match(given) else f"revflow:{_digest(given)}"
    if idempotency_key:
        return f"idem:{_digest(actor, idempotency_key)}"
    raise ServiceError("Creating an opportunity needs an Idempotency-Key or external_ids.revflow, so a retry "
                       "cannot book it twice.", slug="validation", errors=[
                           FieldError(field="Idempotency-Key", source="header",
                                      message="required unless external_ids.revflow names the opportunity")])


def _check_new(opportunity: Opportunity) -> None:
    """Refuse, before the CRM is called, what no CRM can book (400 naming each field)."""
    errors = [FieldError(field=f"lines.{i}.quantity", source="body", message="a booked line sells at least one unit")
              for i, line in enumerate(opportunity.lines) if line.quantity < 1]
    if not opportunity.lines:
        errors.append(FieldError(field="lines", source="body", message="an opportunity is booked with at least one "
                                                                       "line"))
    if opportunity.renews_opportunity_id is not None:
        errors.append(FieldError(field="renews_opportunity_id", source="body",
                                 message="renewals are entered in the CRM, not created through this API"))
    if errors:
        raise ServiceError(f"The opportunity cannot be booked: {'; '.join(f'{e.field}: {e.message}' for e in errors)}",
                           slug="validation", errors=errors)
    if not _ACCOUNT_KEY.match(opportunity.customer_id):
        raise OpportunityRefused(f"No CRM account with key {opportunity.customer_id!r}: account keys look like "
                                 "ACME-001; upsert the account first (PUT /v1/accounts/{key}).",
                                 field="customer_id", code="account_missing")


class CrmService:
    """Canonical CRM operations over the configured vendor."""

    def __init__(self, connector: CrmConnector, audit: AuditLog, publisher: ClosedDealPublisher) -> None:
        self.connector, self.audit, self.publisher = connector, audit, publisher

    async def upsert_account(self, key: str, account: Customer, actor: str) -> Customer:
        result = await self.connector.upsert_account(key, account)
        await self._record(actor, "account.upserted", key, result)
        return result

    async def get_account(self, key: str) -> Customer:
        return await self.connector.get_account(key)

    async def upsert_contact(self, account_key: str, key: str, contact: Contact, actor: str) -> Contact:
        if not contact.name.strip():
            raise ServiceError("A contact needs a name.", slug="validation", errors=[
                FieldError(field="name", source="body", message="a name that is not only spaces")])
        result = await self.connector.upsert_contact(account_key, key, contact)
        await self._record(actor, "contact.upserted", f"{account_key}/{key}", result)
        return result

    async def list_contacts(self, account_key: str) -> list[Contact]:
        return await self.connector.list_contacts(account_key)

    async def list_products(self) -> list[CatalogItemV1]:
        return await self.connector.list_products()

    async def get_product(self, sku: str) -> CatalogItemV1:
        return await self.connector.get_product(sku)

    async def get_contract(self, contract_id: str) -> CustomerContract:
        return await self.connector.get_contract(contract_id)

    async def list_contracts(self, account_key: str) -> list[CustomerContract]:
        return await self.connector.list_contracts(account_key)

    async def get_opportunity(self, opportunity_id: str) -> Opportunity:
        return await self.connector.get_opportunity(opportunity_id)

    async def create_opportunity(self, opportunity: Opportunity, idempotency_key: str | None,
                                 actor: str) -> CreatedOpportunity:
        _check_new(opportunity)
        key = opportunity_key(opportunity, idempotency_key, actor)
        result = await self.connector.create_opportunity(key, opportunity)
        await self._record(actor, "opportunity.created" if result.created else "opportunity.completed",
                           result.opportunity.id or key, result.opportunity)
        return result

    async def list_opportunities(self, stage: OpportunityStage, since: datetime | None) -> list[Opportunity]:
        changes = await self.connector.find_deals(stage, since)
        return [await self.connector.get_opportunity(change.opportunity_id) for change in changes]

    async def list_amendments(self, opportunity_id: str) -> list[Amendment]:
        return await self.connector.amendments_of(opportunity_id)

    async def write_finance_status(self, opportunity_id: str, status: FinanceStatusV1,
                                   actor: str) -> FinanceStatusResultV1:
        result = await self.connector.write_finance_status(opportunity_id, status)
        await self._record(actor, "opportunity.finance_status_written", opportunity_id, result)
        return result

    async def sync_closed_won(self) -> ClosedWonSyncV1:
        return ClosedWonSyncV1(**_sync_fields(await self.publisher.sync(OpportunityStage.CLOSED_WON)))

    async def sync_closed_lost(self) -> ClosedLostSyncV1:
        return ClosedLostSyncV1(**_sync_fields(await self.publisher.sync(OpportunityStage.CLOSED_LOST)))

    async def _record(self, actor: str, action: str, subject: str, after: Any) -> None:
        await self.audit.append(actor=actor, action=f"crm.{action}", subject=subject, before=None,
                                after=msgspec.to_builtins(after), correlation_id=current_correlation_id())


def _sync_fields(pull: Pull) -> dict[str, Any]:
    return {"examined": pull.examined, "published": pull.published, "incomplete": pull.incomplete,
            "watermark": pull.watermark.isoformat() if pull.watermark else None}
