"""What the console shows, shaped once: the pages render these and the JSON API (``/v1``) returns them.

Amounts are integers in the minor unit of the currency named beside them (never floats); instants are UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from contracts.money import Money

__all__ = [
    "ApiConsumerV1",
    "CatalogueApiDetailV1",
    "CatalogueApiV1",
    "CatalogueEventV1",
    "CatalogueV1",
    "CloseV1",
    "ConsumerGroupV1",
    "ContractObligationV1",
    "CurrencyRevenueV1",
    "DeadLetterDepthV1",
    "DeadLetterRowV1",
    "DealPageV1",
    "DealRowV1",
    "DealStatusV1",
    "DeprecatedCallerV1",
    "DeprecatedOperationV1",
    "EventLatencyV1",
    "ExceptionQueueV1",
    "FieldOwnerRowV1",
    "InvoiceRowV1",
    "KpisV1",
    "MeV1",
    "ObjectOwnerRowV1",
    "PipelineV1",
    "QueueItemV1",
    "ReconciliationV1",
    "ResolutionRowV1",
    "RevenueContractViewV1",
    "RevenuePeriodV1",
    "RevenueV1",
    "RollForwardV1",
    "ScheduleCellV1",
    "SchemaChangeV1",
    "SloRowV1",
    "SloWindowRowV1",
    "SlosV1",
    "SpecDiffV1",
    "StepV1",
    "SystemOfRecordV1",
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
    assignee: str | None = None
    """Who works on it (``None`` while unassigned)."""
    assigned_by: str | None = None
    assigned_at: datetime | None = None


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
    figures_as_of: datetime | None = None
    """When the process API read the oldest deal figure counted from the systems of record."""
    stale_deals: int = 0
    """Deals whose latest change is not in the figures yet (being read again)."""


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


# -- governance: system of record and contract catalogue ----------------------------------------------------------


class FieldOwnerRowV1(_Frozen, kw_only=True):
    """A field owned by another system than its object's owner."""

    field: str
    owner: str
    """The system whose value of this field wins."""
    team: str
    """The team that fixes drift of this field."""
    followers: list[str]
    """Systems that take this field's value from its owner."""


class ObjectOwnerRowV1(_Frozen, kw_only=True):
    object: str
    owner: str
    """The system of record of the object."""
    team: str
    """The team that answers for the object's data (and owns its drift exceptions)."""
    followers: list[str]
    """Systems that hold a copy and take it from the owner: the map's own list when it declares one, else every
    other known system (the map's rule: only the owner's value wins)."""
    note: str = ""
    fields: list[FieldOwnerRowV1] = []


class SystemOfRecordV1(_Frozen, kw_only=True):
    """The system-of-record map the process API applies."""

    version: int
    systems: list[str]
    objects: list[ObjectOwnerRowV1]


class DeprecatedOperationV1(_Frozen, kw_only=True):
    operation: str
    """``METHOD /path``."""
    sunset: str | None = None
    """The date after which the operation may be removed (``YYYY-MM-DD``)."""


class ApiConsumerV1(_Frozen, kw_only=True):
    """A client seen calling one of the API's deprecated routes in the window."""

    client_id: str
    operation: str
    last_seen: str


class SchemaChangeV1(_Frozen, kw_only=True):
    schema: str
    fields_added: list[str] = []
    fields_removed: list[str] = []
    required_added: list[str] = []


class SpecDiffV1(_Frozen, kw_only=True):
    """What changed from one version of an API's contract to another."""

    from_version: str
    """``partner.v1``, or ``example.v1 (published)`` for the baseline promised to clients."""
    to_version: str
    operations_added: list[str] = []
    operations_removed: list[str] = []
    schemas_added: list[str] = []
    schemas_removed: list[str] = []
    schemas_changed: list[SchemaChangeV1] = []


class CatalogueApiV1(_Frozen, kw_only=True):
    """One API (a service's major version)."""

    name: str
    """``service.vN``."""
    service: str
    major: int
    owner: str
    """The team that answers for the API."""
    status: str
    """``active``, ``deprecated`` or ``retired``."""
    sunset: str | None = None
    operations: int = 0
    published: bool = False
    """Whether a baseline was promised to clients (``contracts/openapi/published``)."""
    deprecated_operations: list[DeprecatedOperationV1] = []
    consumers: list[ApiConsumerV1] = []
    changes: list[SpecDiffV1] = []
    """Since the published baseline, and from the previous major, when there is one."""


class CatalogueApiDetailV1(_Frozen, kw_only=True):
    window_days: int
    api: CatalogueApiV1


class ConsumerGroupV1(_Frozen, kw_only=True):
    group: str
    consumers: int
    pending: int
    last_seen: str | None = None
    seen_in_window: bool = False


class CatalogueEventV1(_Frozen, kw_only=True):
    type: str
    domain: str
    major: int
    owner: str
    status: str
    replaced_by: str | None = None
    description: str = ""
    consumer_groups: list[ConsumerGroupV1] = []


class DeprecatedCallerV1(_Frozen, kw_only=True):
    """A client that called a deprecated route in the window: who to warn before the sunset."""

    client_id: str
    api: str
    operation: str
    last_seen: str
    sunset: str | None = None


class CatalogueV1(_Frozen, kw_only=True):
    window_days: int
    """Consumers are those seen in the last ``window_days`` days."""
    generated_at: datetime | None = None
    apis: list[CatalogueApiV1]
    events: list[CatalogueEventV1]
    deprecated_callers: list[DeprecatedCallerV1]


# -- service levels and KPIs --------------------------------------------------------------------------------------


class SloWindowRowV1(_Frozen, kw_only=True):
    window: str
    """``1h``, ``24h`` or ``30d``, ending when the objectives were evaluated."""
    events: int
    good: int
    bad: int
    bad_fraction: float
    burn_rate: float | None = None
    """Bad fraction / (1 - objective); ``None`` when a 100 % objective had a bad event (no budget to burn)."""


class SloRowV1(_Frozen, kw_only=True):
    name: str
    description: str
    workflow: str
    objective: float
    """Target fraction of good events (0.99 = 99 %)."""
    threshold_seconds: int | None = None
    windows: list[SloWindowRowV1]
    error_budget_remaining: float
    """Of the 30-day window: 1 - bad / allowed bad (negative once overspent)."""
    breached: bool
    breach_reason: str | None = None
    late: list[str] = []
    """Workflows of the bad events in the 30-day window (the first twenty)."""
    breach_exception: str | None = None
    """The open ``slo_breach`` exception of this objective, when the process API has one."""


class SlosV1(_Frozen, kw_only=True):
    evaluated_at: datetime
    rule: str
    """When an objective counts as breached."""
    slos: list[SloRowV1]


class EventLatencyV1(_Frozen, kw_only=True):
    samples: int
    p50_seconds: float | None = None
    p99_seconds: float | None = None


class ResolutionRowV1(_Frozen, kw_only=True):
    owner: str
    raised: int
    resolved: int
    open: int
    mean_seconds: float | None = None
    """Mean time from the exception to its resolution, over the resolved ones."""


class DeadLetterDepthV1(_Frozen, kw_only=True):
    depth: int
    by_stream: dict[str, int] = {}
    oldest_age_seconds: float | None = None


class ConsistencyRowV1(_Frozen, kw_only=True):
    """Bookings -> billings -> revenue of one currency, from the period's reconciliation (minor units)."""

    currency: str
    booked: int
    billed: int
    recognized: int
    deferred: int
    unexplained_by_pair: dict[str, int] = {}
    consistent: bool


class KpisV1(_Frozen, kw_only=True):
    """One accounting period's operational KPIs and finance outcomes (amounts in minor units)."""

    period: str
    generated_at: datetime
    workflows_started: int
    workflows_failed: int
    """Workflows started in the period that stopped at least once for a person."""
    integration_failure_rate: float | None = None
    event_latency: EventLatencyV1
    resolution: list[ResolutionRowV1] = []
    dead_letters: DeadLetterDepthV1
    """Now, not per period."""
    days_to_close: float | None = None
    close_workflow_id: str | None = None
    manual_interventions: dict[str, int] = {}
    """``resumes``, ``replays``, ``cancels`` and ``total``."""
    reconciliation_run: str | None = None
    contracts_reconciled: int = 0
    billing_accuracy: float | None = None
    """Fraction of reconciled contracts where the CRM and billing agree."""
    booked_not_billed: list[Money] = []
    billed_not_recognized: list[Money] = []
    consistency: list[ConsistencyRowV1] = []
    """Per currency; empty when no reconciliation ran for the period."""
