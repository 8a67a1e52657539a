"""Governance and service levels: the system-of-record map, the contract catalogue, the SLOs and the KPIs.

Read-only pages, open to every signed-in role (``viewer`` included).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, Parameter

from services.experience.ops_console.service import PERIOD
from services.experience.ops_console.views._web import PAGE_OPT, console_of, page, person_of, query

__all__ = ["API_NAME", "DEFAULT_DAYS", "GovernancePagesController", "window_days"]

API_NAME = r"^[a-z_]{1,40}\.v[0-9]{1,3}$"
DEFAULT_DAYS = 30
ApiName = FromPath[Annotated[str, Parameter(pattern=API_NAME, max_length=45, description="`service.vN`")]]


def window_days(params: Any) -> tuple[int, str | None]:
    """``days`` from the query (1 to 365; 30 by default), and what was wrong with it."""
    given = params.get("days") or ""
    if not given:
        return DEFAULT_DAYS, None
    if given.isascii() and given.isdigit() and len(given) <= 3 and 1 <= int(given) <= 365:
        return int(given), None
    return DEFAULT_DAYS, f"The window is a whole number of days from 1 to 365; showing {DEFAULT_DAYS} days instead."


class GovernancePagesController(Controller):
    path = "/"
    opt = PAGE_OPT

    @get("/system-of-record", opt=query(), include_in_schema=False)
    async def system_of_record(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        sor = await console_of(request).system_of_record()
        return await page(request, "system_of_record.html.j2", session=session, session_id=session_id,
                          person=person, sor=sor)

    @get("/catalogue", opt=query("days"), include_in_schema=False)
    async def catalogue(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        days, problem = window_days(request.query_params)
        view = await console_of(request).catalogue(days)
        return await page(request, "catalogue.html.j2", session=session, session_id=session_id, person=person,
                          view=view, days=days, problem=problem)

    @get("/catalogue/apis/{name:str}", opt=query("days"), include_in_schema=False)
    async def catalogue_api(self, name: ApiName, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        days, problem = window_days(request.query_params)
        detail = await console_of(request).catalogue_api(name, days)
        return await page(request, "catalogue_api.html.j2", session=session, session_id=session_id, person=person,
                          api=detail.api, days=days, problem=problem)

    @get("/slos", opt=query(), include_in_schema=False)
    async def slos(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        report = await console_of(request).slos()
        return await page(request, "slos.html.j2", session=session, session_id=session_id, person=person,
                          report=report)

    @get("/kpis", opt=query("period"), include_in_schema=False)
    async def kpis(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        asked = request.query_params.get("period") or ""
        period = asked if PERIOD.match(asked) else f"{datetime.now(UTC):%Y-%m}"
        report = await console_of(request).kpis(period)
        return await page(request, "kpis.html.j2", session=session, session_id=session_id, person=person,
                          report=report, period=period,
                          problem="Periods are written YYYY-MM; showing this month." if asked != period and asked
                          else None)
