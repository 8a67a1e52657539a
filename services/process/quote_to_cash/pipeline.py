"""The pipeline: workflows grouped into deals, and the board that keeps those rows current cheaply.

A deal's business status is the status of its oldest unfinished workflow (the one everything after it waits
for), or of its latest workflow when all have finished.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Summary

if TYPE_CHECKING:
    from services.process.quote_to_cash.saga import WorkflowStore

__all__ = ["NOT_ABOUT_A_DEAL", "DealBoard", "DealSummaryV1", "deal_of", "deal_rows"]


class DealSummaryV1(msgspec.Struct, frozen=True, kw_only=True):
    """One deal in the pipeline."""

    opportunity_id: str
    customer: str | None = None
    business_status: BusinessStatus
    owner: ExceptionOwner | None = None
    """Who must act, when the deal waits for a person."""
    current_workflow: str
    workflows: int
    updated_at: str


NOT_ABOUT_A_DEAL = frozenset({"period_close", "reconciliation", "order", "slo_breach"})
"""Workflow kinds whose subject is a period, a run or an order, not a deal."""


def deal_of(subject: str) -> str:
    """The deal a workflow subject belongs to (``<deal>:term-end`` waits apart from the deal's queue)."""
    return subject.split(":", 1)[0]


def deal_rows(rows: list[Summary]) -> list[DealSummaryV1]:
    """Group workflow index rows by deal into pipeline rows."""
    by_deal: dict[str, list[Summary]] = {}
    for row in rows:
        if row.kind not in NOT_ABOUT_A_DEAL:
            by_deal.setdefault(deal_of(row.subject), []).append(row)
    deals = []
    for subject, flows in by_deal.items():
        flows.sort(key=lambda r: (r.created_at, r.id))
        open_ = [r for r in flows if not r.state.is_terminal]
        current = open_[0] if open_ else flows[-1]
        deals.append(DealSummaryV1(
            opportunity_id=subject, customer=next((r.customer for r in flows if r.customer), None),
            business_status=current.business_status, owner=current.owner, current_workflow=current.id,
            workflows=len(flows), updated_at=max(r.updated_at for r in flows).isoformat()))
    return deals


class DealBoard:
    """This process's pipeline rows, regrouped on each read only for the deals whose workflows changed.

    Grouping ten thousand deals' workflows costs tens of milliseconds; a read regroups the few deals whose
    index rows the index mirror replaced since the last read (it replaces a row's object when the row
    changes, so identity tells what changed).
    """

    def __init__(self, store: WorkflowStore) -> None:
        self._store = store
        self._seen: dict[str, Summary] = {}
        self._flows: dict[str, dict[str, Summary]] = {}
        self._rows: dict[str, DealSummaryV1] = {}
        self._latest: dict[str, datetime] = {}
        self._lock = asyncio.Lock()

    async def rows(self) -> list[DealSummaryV1]:
        """Every deal's pipeline row, as of now."""
        async with self._lock:
            index = await self._store.rows_by_id()
            dirty: set[str] = set()
            for workflow_id, row in index.items():
                if self._seen.get(workflow_id) is not row:
                    self._place(workflow_id, row, dirty)
            for workflow_id in self._seen.keys() - index.keys():
                self._place(workflow_id, None, dirty)
            for deal in dirty:
                flows = self._flows.get(deal)
                if flows:
                    [self._rows[deal]] = deal_rows(list(flows.values()))
                    self._latest[deal] = max(r.updated_at for r in flows.values())
                else:
                    self._flows.pop(deal, None)
                    self._rows.pop(deal, None)
                    self._latest.pop(deal, None)
            return list(self._rows.values())

    async def activity(self) -> dict[str, datetime]:
        """When each deal's workflows last changed (what its finance figures may have moved with)."""
        await self.rows()
        return dict(self._latest)

    def _place(self, workflow_id: str, row: Summary | None, dirty: set[str]) -> None:
        old = self._seen.pop(workflow_id, None)
        if old is not None and old.kind not in NOT_ABOUT_A_DEAL:
            deal = deal_of(old.subject)
            self._flows.get(deal, {}).pop(workflow_id, None)
            dirty.add(deal)
        if row is None:
            return
        self._seen[workflow_id] = row
        if row.kind not in NOT_ABOUT_A_DEAL:
            deal = deal_of(row.subject)
            self._flows.setdefault(deal, {})[workflow_id] = row
            dirty.add(deal)
