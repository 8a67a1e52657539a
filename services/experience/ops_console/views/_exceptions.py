"""The exception queue (age against SLA, suggested fix, assignee) and what people ask of workflows from it.

Filters: owner, and assignee ("assigned to me"). Requests: resume, retry, cancel, assign, replay.

Each action form carries the session's CSRF token and an Idempotency-Key minted when the page was rendered,
so a form sent twice (a double click, a browser resubmitting) reaches the process API as one request.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, Parameter
from litestar.response import Redirect

from services.experience.ops_console.access import ACTION_LABELS
from services.experience.ops_console.clients import ActionOutcome
from services.experience.ops_console.views._deals import OWNERS, clean
from services.experience.ops_console.views._web import (
    PAGE_OPT,
    SECURITY_HEADERS,
    console_of,
    flash,
    form_of,
    page,
    person_of,
    query,
    safe_next,
)

__all__ = ["ExceptionPagesController", "idempotency_key", "outcome_message"]

_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CURSOR = re.compile(r"^[0-9]{1,9}$")
WorkflowId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$", max_length=200)]]
EntryId = FromPath[Annotated[str, Parameter(pattern=r"^[0-9]{1,20}-[0-9]{1,20}$", max_length=41)]]


def idempotency_key(form: dict[str, str]) -> str:
    """The form's key (minted when the page was rendered), or a fresh one for a form that carries none."""
    key = form.get("idempotency_key", "")
    return f"ops_console:{key if _KEY.match(key) else uuid.uuid4().hex}"


def _person_name(given: str | None) -> str | None:
    """A person's name from a form or link: trimmed, printable, at most 100 characters; else ``None``."""
    name = (given or "").strip()
    return name if 0 < len(name) <= 100 and name.isprintable() else None


def outcome_message(what: str, outcome: ActionOutcome) -> str:
    if outcome.accepted:
        again = " (this form had been sent before; nothing was repeated)" if outcome.replayed else ""
        return f"{what}: accepted{again}. The workflow continues in the background."
    return f"{what}: refused by the process API ({outcome.status}): {outcome.detail}"


class ExceptionPagesController(Controller):
    path = "/"
    opt = PAGE_OPT

    @get("/exceptions", opt=query("owner", "cursor", "assignee"), include_in_schema=False)
    async def queue(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session, person = await person_of(request)
        owner = clean(request.query_params.get("owner"), OWNERS)
        cursor = request.query_params.get("cursor") or ""
        assignee = _person_name(request.query_params.get("assignee"))
        queue = await console_of(request).exceptions(owner, cursor if _CURSOR.match(cursor) else None, assignee)
        return await page(request, "exceptions.html.j2", session=session, session_id=session_id, person=person,
                          queue=queue, owner=owner, owners=OWNERS, assignee=assignee,
                          form_key=lambda: uuid.uuid4().hex)

    @post("/workflows/{workflow_id:str}/assign", opt=query(), include_in_schema=False)
    async def assign(self, workflow_id: WorkflowId, request: Request[Any, Any, Any]) -> Response[Any]:
        session_id, session, person = await person_of(request)
        form = await form_of(request, session)
        assignee = _person_name(form.get("assignee"))
        if assignee is None:
            message = f"Assign {workflow_id}: name the person (1 to 100 characters)."
        else:
            outcome = await console_of(request).assign(person, workflow_id, assignee, idempotency_key(form))
            message = outcome_message(f"Assign {workflow_id} to {assignee}", outcome)
        await flash(request, session_id, session, message)
        return Redirect(safe_next(form.get("next"), "/exceptions"), status_code=303, headers=SECURITY_HEADERS)

    @post("/workflows/{workflow_id:str}/{action:str}", opt=query(), include_in_schema=False)
    async def act(self, workflow_id: WorkflowId, action: FromPath[Literal["resume", "retry", "cancel"]],
                  request: Request[Any, Any, Any]) -> Response[Any]:
        session_id, session, person = await person_of(request)
        form = await form_of(request, session)
        outcome = await console_of(request).act(person, workflow_id, action, idempotency_key(form))
        await flash(request, session_id, session, outcome_message(f"{ACTION_LABELS[action]} {workflow_id}", outcome))
        return Redirect(safe_next(form.get("next"), "/exceptions"), status_code=303, headers=SECURITY_HEADERS)

    @post("/dead-letters/{entry_id:str}/replay", opt=query(), include_in_schema=False)
    async def replay(self, entry_id: EntryId, request: Request[Any, Any, Any]) -> Response[Any]:
        session_id, session, person = await person_of(request)
        form = await form_of(request, session)
        outcome = await console_of(request).replay(person, entry_id, idempotency_key(form))
        await flash(request, session_id, session, outcome_message(f"Replay of dead letter {entry_id}", outcome))
        return Redirect("/exceptions#dead-letters", status_code=303, headers=SECURITY_HEADERS)
