"""What the console shows, shaped once: the pages render these and the JSON API (``/v1``) returns them.

Amounts are integers in the minor unit of the currency named beside them (never floats); instants are UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

__all__ = [
    "CloseV1",
    "ContractObligationV1",
    "CurrencyRevenueV1",
    "DeadLetterRowV1",
    "DealPageV1",
    "DealRowV1",
    "DealStatusV1",
    "ExceptionQueueV1",
    "InvoiceRowV1",
    "MeV1",
    "PipelineV1",
    "QueueItemV1",
    "ReconciliationV1",
    "RevenueContractViewV1",
    "RevenuePeriodV1",
    "RevenueV1",
    "RollForwardV1",
    "ScheduleCellV1",
    "StepV1",
    "SystemPairV1",
    "WorkflowStatusV1",
    "WorkflowTimelineV1",
]


class _Frozen(msgspec.Struct, frozen=True, kw_only=True):
    pass


class MeV1(_Frozen, kw_only=True):
    """The person signed in (or the service calling with a token)."""

    username: str
    name: str
    roles: list[str]
    may: list[str]
    """Actions this person may take (``resume`` and ``retry`` also on exceptions their team owns)."""


# -- pipeline ---------------------------------------------------------------------------------------------------


class DealRowV1(_Frozen, kw_only=True):
    opportunity_id: str
    customer: str | None = None
    business_status: str
    owner: str | None = None
    current_workflow: str
    workflows: int
    updated_at: datetime


class PipelineV1(_Frozen, kw_only=True):
    """Deals matching the filters, newest activity first, with counts per business status."""

    data: list[DealRowV1]
    counts: dict[str, int]
    """Deals per business status over the filters other than the status."""
    total: int
    next_cursor: str | None = None
    matched_by: str | None = None
    """How a search matched: ``deal or customer``, or ``invoice or workflow id``."""
    notes: list[str] = []


# -- deal -------------------------------------------------------------------------------------------------------


class StepV1(_Frozen, kw_only=True):
    name: str
    status: str
    attempts: int
    """Runs since the workflow started or was last resumed."""
    runs: int
    """Every run of the step, from the history (retries and resumes included)."""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    ids: dict[str, str] = {}
    """Ids the step created or found in a system."""
    error: str | None = None


class HistoryV1(_Frozen, kw_only=True):
    at: datetime
    step: str | None = None
    event: str
    detail: str | None = None


class ExceptionInfoV1(_Frozen, kw_only=True):
    owner: str
    step: str
    reason: str
    fix: str
    code: str | None = None
    occurred_at: datetime
    age_seconds: int
    sla_hours: int
    overdue: bool


class WorkflowTimelineV1(_Frozen, kw_only=True):
    id: str
    kind: str
    state: str
    business_status: str
    correlation_id: str | None = None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    resumes: int = 0
    exception: ExceptionInfoV1 | None = None
    steps: list[StepV1]
    history: list[HistoryV1]
    external_ids: dict[str, str] = {}


class ScheduleCellV1(_Frozen, kw_only=True):
    period: str
    amount: int
    closed: bool = False


class ContractObligationV1(_Frozen, kw_only=True):
    id: str
    name: str
    pattern: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    allocation: int
    schedule: list[ScheduleCellV1]


class RevenueContractViewV1(_Frozen, kw_only=True):
    id: str
    currency: str
    status: str | None = None
    version: int | None = None
    transaction_price: int
    obligations: list[ContractObligationV1]
    periods: list[str]
    """Every period any obligation has a schedule line in, in order."""
    billed: int
    """Invoices linked to the contract, net of credit notes (payments are not billings)."""


class InvoiceRowV1(_Frozen, kw_only=True):
    id: str
    number: str | None = None
    status: str
    currency: str
    total: int
    amount_paid: int | None = None
    issued_on: date | None = None
    due_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None


class DealPageV1(_Frozen, kw_only=True):
    opportunity_id: str
    customer: str | None = None
    business_status: str
    owner: str | None = None
    ids: dict[str, str]
    workflows: list[WorkflowTimelineV1]
    revenue_contract: RevenueContractViewV1 | None = None
    invoices: list[InvoiceRowV1] = []
    unavailable: list[str] = []
    """Systems the process API could not read just now."""
    revision: str = ""
    """Digest of the workflows' states; ``DealStatusV1.revision`` differs once any of them moved."""


class WorkflowStatusV1(_Frozen, kw_only=True):
    id: str
    kind: str
    state: str
    business_status: str
    updated_at: datetime


class DealStatusV1(_Frozen, kw_only=True):
    """Where a deal's workflows stand (cheap to poll: what the deal page's script watches)."""

    opportunity_id: str
    business_status: str
    workflows: list[WorkflowStatusV1]
    settled: bool
    """Every workflow finished or waits for a person: nothing changes until someone acts."""
    revision: str
    """Digest of the workflows' states (as ``DealPageV1.revision``)."""


# -- exceptions -------------------------------------------------------------------------------------------------


class QueueItemV1(_Frozen, kw_only=True):
    workflow_id: str
    kind: str
    subject: str
    state: str
    business_status: str
    owner: str
    step: str
    reason: str
    fix: str
    code: str | None = None
    occurred_at: datetime
    age_seconds: int
    sla_hours: int
    overdue: bool


class DeadLetterRowV1(_Frozen, kw_only=True):
    entry_id: str
    stream: str
    group: str
    attempts: int
    error: str
    failed_at: str
    event_type: str | None = None
    subject: str | None = None


class ExceptionQueueV1(_Frozen, kw_only=True):
    """Workflows waiting for a person, oldest first, and dead letters waiting for a replay."""

    data: list[QueueItemV1]
    """One page of the queue."""
    total: int
    """Exceptions in the queue (with the owner filter, if any)."""
    by_owner: dict[str, int]
    overdue: int
    """Exceptions in the queue that waited longer than their owner's SLA."""
    dead_letters: list[DeadLetterRowV1]
    next_cursor: str | None = None


# -- revenue ----------------------------------------------------------------------------------------------------


class RevenuePeriodV1(_Frozen, kw_only=True):
    period: str
    bookings: int
    billings: int
    recognized: int
    deferred: int
    """Deferred revenue (contract liability) at the end of the period."""
    arr: int
    """Annual recurring revenue at the end of the period."""


class RollForwardV1(_Frozen, kw_only=True):
    """Deferred revenue over the range: ``opening + billings - recognized + other == closing``."""

    opening: int
    billings: int
    recognized: int
    other: int
    """Credits, tax on invoices and contract-asset movements (what billings and recognition do not explain)."""
    closing: int


class CurrencyRevenueV1(_Frozen, kw_only=True):
    currency: str
    periods: list[RevenuePeriodV1]
    bookings: int
    billings: int
    recognized: int
    deferred: int
    arr: int
    roll_forward: RollForwardV1


class RevenueV1(_Frozen, kw_only=True):
    from_period: str
    to_period: str
    deals: int
    currencies: list[CurrencyRevenueV1]
    as_of: datetime
    """When the figures were read from the process API (they are cached briefly)."""


# -- reconciliation and close -----------------------------------------------------------------------------------


class SystemPairV1(_Frozen, kw_only=True):
    systems: str
    """``billing / erp``."""
    explained: int
    unexplained: int
    deals: list[str]
    """Deals with a difference between the two systems."""


class ReconciliationV1(_Frozen, kw_only=True):
    run_id: str
    state: str
    as_of: str | None = None
    generated_at: datetime | None = None
    deals: int = 0
    clean: bool | None = None
    explained: int = 0
    unexplained: int = 0
    pairs: list[SystemPairV1] = []
    report: dict[str, Any] | None = None
    """The process API's full report (totals, contracts, ledger, differences)."""


class CloseV1(_Frozen, kw_only=True):
    period: str
    status: dict[str, Any] | None = None
    """The process API's close status of the period (checklist, recognised revenue, journals)."""
    reconciliation: ReconciliationV1 | None = None
    notes: list[str] = []
