"""Domain logic of the CRM API, vendor-agnostic: it depends on ``ports.CrmConnector`` only.

Writes are upserts by business key (accounts) or by record id (finance status), idempotent by nature at
the vendor, and each is appended to the hash-chained audit stream. Deal events (closed-won, renewed,
amended, lost) come from ``publisher.ClosedDealPublisher``, fed by both push and pull.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from contracts.deals import Amendment, Opportunity, OpportunityStage
from contracts.parties import Customer
from services.runtime.audit import AuditLog
from services.runtime.correlation import current_correlation_id
from services.system.crm.ports import CrmConnector
from services.system.crm.publisher import ClosedDealPublisher, Pull
from services.system.crm.schemas import ClosedLostSyncV1, ClosedWonSyncV1, FinanceStatusResultV1, FinanceStatusV1

__all__ = ["CrmService"]


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

    async def get_opportunity(self, opportunity_id: str) -> Opportunity:
        return await self.connector.get_opportunity(opportunity_id)

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
