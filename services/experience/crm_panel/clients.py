"""The process API as the panel reads it: a tolerant reader of the deal view and of a workflow's exception.

Only the fields the panel shows are declared; anything else the process API adds is ignored, so the panel
keeps working while the process API grows. A 404 means revflow has not seen the deal; any other refusal is
an integration fault (a misconfigured client or scope) and surfaces as a 502 problem, never as an empty panel.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import msgspec

from contracts.process import BusinessStatus, ExceptionOwner
from services.runtime.http import UpstreamClient, UpstreamFailed

__all__ = ["ContractView", "DealView", "ExceptionRecord", "Invoice", "MoneyIn", "ProcessClient", "WorkflowRow"]


class MoneyIn(msgspec.Struct, frozen=True, kw_only=True):
    amount_minor: int
    currency: str


class Invoice(msgspec.Struct, frozen=True, kw_only=True):
    """A billing invoice of the deal's subscription, as the deal view carries it."""

    id: str | None = None
    number: str | None = None
    status: str
    """``draft``, ``open``, ``paid``, ``void`` or ``uncollectible``."""
    currency: str
    total: MoneyIn
    amount_paid: MoneyIn | None = None
    issued_on: date | None = None
    due_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None


class ScheduleLine(msgspec.Struct, frozen=True, kw_only=True):
    accounting_period: str
    amount: MoneyIn
    closed: bool = False
    """Recognised: the line's period is closed in revrec."""


class Schedule(msgspec.Struct, frozen=True, kw_only=True):
    obligation_id: str
    lines: list[ScheduleLine] = []


class Obligation(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    end_date: date | None = None


class ContractHead(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    transaction_price: MoneyIn | None = None
    obligations: list[Obligation] = []


class Allocation(msgspec.Struct, frozen=True, kw_only=True):
    transaction_price: MoneyIn


class ContractView(msgspec.Struct, frozen=True, kw_only=True):
    """The revenue contract as revrec holds it (current version)."""

    contract: ContractHead
    allocation: Allocation | None = None
    schedules: list[Schedule] = []


class WorkflowRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    state: str
    business_status: BusinessStatus
    owner: ExceptionOwner | None = None
    customer: str | None = None


class DealView(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /v1/deals/{opportunity_id}`` of the process API, the fields the panel uses."""

    opportunity_id: str
    business_status: BusinessStatus
    ids: dict[str, str] = {}
    workflows: list[WorkflowRow] = []
    revenue_contract: ContractView | None = None
    invoices: list[Invoice] = []
    unavailable: list[str] = []


class ExceptionRecord(msgspec.Struct, frozen=True, kw_only=True):
    step: str
    owner: ExceptionOwner
    reason: str
    fix: str
    code: str | None = None
    occurred_at: datetime | None = None


class _WorkflowRecord(msgspec.Struct, frozen=True, kw_only=True):
    exception: ExceptionRecord | None = None


class ProcessClient:
    """Reads of the quote-to-cash process API over the runtime's resilient client."""

    def __init__(self, http: UpstreamClient) -> None:
        self.http = http

    async def deal(self, opportunity_id: str) -> DealView | None:
        """The deal view, or ``None`` when revflow has no workflow for the deal."""
        body = await self._read(f"/v1/deals/{quote(opportunity_id, safe='')}")
        return None if body is None else self._decode(body, DealView, "deal view")

    async def exception_of(self, workflow_id: str) -> ExceptionRecord | None:
        """The open exception of a workflow (who must act and how), ``None`` when it has none (any more)."""
        body = await self._read(f"/v1/workflows/{quote(workflow_id, safe='')}")
        return None if body is None else self._decode(body, _WorkflowRecord, "workflow").exception

    async def _read(self, path: str) -> bytes | None:
        response = await self.http.get(path)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise UpstreamFailed(self.http.name, f"answered {response.status_code} to GET {path}", method="GET",
                                 path=path, reason="status", status=response.status_code)
        return response.content

    def _decode(self, body: bytes, kind: type[Any], what: str) -> Any:
        try:
            return msgspec.json.decode(body, type=kind)
        except msgspec.DecodeError as exc:
            raise UpstreamFailed(self.http.name, f"sent a {what} the panel cannot read: {exc}",
                                 reason="payload") from None
