"""Reconciliation and metrics routes: start a reconciliation run, read its report, read the finance metrics.

A reconciliation runs as a workflow (``reconciliation:<run id>``) in the workers, its report kept as the
workflow's output; the metrics are read live from the systems of record by this process.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter

from contracts.problems import FieldError
from contracts.process import BusinessStatus
from services.process.quote_to_cash.api._workflows import workflows_of
from services.process.quote_to_cash.metrics import MetricsV1
from services.process.quote_to_cash.reconciliation import ReconciliationReport
from services.process.quote_to_cash.saga import ExceptionRecord, StepFailed, WorkflowRecord, WorkflowState
from services.process.quote_to_cash.workflows.reconciliation import RECONCILIATION, SUBJECT
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError

__all__ = ["MetricsController", "ReconciliationController", "ReconciliationRunV1", "ReconciliationStartV1"]

_READ, _WRITE = [requires("quote_to_cash:read")], [requires("quote_to_cash:write")]
_PERIOD = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"
_PERIOD_SCHEMA = {"pattern": _PERIOD, "maxLength": 7}
Period = Annotated[str, msgspec.Meta(pattern=_PERIOD, description="Accounting period YYYY-MM", examples=["2025-01"])]
DealId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
                                     description="A deal (CRM opportunity) id")]
RunId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", max_length=100,
                                          description="The reconciliation run id")]]


class ReconciliationStartV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What to reconcile: every activated deal and the GL by default, this month by default."""

    deals: Annotated[list[DealId], msgspec.Meta(max_length=10_000)] | None = None
    """Only these deals (the GL is compared only when every deal is)."""
    as_of: Period | None = None
    """The accounting period to reconcile up to (its end); this month when absent."""


class ReconciliationRunV1(msgspec.Struct, frozen=True, kw_only=True):
    """One reconciliation run and, once it finished, its report."""

    run_id: str
    workflow_id: str
    state: WorkflowState
    business_status: BusinessStatus
    created_at: datetime
    completed_at: datetime | None = None
    exception: ExceptionRecord | None = None
    """Why the run stopped (a system could not be read), and what to do."""
    report: ReconciliationReport | None = None


def _run(record: WorkflowRecord) -> ReconciliationRunV1:
    output = record.output("reconcile") if record.steps else {}
    return ReconciliationRunV1(
        run_id=record.id.removeprefix(f"{RECONCILIATION.kind}:"), workflow_id=record.id, state=record.state,
        business_status=record.business_status, created_at=record.created_at, completed_at=record.completed_at,
        exception=record.exception, report=msgspec.convert(output, ReconciliationReport) if output else None)


class ReconciliationController(Controller):
    """Reconciliation runs: bookings vs billings vs ERP invoices vs revenue vs GL, differences with owners."""

    path = "/reconciliations"
    tags = ["reconciliation"]

    @post("/", operation_id="startReconciliationV1", guards=_WRITE, status_code=202,
          summary="Start a reconciliation run (the report is read from the run once it finished)")
    async def start(self, data: JSONBody[ReconciliationStartV1],
                    request: Request[Any, Any, Any]) -> Response[WorkflowRecord]:
        run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        record, _ = await workflows_of(request).start(
            RECONCILIATION.kind, SUBJECT, {"run_id": run_id, "deals": data.deals, "as_of": data.as_of},
            workflow_id=f"{RECONCILIATION.kind}:{run_id}")
        return Response(record, status_code=202, headers={"Location": f"/v1/reconciliations/{run_id}"})

    @get("/latest", operation_id="getLatestReconciliationV1", guards=_READ,
         summary="The latest finished reconciliation: totals, every contract, every difference")
    async def latest(self, request: Request[Any, Any, Any]) -> ReconciliationRunV1:
        workflows = workflows_of(request)
        finished = [row for row in await workflows.store.summaries()
                    if row.kind == RECONCILIATION.kind and row.state is WorkflowState.SUCCEEDED]
        for row in sorted(finished, key=lambda r: (r.created_at, r.id), reverse=True):
            record = await workflows.store.load(row.id)
            if record is not None:
                return _run(record)
        raise ServiceError("No reconciliation has finished yet: start one with POST /v1/reconciliations.",
                           slug="not-found")

    @get("/{run_id:str}", operation_id="getReconciliationV1", guards=_READ,
         summary="A reconciliation run: its state and, once finished, its report")
    async def read(self, run_id: RunId, request: Request[Any, Any, Any]) -> ReconciliationRunV1:
        record = await workflows_of(request).store.load(f"{RECONCILIATION.kind}:{run_id}")
        if record is None:
            raise ServiceError(f"No reconciliation run {run_id}.", slug="not-found")
        return _run(record)


class MetricsController(Controller):
    """Finance metrics computed from the systems of record (CRM, billing, revrec)."""

    path = "/metrics"
    tags = ["metrics"]

    @get("/", operation_id="getMetricsV1", guards=_READ,
         summary="Bookings, billings, recognised and deferred revenue and ARR per period, from the systems of record",
         description="ARR at the end of a period: the recurring lines booked in the CRM of every deal whose "
                     "billing subscription is active that day and whose service period includes it, annualised "
                     "(sale price x quantity x 12 / months per billing period). Deferred revenue and ARR are "
                     "balances at the end of each period (in the total: at the end of the range).")
    async def read(self, request: Request[Any, Any, Any],
                   start: Annotated[str, QueryParameter(name="from", schema_extra=_PERIOD_SCHEMA,
                                                        description="First accounting period YYYY-MM")],
                   end: Annotated[str, QueryParameter(name="to", schema_extra=_PERIOD_SCHEMA,
                                                      description="Last accounting period YYYY-MM (included)")],
                   ) -> MetricsV1:
        # Checked here rather than by the framework, so that a problem names the query parameter (from, to).
        wrong = [FieldError(field=name, source="query", message="must be an accounting period YYYY-MM")
                 for name, value in (("from", start), ("to", end)) if not re.match(_PERIOD, value)]
        if wrong:
            raise ServiceError("; ".join(f"{e.field}: {e.message}" for e in wrong), slug="validation", errors=wrong)
        workflows = workflows_of(request)
        systems = workflows.runner.systems
        if systems is None:
            raise ServiceError("This process has no clients for the system APIs.", slug="upstream-unavailable",
                               retryable=True)
        try:
            return await workflows.metrics.report(systems, workflows.links, await workflows.deals.activity(),
                                                  start, end)
        except ValueError as exc:
            name, _, message = str(exc).partition(": ")
            raise ServiceError(message, slug="validation", errors=[
                FieldError(field=name, source="query", message=message)]) from None
        except StepFailed as exc:
            raise ServiceError(exc.reason, slug="upstream-unavailable" if exc.retryable else "upstream-failed",
                               retryable=exc.retryable, owner=exc.owner.value) from None
