"""SLO breach: an exception for ``integration`` that a service level objective is being missed.

Not started by events: ``slo.SloMonitor`` writes the record already parked (``slo_breach:<slo>:<hour>``), so a
breach shows in the exception queue at once, with or without a worker. Its one step, ``acknowledge``, only
completes after a person resumed it (having looked at the late workflows ``GET /v1/slos`` names); cancel
closes it too.
"""

from __future__ import annotations

from typing import Any

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Step, StepContext, StepFailed, WorkflowDefinition

__all__ = ["ACKNOWLEDGE", "SLO_BREACH", "breach_fix"]

ACKNOWLEDGE = "acknowledge"


def breach_fix(slo: str) -> str:
    return (f"Find the late workflows of {slo} (GET /v1/slos lists the objective, GET /v1/workflows the runs), "
            "fix the cause (a slow or failing upstream, a stuck worker, parked runs), then resume this workflow "
            "to acknowledge the breach.")


async def acknowledge(ctx: StepContext) -> dict[str, Any]:
    if ctx.workflow.resumes == 0:
        slo = str(ctx.input.get("slo", "?"))
        raise StepFailed(f"SLO {slo} breached: {ctx.input.get('reason', '')}", retryable=False,
                         owner=ExceptionOwner.INTEGRATION, code="slo_breach", fix=breach_fix(slo))
    return {"acknowledged": True}


SLO_BREACH = WorkflowDefinition(
    kind="slo_breach",
    description="A service level objective is being missed: integration finds and fixes the cause.",
    steps=(Step(ACKNOWLEDGE, acknowledge, BusinessStatus.NEEDS_ATTENTION),),
)
