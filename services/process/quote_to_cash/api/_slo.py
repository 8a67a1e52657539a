"""Service levels and KPIs: the SLOs measured from workflow state now, and one period's KPIs.

Both only read (the workers open SLO breach exceptions: ``slo.SloMonitor``); the SLO gauges are refreshed on
each read as well.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import FromQuery, Parameter

from contracts.problems import FieldError
from services.process.quote_to_cash.api._workflows import workflows_of
from services.process.quote_to_cash.kpi import KpiReportV1, kpis
from services.process.quote_to_cash.slo import BREACH_RULE, SloReportV1, evaluate
from services.runtime.auth.guards import requires
from services.runtime.problems import ServiceError

__all__ = ["KpiController", "SloController"]

_READ = [requires("quote_to_cash:read")]
_PERIOD = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"


class SloController(Controller):
    """Service level objectives of the critical workflows."""

    path = "/slos"
    tags = ["service levels"]

    @get("/", operation_id="listSlosV1", guards=_READ,
         summary="Every SLO: events, bad events and burn rate per window (1h, 24h, 30d), error budget left, breach",
         description=f"Burn rate = bad fraction in the window / (1 - objective). Rule: {BREACH_RULE}.")
    async def list_slos(self, request: Request[Any, Any, Any]) -> SloReportV1:
        return await evaluate(workflows_of(request).store)


class KpiController(Controller):
    """Operational KPIs and finance outcomes of one accounting period."""

    path = "/kpis"
    tags = ["service levels"]

    @get("/", operation_id="getKpisV1", guards=_READ,
         summary="One period's KPIs: failure rate, event latency, resolution time by owner, dead letters, days to "
                 "close, manual interventions, billing accuracy, revenue leakage")
    async def read(self, request: Request[Any, Any, Any],
                   period: FromQuery[Annotated[str | None, Parameter(
                       pattern=_PERIOD, max_length=7,
                       description="Accounting period YYYY-MM (this month when absent)")]] = None) -> KpiReportV1:
        period = period or datetime.now(UTC).strftime("%Y-%m")
        if not re.match(_PERIOD, period):
            error = FieldError(field="period", source="query", message="must be an accounting period YYYY-MM")
            raise ServiceError("period: must be an accounting period YYYY-MM", slug="validation", errors=[error])
        workflows = workflows_of(request)
        return await kpis(workflows.store, workflows.bus, period)
