"""Reconciliation run: compare the systems of record and keep the report (``reconciliation:<run id>``).

Input: ``run_id``, optionally ``deals`` (opportunity ids; every activated deal and the GL when absent) and
``as_of`` (``YYYY-MM``; this month when absent). One step reads every system and stores the
``ReconciliationReport`` as its output, so the report is as durable as any workflow record and a run that
died mid-way simply runs again (it only reads). Runs share the subject ``reconciliation``: one at a time.
"""

from __future__ import annotations

from typing import Any

import msgspec

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash import reconciliation as books
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition

__all__ = ["RECONCILIATION", "SUBJECT"]

SUBJECT = "reconciliation"


async def reconcile(ctx: StepContext) -> dict[str, Any]:
    try:
        report = await books.reconcile(ctx.systems, ctx.systems.links, deals=ctx.input.get("deals"),
                                       as_of=ctx.input.get("as_of"))
    except ValueError as exc:
        raise StepFailed(str(exc), retryable=False, owner=ExceptionOwner.FINANCE_OPS, code="invalid_period",
                         fix="Start a new reconciliation with a valid as_of (YYYY-MM).") from exc
    return msgspec.to_builtins(report)


RECONCILIATION = WorkflowDefinition(
    kind="reconciliation",
    description="Bookings, billings, ERP invoices, revenue and the GL compared; every difference with cause and owner.",
    # The books are being checked: "pending validation" is the nearest business status while the step runs.
    steps=(Step("reconcile", reconcile, BusinessStatus.PENDING_VALIDATION),),
)
