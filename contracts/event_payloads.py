"""Event payloads: the ``data`` of each catalogue event, one Struct per event type and major version.

Payloads carry the canonical object as it stands after the change (event-carried state), so a consumer
rarely needs to call back. The type string lives in ``EVENT_CATALOG``, not in the payload: the CloudEvents
envelope already carries it. A breaking change is a new payload Struct under a new ``.v<major>`` type.
Contract version: 1.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from contracts.billing import CreditNote, Invoice, Payment, Refund, Subscription, UsageRecord
from contracts.common import ExternalIds, Id, Instant, Period
from contracts.deals import Amendment, Opportunity
from contracts.ledger import JournalEntry
from contracts.money import Money
from contracts.parties import Customer
from contracts.process import BusinessStatus, ExceptionOwner
from contracts.revenue import RevenueContract, ScheduleLine

__all__ = [
    "CreditNoteCreated",
    "ErpInvoicePosted",
    "InvoiceCreated",
    "InvoiceFinalized",
    "InvoicePaid",
    "InvoiceVoided",
    "OpportunityAmended",
    "OpportunityClosedWon",
    "OpportunityLost",
    "OpportunityRenewed",
    "RefundCreated",
    "RevenueContractRegistered",
    "RevenuePeriodClosed",
    "RevenueScheduleUpdated",
    "SubscriptionCanceled",
    "SubscriptionCreated",
    "SubscriptionUpdated",
    "UsageRecorded",
    "WorkflowCompleted",
    "WorkflowNeedsAttention",
]

_Text = Annotated[str, msgspec.Meta(min_length=1)]


# -- crm --------------------------------------------------------------------------------------------------


class OpportunityClosedWon(msgspec.Struct, frozen=True, kw_only=True):
    """A deal was won: the opportunity with its lines, and the buying customer."""

    opportunity: Opportunity
    customer: Customer
    closed_at: Instant


class OpportunityAmended(msgspec.Struct, frozen=True, kw_only=True):
    """A booked deal was changed mid-term."""

    amendment: Amendment


class OpportunityRenewed(msgspec.Struct, frozen=True, kw_only=True):
    """A renewal was won; ``opportunity.renews_opportunity_id`` names the term it continues."""

    opportunity: Opportunity
    customer: Customer
    closed_at: Instant


class OpportunityLost(msgspec.Struct, frozen=True, kw_only=True):
    """A deal was lost; nothing downstream should start."""

    opportunity_id: Id
    reason: str | None = None
    closed_at: Instant


# -- billing ----------------------------------------------------------------------------------------------


class InvoiceCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A draft invoice exists in billing."""

    invoice: Invoice


class InvoiceFinalized(msgspec.Struct, frozen=True, kw_only=True):
    """An invoice was finalized (numbered, open for payment); it can now be posted to the ERP."""

    invoice: Invoice


class InvoicePaid(msgspec.Struct, frozen=True, kw_only=True):
    """An invoice was paid in full."""

    invoice: Invoice
    payment: Payment | None = None


class InvoiceVoided(msgspec.Struct, frozen=True, kw_only=True):
    """An invoice was voided; its ERP posting must be reversed."""

    invoice: Invoice
    reason: str | None = None


class SubscriptionCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription was created (usually by deal activation)."""

    subscription: Subscription


class SubscriptionUpdated(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription changed (quantity, price, term, status)."""

    subscription: Subscription
    changed_fields: list[str] = []
    """Top-level field names that changed, when the billing system says so."""


class SubscriptionCanceled(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription was canceled, now or at ``subscription.end_date``."""

    subscription: Subscription
    canceled_at: Instant
    reason: str | None = None


class CreditNoteCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A credit note was issued against an invoice."""

    credit_note: CreditNote


class RefundCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A refund was issued against a payment."""

    refund: Refund


class UsageRecorded(msgspec.Struct, frozen=True, kw_only=True):
    """Usage was reported on a usage-priced subscription item."""

    record: UsageRecord


# -- erp --------------------------------------------------------------------------------------------------


class ErpInvoicePosted(msgspec.Struct, frozen=True, kw_only=True):
    """A billing invoice was posted to the ERP's receivables and ledger."""

    invoice_id: Id
    """The billing system's invoice id."""
    erp_invoice_id: Id
    accounting_period: Period
    posted_at: Instant
    journal_entry: JournalEntry | None = None


# -- revrec -----------------------------------------------------------------------------------------------


class RevenueContractRegistered(msgspec.Struct, frozen=True, kw_only=True):
    """A revenue contract was registered, allocated and scheduled."""

    contract: RevenueContract


class RevenueScheduleUpdated(msgspec.Struct, frozen=True, kw_only=True):
    """A contract's schedule changed (modification, usage, progress); ``schedule`` is the full new schedule."""

    contract_id: Id
    contract_version: Annotated[int, msgspec.Meta(ge=1)]
    schedule: list[ScheduleLine]
    reason: str | None = None


class RevenuePeriodClosed(msgspec.Struct, frozen=True, kw_only=True):
    """An accounting period was closed in rev-rec; its revenue and deferred balances are final."""

    accounting_period: Period
    closed_at: Instant
    recognized: list[Money] = []
    """Revenue recognised in the period, one amount per currency."""
    deferred_balance: list[Money] = []
    """Deferred revenue at period end, one amount per currency."""
    journal_entry_ids: list[Id] = []


# -- process ----------------------------------------------------------------------------------------------


class WorkflowCompleted(msgspec.Struct, frozen=True, kw_only=True):
    """A finance workflow finished; ``external_ids`` lists what it created in each system."""

    workflow_id: Id
    workflow: _Text
    """The finance process: ``activation``, ``amendment``, ``renewal``, ``period_close``, ..."""
    subject: Id
    """The business key the workflow ran for (opportunity id, invoice id, period)."""
    business_status: BusinessStatus = BusinessStatus.COMPLETED
    completed_at: Instant
    external_ids: ExternalIds = {}


class WorkflowNeedsAttention(msgspec.Struct, frozen=True, kw_only=True):
    """A workflow stopped on a problem a person must fix; replay it after the fix."""

    workflow_id: Id
    workflow: _Text
    subject: Id
    step: _Text
    owner: ExceptionOwner
    reason: _Text
    """What went wrong, in finance's words."""
    fix: _Text
    """What the owner should do."""
    business_status: BusinessStatus = BusinessStatus.NEEDS_ATTENTION
    dead_lettered: bool = False
    occurred_at: Instant
