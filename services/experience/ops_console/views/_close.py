"""Reconciliation and close: the latest reconciliation, the period-close checklist, and their actions.

The reconciliation is summarised per pair of systems with drill-down to each contract; the actions start a
reconciliation run or close a period.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, Parameter
from litestar.response import Redirect

from services.experience.ops_console.service import PERIOD, contract_of, previous_period
from services.experience.ops_console.views._deals import DealId
from services.experience.ops_console.views._exceptions import idempotency_key, outcome_message
from services.experience.ops_console.views._web import (
    PAGE_OPT,
    SECURITY_HEADERS,
    console_of,
    flash,
    form_of,
    page,
    person_of,
    query,
)

__all__ = ["ClosePagesController"]

PeriodKey = FromPath[Annotated[str, Parameter(pattern=r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$", max_length=7)]]


def _default_period() -> str:
    """Last month: the one finance is closing most of the time."""
    return previous_period(f"{datetime.now(UTC):%Y-%m}")


class ClosePagesController(Controller):
    path = "/"
    opt = PAGE_OPT

    @get("/close", opt=query("period"), include_in_schema=False)
    async def close_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        asked = request.query_params.get("period") or ""
        period = asked if PERIOD.match(asked) else _default_period()
        view = await console_of(request).close(period)
        return await page(request, "close.html.j2", session=session, session_id=session_id, person=person,
                          view=view, period=period, form_key=lambda: uuid.uuid4().hex,
                          problem="Periods are written YYYY-MM." if asked and asked != period else None)

    @get("/close/contracts/{opportunity_id:str}", opt=query(), include_in_schema=False)
    async def contract(self, opportunity_id: DealId, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        run = await console_of(request).reconciliation()
        found = contract_of(run, opportunity_id) if run else None
        return await page(request, "contract.html.j2", status=200 if found else 404, session=session,
                          session_id=session_id, person=person, run=run, contract=found, deal=opportunity_id)

    @post("/periods/{period:str}/close", opt=query(), include_in_schema=False)
    async def close_period(self, period: PeriodKey, request: Request[Any, Any, Any]) -> Response[Any]:
        session_id, session, person = await person_of(request)
        form = await form_of(request, session)
        outcome = await console_of(request).close_period(person, period, idempotency_key(form))
        await flash(request, session_id, session, outcome_message(f"Close of {period}", outcome))
        return Redirect(f"/close?period={period}", status_code=303, headers=SECURITY_HEADERS)

    @post("/reconciliations", opt=query(), include_in_schema=False)
    async def reconcile(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session_id, session, person = await person_of(request)
        form = await form_of(request, session)
        as_of = form.get("as_of") if PERIOD.match(form.get("as_of") or "") else None
        outcome = await console_of(request).reconcile(person, idempotency_key(form), as_of)
        await flash(request, session_id, session, outcome_message("Reconciliation", outcome).replace(
            "The workflow continues", "The report appears here when the run finishes; it continues"))
        back = f"/close?period={as_of}" if as_of else "/close"
        return Redirect(back, status_code=303, headers=SECURITY_HEADERS)
