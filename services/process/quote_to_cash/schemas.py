"""Request and response bodies of the quote-to-cash process API (v1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Summary, WorkflowState
from services.process.quote_to_cash.workflows import DEFINITIONS

__all__ = ["AssignmentV1", "ExceptionListV1", "ExceptionV1", "WorkflowActionV1", "WorkflowAssignV1", "WorkflowListV1",
           "WorkflowStartV1"]

WorkflowKind = Annotated[Literal[tuple(sorted(DEFINITIONS))], msgspec.Meta(
    description="Workflow kind: one of the registered workflows", examples=["activation"])]
Subject = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
                                      description="Business key the workflow is about (the CRM opportunity id)",
                                      examples=["0061x00000AbCdE"])]


class WorkflowStartV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Start a workflow by hand (events start them too); a second start with the same id returns the first."""

    kind: WorkflowKind
    subject: Subject
    input: dict[str, Any]
    """The workflow's input record (for ``activation``: the ``closed_won`` event payload)."""
    id: Subject | None = None
    """The workflow id; ``<kind>:<subject>`` when absent."""


Person = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$",
                                     description="A person, as the calling application knows them (user name or email)",
                                     examples=["maria@finance.example"])]
Note = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                                   description="Why, in the person's words (kept in the workflow's history)")]


class WorkflowActionV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who asks for a resume, retry or cancel, and why.

    The body is optional; without ``actor`` the history names the calling client.
    """

    actor: Person | None = None
    note: Note | None = None


class WorkflowAssignV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Name who works on a workflow's open exception."""

    assignee: Person
    actor: Person | None = None
    """Who assigns it; the calling client when absent."""
    note: Note | None = None


class AssignmentV1(msgspec.Struct, frozen=True, kw_only=True):
    """Who works on the exception, since when, and who said so."""

    assignee: str
    assigned_by: str
    assigned_at: datetime
    note: str | None = None


class WorkflowListV1(msgspec.Struct, frozen=True, kw_only=True):
    """Workflows matching the filters, newest first, and how many there are per business status."""

    data: list[Summary]
    counts: dict[str, int]
    """Per business status, over every workflow matching the filters except ``business_status``."""
    total: int
    next_cursor: str | None = None


class ExceptionV1(msgspec.Struct, frozen=True, kw_only=True):
    """A workflow a person must act on: who, why, what to do, since when."""

    workflow_id: str
    kind: str
    subject: str
    state: WorkflowState
    business_status: BusinessStatus
    owner: ExceptionOwner
    step: str
    reason: str
    fix: str
    code: str | None = None
    occurred_at: datetime
    age_seconds: int
    assignment: AssignmentV1 | None = None
    """Who works on it; ``None`` while unassigned."""


class ExceptionListV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[ExceptionV1]
    by_owner: dict[str, int]
