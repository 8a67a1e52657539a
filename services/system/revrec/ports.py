"""The revrec connector port: the whole contract between the revrec service and a rev-rec platform.

A connector keeps contracts, their versions, schedules, billings and the period book of one rev-rec
platform, and answers in canonical and v1 API types only: no vendor or engine type crosses this line. The
built-in connector wraps revflow's own engine; a NetSuite ARM or Stripe Revenue Recognition connector would
implement the same Protocol. Events and audit are the service's business, not the connector's.

A period is named as on the wire: ``YYYY-MM``, or in a book kept on a fiscal calendar also ``FY<year>-P<nn>``
(``YYYY-MM`` then means that fiscal year and period number). ``field`` is the request field that named it, so a
refusal (a fiscal label in a calendar-month book, a period that does not exist) can say which.
"""

from __future__ import annotations

from typing import Protocol

from contracts.common import Id
from services.system.revrec.schemas import (
    AllocationV1,
    BalancesV1,
    BillingLinkV1,
    CalendarViewV1,
    ContractTermsV1,
    ContractViewV1,
    ExchangeRatesV1,
    JournalPageV1,
    MeasurementV1,
    ModificationV1,
    PeriodCloseV1,
    PostingV1,
    RegisterContractV1,
    RollForwardV1,
    SchedulePreviewV1,
    VerificationRequestV1,
    VerificationV1,
    WaterfallV1,
)

__all__ = ["RevrecConnector"]


class RevrecConnector(Protocol):
    """What the revrec service needs from a rev-rec platform.

    Every method raises a ``services.system.revrec.errors`` problem (never a vendor or engine error):
    ``ContractNotFound``, ``RevrecConflict`` (concurrent change, period already closed, duplicate billing),
    or a 400/422 naming the offending request field.
    """

    async def prepare(self) -> None:
        """Check the platform can serve this deployment's book (its calendar); raise ``ValueError`` if not."""
        ...

    async def register(self, request: RegisterContractV1) -> ContractViewV1:
        """Allocate, schedule and store a new contract (lines in closed periods land in the first open one)."""
        ...

    async def get(self, contract_id: Id) -> ContractViewV1:
        """The contract as it stands (latest version)."""
        ...

    async def modify(self, contract_id: Id, request: ModificationV1) -> tuple[ContractViewV1, ContractViewV1 | None]:
        """Apply a modification; returns the contract and, for a separate-contract change, the new contract."""
        ...

    async def link_billing(self, contract_id: Id, request: BillingLinkV1) -> ContractViewV1:
        """Link an invoice, credit note or payment to the contract."""
        ...

    async def measure(self, contract_id: Id, obligation_id: Id, request: MeasurementV1) -> ContractViewV1:
        """Record usage, progress, a milestone or a re-estimate for a measured obligation and reschedule it."""
        ...

    async def add_exchange_rates(self, contract_id: Id, request: ExchangeRatesV1) -> ContractViewV1:
        """Append later spot or closing rates to a foreign-currency contract (a repeat changes nothing)."""
        ...

    async def run_period(self, period: str, field: str = "period") -> PostingV1:
        """Recognise revenue of ``period`` over the book; a repeat returns the same posting."""
        ...

    async def close_period(self, period: str, field: str = "period") -> PeriodCloseV1:
        """Post and lock ``period`` (and every earlier one): it is never restated afterwards."""
        ...

    async def journal_entries(self, period: str, functional: bool = False, field: str = "period",
                              erp: bool = False) -> JournalPageV1:
        """Balanced journal entries of ``period`` over the book (in functional currencies when ``functional``).

        With ``erp``, only what the GL needs when the ERP posts invoices, credit memos and payments itself.
        """
        ...

    async def waterfall(self, contract_id: Id, after: str | None, field: str = "after_period") -> WaterfallV1:
        """Revenue still to recognise after ``after``, by obligation and period."""
        ...

    async def roll_forward(self, contract_id: Id) -> RollForwardV1:
        """Deferred-revenue roll-forward of the contract, period by period."""
        ...

    async def balances(self, contract_id: Id, as_of: str, field: str = "as_of") -> BalancesV1:
        """Receivable, contract asset and liability (current / non-current) at the end of ``as_of``."""
        ...

    async def calendar_view(self, year: int | None) -> CalendarViewV1:
        """The book's period calendar and, when ``year`` is given, that (fiscal) year's periods."""
        ...

    def preview_allocation(self, terms: ContractTermsV1) -> AllocationV1:
        """Allocation of ``terms`` without touching any state."""
        ...

    def preview_schedule(self, terms: ContractTermsV1) -> SchedulePreviewV1:
        """Allocation and schedules of ``terms`` without touching any state."""
        ...

    def verify(self, request: VerificationRequestV1) -> VerificationV1:
        """Recompute a vendor's schedule under its claimed convention and explain every difference."""
        ...
