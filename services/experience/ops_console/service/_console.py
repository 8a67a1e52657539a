"""``ConsoleService``: what each page and API route needs, read from the process API and shaped for people.

Reads go to the process API with the console's own token; requests people make (resume, retry, cancel,
replay, close, reconcile) are checked against ``access`` first, sent with the person's Idempotency-Key, and
appended to the hash-chained audit stream under the person's name (the process API records the console's
client id, not the person).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from redis.asyncio import Redis

from services.experience.ops_console.access import Person
from services.experience.ops_console.clients import ActionOutcome, NotFoundError, ProcessApi
from services.experience.ops_console.schemas import (
    CatalogueApiDetailV1,
    CatalogueV1,
    CloseV1,
    DealPageV1,
    DealRowV1,
    DealStatusV1,
    ExceptionQueueV1,
    KpisV1,
    PipelineV1,
    ReconciliationV1,
    RevenueV1,
    SlosV1,
    SystemOfRecordV1,
)
from services.experience.ops_console.service._close import reconciliation
from services.experience.ops_console.service._deal import deal_page, revision
from services.experience.ops_console.service._governance import (
    catalogue,
    catalogue_api,
    kpi_report,
    slo_report,
    system_of_record,
)
from services.experience.ops_console.service._queue import exception_queue
from services.experience.ops_console.service._revenue import previous_period, revenue
from services.experience.ops_console.settings import OpsConsoleSettings
from services.runtime.audit import AuditLog
from services.runtime.redis import KeySpace

__all__ = ["ActionRefusedError", "ConsoleService"]

T = TypeVar("T")
_PARALLEL = 8
_SEARCH_SUBJECTS = 10
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
_NOT_DEALS = ("period_close", "reconciliation")
_FINISHED = ("succeeded", "compensated")
_SETTLED = (*_FINISHED, "parked", "dead_lettered")
"""Workflow kinds whose subject is not a deal."""


class ActionRefusedError(PermissionError):
    """The person's roles do not allow the action (on this exception)."""


def _now() -> datetime:
    return datetime.now(UTC)


class ConsoleService:
    """The console's use cases over the process API."""

    def __init__(self, api: ProcessApi, redis: Redis, keyspace: KeySpace, settings: OpsConsoleSettings,
                 audit: AuditLog) -> None:
        self.api, self.redis, self.keyspace, self.settings, self.audit = api, redis, keyspace, settings, audit
        self._gate = asyncio.Semaphore(_PARALLEL)

    async def _bounded(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self._gate:
            return await call()

    # -- pipeline -------------------------------------------------------------------------------------------

    async def pipeline(self, *, business_status: str | None = None, owner: str | None = None,
                       customer: str | None = None, q: str | None = None, cursor: str | None = None) -> PipelineV1:
        """Deals by business status; ``q`` finds a deal by its id, customer, invoice id or workflow id."""
        text, who = (q or "").strip() or None, (customer or "").strip() or None
        page = await self.api.deals(business_status=business_status, owner=owner, q=text or who,
                                    limit=self.settings.page_size, cursor=cursor)
        result = msgspec.convert(page, PipelineV1)
        if text is None:
            return result
        notes = []
        if who is not None:
            kept = [row for row in result.data if who.lower() in (row.customer or "").lower()]
            notes.append("The customer filter narrows this page of search results.")
            result = msgspec.structs.replace(result, data=kept)
        if result.total:
            return msgspec.structs.replace(result, matched_by="deal or customer", notes=notes)
        by_id = await self._deals_by_workflow_search(text, business_status, owner)
        if by_id:
            counts: dict[str, int] = {}
            for row in by_id:
                counts[row.business_status] = counts.get(row.business_status, 0) + 1
            return PipelineV1(data=by_id, counts=counts, total=len(by_id), matched_by="invoice or workflow id",
                              notes=notes)
        if _HEX_ID.match(text.lower()):
            notes.append("Correlation ids cannot be searched yet: the process API does not index them. Open the "
                         "deal and compare the correlation id shown on each workflow.")
        return msgspec.structs.replace(result, notes=notes)

    async def _deals_by_workflow_search(self, text: str, business_status: str | None,
                                        owner: str | None) -> list[DealRowV1]:
        found = await self.api.workflows(q=text, limit=50)
        subjects = list(dict.fromkeys(r["subject"] for r in found.get("data") or [] if r.get("kind") not in _NOT_DEALS))
        pages = await asyncio.gather(*(self._bounded(lambda s=s: self.api.deals(
            business_status=business_status, owner=owner, q=s, limit=20)) for s in subjects[:_SEARCH_SUBJECTS]))
        rows = [row for subject, page in zip(subjects, pages, strict=False) for row in page.get("data") or []
                if row.get("opportunity_id") == subject]
        return msgspec.convert(rows, list[DealRowV1])

    # -- deal -----------------------------------------------------------------------------------------------

    async def deal(self, opportunity_id: str) -> DealPageV1:
        """The deal view. Raises ``NotFoundError`` when the process API has no such deal."""
        deal = await self.api.deal(opportunity_id)

        async def record(workflow_id: str) -> dict[str, Any] | None:
            try:
                return await self._bounded(lambda: self.api.workflow(workflow_id))
            except NotFoundError:
                return None

        records = await asyncio.gather(*(record(w["id"]) for w in deal.get("workflows") or []))
        return deal_page(deal, [r for r in records if r is not None], self.settings.sla_hours, _now())

    async def deal_status(self, opportunity_id: str) -> DealStatusV1:
        """The deal's workflows and their states. Raises ``NotFoundError`` when it has none."""
        page = await self.api.workflows(subject=opportunity_id, limit=100)
        rows = sorted(page.get("data") or [], key=lambda r: (r["created_at"], r["id"]))
        if not rows:
            raise NotFoundError(f"No deal {opportunity_id} has reached revflow.")
        current = next((r for r in rows if r["state"] not in _FINISHED), rows[-1])
        return msgspec.convert({"opportunity_id": opportunity_id, "business_status": current["business_status"],
                                "workflows": rows, "settled": all(r["state"] in _SETTLED for r in rows),
                                "revision": revision(rows)},
                               DealStatusV1)

    # -- exceptions -----------------------------------------------------------------------------------------

    async def exceptions(self, owner: str | None = None, cursor: str | None = None,
                         assignee: str | None = None) -> ExceptionQueueV1:
        """One page of the exception queue (oldest first, only ``assignee``'s when given) and the dead letters."""
        queue, letters = await asyncio.gather(self.api.exceptions(owner, assignee), self.api.dead_letters(100))
        return exception_queue(queue, letters, self.settings.sla_hours, _now(), start=int(cursor or 0),
                               limit=self.settings.page_size)

    # -- revenue --------------------------------------------------------------------------------------------

    async def revenue(self, first: str, last: str, *, refresh: bool = False) -> RevenueV1 | None:
        """Figures for ``first``..``last``; ``None`` when the process API offers no metrics."""
        if "metrics" not in await self.api.capabilities():
            return None
        key = self.keyspace.key("ops_console", "revenue", first, last)
        if not refresh and (cached := await self.redis.get(key)) is not None:
            return msgspec.msgpack.decode(cached, type=RevenueV1)
        figures = revenue(await self.api.metrics(previous_period(first), last), first, last, _now())
        if self.settings.metrics_cache_seconds > 0:
            await self.redis.set(key, msgspec.msgpack.encode(figures), ex=self.settings.metrics_cache_seconds)
        return figures

    # -- reconciliation and close ---------------------------------------------------------------------------

    async def reconciliation(self) -> ReconciliationV1 | None:
        """The latest finished reconciliation, or ``None`` when none finished (or none is offered)."""
        if "reconciliation_latest" not in await self.api.capabilities():
            return None
        try:
            return reconciliation(await self.api.latest_reconciliation())
        except NotFoundError:
            return None

    async def close(self, period: str) -> CloseV1:
        """The period's close status and checklist, with the latest reconciliation (read at once)."""
        capabilities = await self.api.capabilities()
        notes = []
        if "period" not in capabilities:
            notes.append("The process API does not offer period close yet (GET /v1/periods/{period}).")
        if "reconciliation_latest" not in capabilities:
            notes.append("The process API does not offer reconciliation yet (GET /v1/reconciliations/latest).")

        async def status() -> dict[str, Any] | None:
            return await self.api.period(period) if "period" in capabilities else None

        found, run = await asyncio.gather(status(), self.reconciliation())
        return CloseV1(period=period, status=found, reconciliation=run, notes=notes)

    # -- governance and service levels ------------------------------------------------------------------------

    async def system_of_record(self) -> SystemOfRecordV1:
        """The system-of-record map the process API applies."""
        return system_of_record(await self.api.system_of_record())

    async def catalogue(self, days: int) -> CatalogueV1:
        """Every API and event type, with the consumers and deprecated-route callers seen in ``days`` days."""
        return catalogue(await self.api.catalogue(days))

    async def catalogue_api(self, name: str, days: int) -> CatalogueApiDetailV1:
        """One API (``service.vN``) with its diffs. Raises ``NotFoundError`` when the catalogue has none."""
        return CatalogueApiDetailV1(window_days=days, api=catalogue_api(await self.api.catalogue_api(name, days)))

    async def slos(self) -> SlosV1:
        """The SLOs now, each breached one with its open breach exception (owned by integration)."""
        report, queue = await asyncio.gather(self.api.slos(), self.api.exceptions("integration"))
        return slo_report(report, queue)

    async def kpis(self, period: str) -> KpisV1:
        """The KPIs of ``period`` (``YYYY-MM``)."""
        return kpi_report(await self.api.kpis(period))

    # -- requests people make -------------------------------------------------------------------------------

    async def act(self, person: Person, workflow_id: str, action: str, idempotency_key: str) -> ActionOutcome:
        """Resume, retry or cancel a workflow for ``person``.

        Raises:
            NotFoundError: no such workflow.
            ActionRefusedError: the person's roles do not allow it on this workflow's exception.
        """
        record = await self.api.workflow(workflow_id)
        owner = (record.get("exception") or {}).get("owner")
        if not person.may(action, owner):
            raise ActionRefusedError(f"{action} needs another role" + (f" (the exception belongs to {owner})"
                                                                       if owner else ""))
        outcome = await self.api.act(workflow_id, action, idempotency_key, person.named)
        before = {k: record.get(k) for k in ("state", "business_status", "exception", "step_index")}
        await self._audit(person, action, workflow_id, before, outcome)
        return outcome

    async def assign(self, person: Person, workflow_id: str, assignee: str, idempotency_key: str) -> ActionOutcome:
        """Name who works on a workflow's open exception, for ``person``.

        Raises:
            NotFoundError: no such workflow.
            ActionRefusedError: the person's roles do not allow it on this workflow's exception.
        """
        record = await self.api.workflow(workflow_id)
        owner = (record.get("exception") or {}).get("owner")
        if not person.may("assign", owner):
            raise ActionRefusedError("assign needs another role" + (f" (the exception belongs to {owner})"
                                                                    if owner else ""))
        outcome = await self.api.assign(workflow_id, assignee, idempotency_key, person.named)
        await self._audit(person, "assign", workflow_id, None, outcome)
        return outcome

    async def replay(self, person: Person, entry_id: str, idempotency_key: str) -> ActionOutcome:
        self._require(person, "replay")
        outcome = await self.api.replay(entry_id, idempotency_key)
        await self._audit(person, "replay", f"dead-letter:{entry_id}", None, outcome)
        return outcome

    async def close_period(self, person: Person, period: str, idempotency_key: str) -> ActionOutcome:
        self._require(person, "close_period")
        outcome = await self.api.close_period(period, idempotency_key)
        await self._audit(person, "close_period", f"period:{period}", None, outcome)
        return outcome

    async def reconcile(self, person: Person, idempotency_key: str, as_of: str | None = None) -> ActionOutcome:
        self._require(person, "reconcile")
        outcome = await self.api.reconcile(idempotency_key, {"as_of": as_of} if as_of else {})
        await self._audit(person, "reconcile", "reconciliation", None, outcome)
        return outcome

    @staticmethod
    def _require(person: Person, action: str) -> None:
        if not person.may(action):
            raise ActionRefusedError(f"{action} needs another role")

    async def _audit(self, person: Person, action: str, subject: str, before: Any, outcome: ActionOutcome) -> None:
        if outcome.accepted and not outcome.replayed:
            await self.audit.append(actor=person.actor, action=f"ops_console.{action}", subject=subject,
                                    before=before, after=outcome.body)
