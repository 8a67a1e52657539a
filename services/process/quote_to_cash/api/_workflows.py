"""Workflow routes: start, inspect, list, exceptions, resume / retry / cancel / assign, dead letters.

The exception queue names each workflow's owner, fix and assignee; dead letters are those of the streams the
process tier consumes, replayable after the fix. A person's request names them (``actor``) when the calling
application knows them (the console does); otherwise the history names the calling client.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from contracts.problems import FieldError
from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.engine import UnknownWorkflowError, Workflows
from services.process.quote_to_cash.saga import Summary, WorkflowRecord, WorkflowState
from services.process.quote_to_cash.schemas import (
    AssignmentV1,
    ExceptionListV1,
    ExceptionV1,
    WorkflowActionV1,
    WorkflowAssignV1,
    WorkflowListV1,
    WorkflowStartV1,
)
from services.process.quote_to_cash.workflows import DEFINITIONS
from services.runtime.app import links_to
from services.runtime.auth.guards import current_principal, requires
from services.runtime.events import DeadLetter, DeadLetterNotFoundError
from services.runtime.problems import ServiceError
from services.runtime.strict_body import split_validation_error

__all__ = ["DeadLetterController", "ExceptionController", "WorkflowController", "workflows_of"]

_READ, _WRITE = [requires("quote_to_cash:read")], [requires("quote_to_cash:write")]
WorkflowId = FromPath[Annotated[str, Parameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$", max_length=200,
                                               description="The workflow id (`activation:<opportunity id>`)")]]
_Cursor = Annotated[str | None, Parameter(pattern=r"^[0-9]{1,9}$", max_length=9, description="Offset to continue from")]
_Limit = Annotated[int, Parameter(ge=1, le=500, description="Rows per page")]
_Text = Annotated[str | None, Parameter(max_length=100, description="Search text")]


def workflows_of(request: Request[Any, Any, Any]) -> Workflows:
    """The ``Workflows`` built in the app's lifespan."""
    return request.app.state.workflows  # type: ignore[no-any-return]


async def _record(request: Request[Any, Any, Any], workflow_id: str) -> WorkflowRecord:
    try:
        return await workflows_of(request).get(workflow_id)
    except UnknownWorkflowError:
        raise ServiceError(f"No workflow {workflow_id}.", slug="not-found") from None


class WorkflowController(Controller):
    """Workflows: start, inspect, list, and the requests people make of them."""

    path = "/workflows"
    tags = ["workflows"]

    @post("/", operation_id="startWorkflowV1", guards=_WRITE, status_code=201,
          responses={200: ResponseSpec(WorkflowRecord, generate_examples=False,
                                       description="A workflow with this id existed already: its record, as it is")},
          opt=links_to("getWorkflowV1", "cancelWorkflowV1", workflow_id="$response.body#/id"),
          summary="Start a workflow (idempotent by id: a repeat answers 200 with the first run)")
    async def start(self, data: JSONBody[WorkflowStartV1], request: Request[Any, Any, Any]) -> Response[WorkflowRecord]:
        shape, flows = DEFINITIONS[data.kind].input_shape, workflows_of(request)
        if shape is not None and await flows.store.load(data.id or f"{data.kind}:{data.subject}") is None:
            _check_input(shape, data.input)  # a repeat of an earlier start answers with that run, as documented
        try:
            record, created = await flows.start(data.kind, data.subject, data.input, workflow_id=data.id)
        except ValueError as exc:
            raise ServiceError(str(exc), slug="validation", errors=[
                FieldError(field="kind", source="body", message=str(exc).removeprefix("kind: "))]) from None
        return Response(record, status_code=201 if created else 200)

    @get("/", operation_id="listWorkflowsV1", guards=_READ,
         summary="Workflows by business status, owner, kind or refusal")
    async def list_workflows(self, request: Request[Any, Any, Any],
                             business_status: FromQuery[BusinessStatus | None] = None,
                             owner: FromQuery[ExceptionOwner | None] = None,
                             kind: FromQuery[Annotated[str | None, Parameter(pattern=r"^[a-z_]{1,40}$")]] = None,
                             technical_state: FromQuery[WorkflowState | None] = None,
                             subject: FromQuery[Annotated[str | None, Parameter(max_length=100)]] = None,
                             refused: FromQuery[Annotated[bool | None, Parameter(
                                 description="Only workflows whose request was refused (true), or none of them "
                                             "(false)")]] = None,
                             q: FromQuery[_Text] = None, limit: FromQuery[_Limit] = 100,
                             cursor: FromQuery[_Cursor] = None) -> WorkflowListV1:
        rows = await workflows_of(request).store.summaries()
        needle = q.lower() if q else None

        def keep(row: Summary) -> bool:
            return ((owner is None or row.owner == owner) and (kind is None or row.kind == kind)
                    and (refused is None or (row.refusal is not None) == refused)
                    and (subject is None or row.subject == subject)
                    and (technical_state is None or row.state == technical_state)
                    and (needle is None or needle in f"{row.id} {row.subject} {row.customer or ''}".lower()))

        matching = [row for row in rows if keep(row)]
        counts: dict[str, int] = {}
        for row in matching:
            counts[row.business_status.value] = counts.get(row.business_status.value, 0) + 1
        if business_status is not None:
            matching = [row for row in matching if row.business_status == business_status]
        matching.sort(key=lambda row: (row.created_at, row.id), reverse=True)
        start = int(cursor or 0)
        page = matching[start:start + limit]
        more = start + limit < len(matching)
        return WorkflowListV1(data=page, counts=counts, total=len(matching),
                              next_cursor=str(start + limit) if more else None)

    @get("/{workflow_id:str}", operation_id="getWorkflowV1", guards=_READ,
         opt=links_to("cancelWorkflowV1", workflow_id="$response.body#/id"),
         summary="A workflow: state, business status, every step with its output, history, exception")
    async def read(self, workflow_id: WorkflowId, request: Request[Any, Any, Any]) -> WorkflowRecord:
        return await _record(request, workflow_id)

    async def _act(self, request: Request[Any, Any, Any], workflow_id: str, action: str,
                   data: WorkflowActionV1 | None) -> WorkflowRecord:
        await _record(request, workflow_id)
        body = data or WorkflowActionV1()
        try:
            return await workflows_of(request).request(workflow_id, action, actor=_actor(request, body.actor),
                                                       note=body.note)
        except ValueError as exc:
            raise ServiceError(str(exc).removeprefix("action: "), slug="conflict") from None

    @post("/{workflow_id:str}/resume", operation_id="resumeWorkflowV1", guards=_WRITE, status_code=202,
          summary="Resume a parked workflow from its failed step, after the fix")
    async def resume(self, workflow_id: WorkflowId, request: Request[Any, Any, Any],
                     data: JSONBody[WorkflowActionV1 | None] = None) -> WorkflowRecord:
        return await self._act(request, workflow_id, "resume", data)

    @post("/{workflow_id:str}/retry", operation_id="retryWorkflowV1", guards=_WRITE, status_code=202,
          summary="Replay a dead-lettered (or retrying) workflow's failed step now")
    async def retry(self, workflow_id: WorkflowId, request: Request[Any, Any, Any],
                    data: JSONBody[WorkflowActionV1 | None] = None) -> WorkflowRecord:
        return await self._act(request, workflow_id, "retry", data)

    @post("/{workflow_id:str}/cancel", operation_id="cancelWorkflowV1", guards=_WRITE, status_code=202,
          summary="Cancel an unfinished workflow: its completed steps are undone in reverse order",
          description="A step whose answer was lost is looked up, and undone if its write was made; steps without an "
                      "undo (customers, items, reads) are kept. 409 when the workflow has finished, or is past the "
                      "step that makes it live (an activation's or a renewal's revenue contract): the problem's "
                      "detail names the workflow that ends it instead (a cancellation).")
    async def cancel(self, workflow_id: WorkflowId, request: Request[Any, Any, Any],
                     data: JSONBody[WorkflowActionV1 | None] = None) -> WorkflowRecord:
        return await self._act(request, workflow_id, "cancel", data)

    @post("/{workflow_id:str}/assign", operation_id="assignWorkflowV1", guards=_WRITE, status_code=200,
          summary="Name who works on a workflow's open exception (replaces an earlier assignee)")
    async def assign(self, workflow_id: WorkflowId, data: JSONBody[WorkflowAssignV1],
                     request: Request[Any, Any, Any]) -> AssignmentV1:
        await _record(request, workflow_id)
        try:
            done = await workflows_of(request).assign(workflow_id, data.assignee, actor=_actor(request, data.actor),
                                                      note=data.note)
        except ValueError as exc:
            raise ServiceError(str(exc), slug="conflict") from None
        return AssignmentV1(assignee=done.assignee, assigned_by=done.assigned_by, assigned_at=done.assigned_at,
                            note=done.note)


_MISSING = re.compile(r"^Object missing required field `([^`]+)`$")


def _check_input(shape: type, value: dict[str, Any]) -> None:
    """Refuse an input not of the workflow's shape with a 400 naming the field under ``input``."""
    try:
        msgspec.convert(value, shape, strict=True)
    except msgspec.ValidationError as exc:
        message, path = split_validation_error(str(exc))
        if missing := _MISSING.match(message):
            path, message = ".".join(filter(None, (path, missing.group(1)))), "required"
        field = ".".join(filter(None, ("input", path)))
        raise ServiceError(f"{field}: {message}", slug="validation",
                           errors=[FieldError(field=field, source="body", message=message)]) from None


def _actor(request: Request[Any, Any, Any], named: str | None) -> str:
    """The person the calling application names, else the calling client."""
    return named or current_principal(request).client_id


class ExceptionController(Controller):
    """The exception queue: workflows waiting for a person, by owner."""

    path = "/exceptions"
    tags = ["exceptions"]

    @get("/", operation_id="listExceptionsV1", guards=_READ, summary="Workflows a person must act on, oldest first")
    async def list_exceptions(self, request: Request[Any, Any, Any],
                              owner: FromQuery[ExceptionOwner | None] = None,
                              subject: FromQuery[Annotated[str | None, Parameter(max_length=100)]] = None,
                              assignee: FromQuery[Annotated[str | None, Parameter(
                                  max_length=100, description="Only those assigned to this person")]] = None,
                              ) -> ExceptionListV1:
        workflows = workflows_of(request)
        rows: list[Any] = [r for r in await workflows.store.summaries() if r.owner is not None
                           and not r.state.is_terminal and (owner is None or r.owner == owner)
                           and (subject is None or r.subject == subject)]
        older = [r.id for r in rows if r.exception is None]  # indexed before rows carried the exception
        if older:
            loaded = {record.id: record for record in await workflows.store.load_many(older)}
            rows = [loaded.get(r.id, r) if r.exception is None else r for r in rows]
        assigned = await workflows.current_assignments(rows)
        now = datetime.now(UTC)
        found: list[ExceptionV1] = []
        for row in rows:
            exc, who = row.exception, assigned.get(row.id)
            if exc is None or (assignee is not None and (who is None or who.assignee != assignee)):
                continue
            found.append(ExceptionV1(workflow_id=row.id, kind=row.kind, subject=row.subject,
                                     state=row.state, business_status=row.business_status, owner=exc.owner,
                                     step=exc.step, reason=exc.reason, fix=exc.fix, code=exc.code,
                                     occurred_at=exc.occurred_at,
                                     age_seconds=int((now - exc.occurred_at).total_seconds()),
                                     assignment=None if who is None else AssignmentV1(
                                         assignee=who.assignee, assigned_by=who.assigned_by,
                                         assigned_at=who.assigned_at, note=who.note)))
        found.sort(key=lambda e: e.occurred_at)
        by_owner: dict[str, int] = {}
        for item in found:
            by_owner[item.owner.value] = by_owner.get(item.owner.value, 0) + 1
        return ExceptionListV1(data=found, by_owner=by_owner)


_DlqId = FromPath[Annotated[str, Parameter(pattern=r"^[0-9]{1,20}-[0-9]{1,20}$", description="Dead letter entry id")]]


class DeadLetterController(Controller):
    """Dead letters of the streams the process tier consumes (CRM and billing events, workflow kicks)."""

    path = "/dead-letters"
    tags = ["dead letters"]

    @get("/", operation_id="listDeadLettersV1", guards=_READ, summary="Dead letters, oldest first")
    async def list_dead_letters(self, request: Request[Any, Any, Any],
                                limit: FromQuery[_Limit] = 100) -> list[DeadLetter]:
        return await workflows_of(request).bus.list_dead_letters(count=limit)

    @post("/{entry_id:str}/replay", operation_id="replayDeadLetterV1", guards=_WRITE, status_code=202,
          summary="Put a dead letter's event back on its stream for the group that failed it")
    async def replay(self, entry_id: _DlqId, request: Request[Any, Any, Any]) -> dict[str, str]:
        try:
            new_id = await workflows_of(request).bus.replay_dead_letter(entry_id)
        except DeadLetterNotFoundError:
            raise ServiceError(f"No dead letter {entry_id} (perhaps already replayed).", slug="not-found") from None
        return {"replayed": entry_id, "stream_entry_id": new_id}
