"""Request and response bodies of the quote-to-cash process API (v1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from contracts.process import BusinessStatus, ExceptionOwner
from services.process.quote_to_cash.saga import Summary, WorkflowState

__all__ = ["ExceptionListV1", "ExceptionV1", "WorkflowListV1", "WorkflowStartV1"]

WorkflowKind = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,40}$", description="Workflow kind",
                                           examples=["activation"])]
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


class ExceptionListV1(msgspec.Struct, frozen=True, kw_only=True):
    data: list[ExceptionV1]
    by_owner: dict[str, int]
