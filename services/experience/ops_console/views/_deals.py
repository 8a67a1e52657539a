"""The pipeline of deals by business status, and the deal view with every workflow's step timeline."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, Parameter
from litestar.response import Redirect

from contracts.process import BusinessStatus, ExceptionOwner
from services.experience.ops_console.views._web import PAGE_OPT, console_of, page, person_of, query

__all__ = ["DealPagesController", "clean"]

_CURSOR = re.compile(r"^[0-9]{1,9}$")
STATUSES = [s.value for s in BusinessStatus]
OWNERS = [o.value for o in ExceptionOwner]
DealId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$", max_length=100)]]


def clean(value: str | None, allowed: list[str] | None = None, limit: int = 100) -> str | None:
    """A filter value as given, or ``None`` when empty, too long or not one of ``allowed``."""
    value = (value or "").strip()[:limit]
    if not value or (allowed is not None and value not in allowed):
        return None
    return value


class DealPagesController(Controller):
    path = "/"
    opt = PAGE_OPT

    @get("/", opt=query(), include_in_schema=False)
    async def home(self) -> Redirect:
        return Redirect("/pipeline", status_code=303)

    @get("/pipeline", opt=query("status", "owner", "customer", "q", "cursor"), include_in_schema=False)
    async def pipeline(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        params = request.query_params
        filters = {"status": clean(params.get("status"), STATUSES), "owner": clean(params.get("owner"), OWNERS),
                   "customer": clean(params.get("customer")), "q": clean(params.get("q"))}
        cursor = params.get("cursor") if _CURSOR.match(params.get("cursor") or "") else None
        result = await console_of(request).pipeline(business_status=filters["status"], owner=filters["owner"],
                                                    customer=filters["customer"], q=filters["q"], cursor=cursor)
        return await page(request, "pipeline.html.j2", session=session, session_id=session_id, person=person,
                          result=result, filters=filters, statuses=STATUSES, owners=OWNERS)

    @get("/deals/{opportunity_id:str}", opt=query(), include_in_schema=False)
    async def deal(self, opportunity_id: DealId, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        view = await console_of(request).deal(opportunity_id)
        return await page(request, "deal.html.j2", session=session, session_id=session_id, person=person,
                          deal=view, form_key=lambda: uuid.uuid4().hex)
