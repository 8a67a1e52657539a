"""The event catalogue: every event type revflow emits, its payload Struct, domain, owner and status.

``EVENT_CATALOG`` is the single source the codec in ``contracts.events`` and the AsyncAPI document
(``contracts/asyncapi.yaml``) are built from. Adding an event means adding a payload Struct to
``contracts.event_payloads`` and one entry here; retiring one means setting ``status`` to ``deprecated`` and
naming ``replaced_by``, never deleting it while consumers may still read it. Contract version: 1.
"""

from __future__ import annotations

import enum
import inspect
import re
from dataclasses import dataclass

import msgspec

from contracts import event_payloads as p

__all__ = [
    "DOMAIN_SOURCES",
    "EVENT_CATALOG",
    "EVENT_TYPE_RULE",
    "EventSpec",
    "EventStatus",
    "UnknownEventTypeError",
    "event_spec",
    "event_type_of",
]

# Same rule as ``contracts.events.EVENT_TYPE_PATTERN``, stated here so the catalogue has no import cycle.
EVENT_TYPE_RULE = re.compile(r"^revflow\.([a-z_]+)\.([a-z_]+)\.([a-z_]+)\.v([0-9]+)$")

DOMAIN_SOURCES: dict[str, str] = {
    "crm": "/services/system/crm",
    "billing": "/services/system/billing",
    "erp": "/services/system/erp",
    "revrec": "/services/system/revrec",
    "process": "/services/process/quote_to_cash",
}
"""Domain -> the CloudEvents ``source`` of the service that emits its events."""

_OWNERS = {
    "crm": "crm-system",
    "billing": "billing-system",
    "erp": "erp-system",
    "revrec": "revrec-system",
    "process": "quote-to-cash",
}


class UnknownEventTypeError(ValueError):
    """An event ``type`` (or payload class) that is not in the catalogue."""


class EventStatus(enum.StrEnum):
    ACTIVE = "active"
    DEPRECATED = "deprecated"


@dataclass(frozen=True, kw_only=True)
class EventSpec:
    """One catalogue entry."""

    type: str
    """``revflow.<domain>.<entity>.<event>.v<major>``."""
    payload: type[msgspec.Struct]
    """The Struct the event's ``data`` decodes to."""
    domain: str
    """The emitting domain; also the Redis stream ``revflow:{events:<domain>}``."""
    owner: str
    """The team (service) that emits the event and answers for its contract."""
    source: str
    """The CloudEvents ``source`` of the emitting service."""
    description: str
    status: EventStatus = EventStatus.ACTIVE
    replaced_by: str | None = None
    """For deprecated events: the type that supersedes it."""

    @property
    def major(self) -> int:
        """The major version in the type (``1`` for ``...v1``)."""
        return int(self.type.rsplit(".v", 1)[1])

    @property
    def stream(self) -> str:
        """The Redis stream key the event is published on (hash-tagged per domain for Cluster)."""
        return f"revflow:{{events:{self.domain}}}"


def _spec(
    type_: str,
    payload: type[msgspec.Struct],
    status: EventStatus = EventStatus.ACTIVE,
    replaced_by: str | None = None,
) -> tuple[str, EventSpec]:
    match = EVENT_TYPE_RULE.match(type_)
    if match is None:  # pragma: no cover - guards the literal table below
        raise AssertionError(f"catalogue type {type_!r} breaks the naming rule")
    domain = match.group(1)
    description = inspect.cleandoc(payload.__doc__ or "").split("\n\n")[0].replace("\n", " ")
    spec = EventSpec(type=type_, payload=payload, domain=domain, owner=_OWNERS[domain],
                     source=DOMAIN_SOURCES[domain], description=description, status=status, replaced_by=replaced_by)
    return type_, spec


EVENT_CATALOG: dict[str, EventSpec] = dict([
    _spec("revflow.crm.opportunity.closed_won.v1", p.OpportunityClosedWon),
    _spec("revflow.crm.opportunity.amended.v1", p.OpportunityAmended),
    _spec("revflow.crm.opportunity.renewed.v1", p.OpportunityRenewed),
    _spec("revflow.crm.opportunity.lost.v1", p.OpportunityLost),
    _spec("revflow.billing.invoice.created.v1", p.InvoiceCreated),
    _spec("revflow.billing.invoice.finalized.v1", p.InvoiceFinalized),
    _spec("revflow.billing.invoice.paid.v1", p.InvoicePaid),
    _spec("revflow.billing.invoice.voided.v1", p.InvoiceVoided),
    _spec("revflow.billing.subscription.created.v1", p.SubscriptionCreated),
    _spec("revflow.billing.subscription.updated.v1", p.SubscriptionUpdated),
    _spec("revflow.billing.subscription.canceled.v1", p.SubscriptionCanceled),
    _spec("revflow.billing.credit_note.created.v1", p.CreditNoteCreated),
    _spec("revflow.billing.refund.created.v1", p.RefundCreated),
    _spec("revflow.billing.usage.recorded.v1", p.UsageRecorded),
    _spec("revflow.erp.invoice.posted.v1", p.ErpInvoicePosted),
    _spec("revflow.revrec.contract.registered.v1", p.RevenueContractRegistered),
    _spec("revflow.revrec.schedule.updated.v1", p.RevenueScheduleUpdated),
    _spec("revflow.revrec.period.closed.v1", p.RevenuePeriodClosed),
    _spec("revflow.process.workflow.completed.v1", p.WorkflowCompleted),
    _spec("revflow.process.workflow.needs_attention.v1", p.WorkflowNeedsAttention),
])

_BY_PAYLOAD: dict[type, str] = {spec.payload: type_ for type_, spec in EVENT_CATALOG.items()}


def event_spec(type_: str) -> EventSpec:
    """Return the catalogue entry of an event type.

    Raises:
        UnknownEventTypeError: When the type is not catalogued.
    """
    try:
        return EVENT_CATALOG[type_]
    except KeyError:
        raise UnknownEventTypeError(f"type: unknown event type {type_!r}; it is not in EVENT_CATALOG") from None


def event_type_of(payload: msgspec.Struct | type[msgspec.Struct]) -> str:
    """Return the catalogued event type of a payload instance or class.

    Raises:
        UnknownEventTypeError: When the payload class is not in the catalogue.
    """
    cls = payload if isinstance(payload, type) else type(payload)
    try:
        return _BY_PAYLOAD[cls]
    except KeyError:
        raise UnknownEventTypeError(f"{cls.__name__} is not the payload of any event in EVENT_CATALOG") from None
