"""The panel drawn from the process API's deal view: pure functions, no I/O.

Money rules (why each figure is what it is):

- **billed** counts invoices that were issued: ``open``, ``paid`` and ``uncollectible``. A ``draft`` can still
  change and a ``void`` invoice was cancelled, so neither is billed.
- **paid** is what billing recorded as paid on those invoices; **outstanding** is billed minus paid, invoice by
  invoice, so an overpayment on one never hides a debt on another.
- **recognized** is the sum of the revenue contract's schedule lines whose period is closed: revenue is
  recognised when the period closes in revrec, not when a line is scheduled.
- Figures are summed in the deal's currency only (a subscription bills in one currency); a document in another
  currency is left out rather than added across currencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from contracts.money import Money, UnknownCurrencyError, exponent
from contracts.process import BusinessStatus
from services.experience.crm_panel.clients import DealView, ExceptionRecord, Invoice, MoneyIn, WorkflowRow
from services.experience.crm_panel.schemas import (
    AmountsV1,
    AmountV1,
    DealPanelV1,
    NextInvoiceV1,
    OpenExceptionV1,
    Tone,
)

__all__ = ["LABELS", "TONES", "amount", "compose_panel", "deal_currency", "open_workflows"]

LABELS: dict[BusinessStatus, str] = {
    BusinessStatus.PENDING_VALIDATION: "Pending validation",
    BusinessStatus.BLOCKED_MASTER_DATA: "Blocked: master data",
    BusinessStatus.AWAITING_BILLING: "Awaiting billing",
    BusinessStatus.AWAITING_ERP_POSTING: "Awaiting ERP posting",
    BusinessStatus.AWAITING_REVENUE_SCHEDULE: "Awaiting revenue schedule",
    BusinessStatus.COMPLETED: "Completed",
    BusinessStatus.NEEDS_ATTENTION: "Needs attention",
    BusinessStatus.CANCELLED: "Cancelled",
}
"""Each business status in finance's words."""

TONES: dict[BusinessStatus, Tone] = {
    BusinessStatus.PENDING_VALIDATION: Tone.WARNING,
    BusinessStatus.BLOCKED_MASTER_DATA: Tone.DANGER,
    BusinessStatus.NEEDS_ATTENTION: Tone.DANGER,
    BusinessStatus.COMPLETED: Tone.SUCCESS,
    BusinessStatus.CANCELLED: Tone.DEFAULT,
}
"""Status colours; the ``awaiting_*`` statuses are informational (work in progress)."""

_BILLED = frozenset({"open", "paid", "uncollectible"})
_OWED = frozenset({"open", "uncollectible"})
_TERMINAL = frozenset({"succeeded", "compensated"})


def amount(minor: int, currency: str) -> AmountV1:
    """An ``AmountV1`` of ``minor`` units of ``currency``."""
    decimal = Money(amount_minor=minor, currency=currency).format()
    return AmountV1(amount_minor=minor, currency=currency, decimal=decimal)


def _sum(amounts: Iterable[MoneyIn | None], currency: str) -> int:
    return sum(a.amount_minor for a in amounts if a is not None and a.currency == currency)


def deal_currency(view: DealView) -> str | None:
    """The deal's currency: the process's record, else the revenue contract's, else the first invoice's."""
    contract = view.revenue_contract.contract.currency if view.revenue_contract else None
    first_invoice = view.invoices[0].currency if view.invoices else None
    currency = view.ids.get("currency") or contract or first_invoice
    try:
        return currency if currency and exponent(currency) >= 0 else None
    except UnknownCurrencyError:
        return None


def _amounts(view: DealView, currency: str) -> AmountsV1:
    billed = [i for i in view.invoices if i.status in _BILLED and i.currency == currency]
    owed = [i for i in billed if i.status in _OWED]
    outstanding = sum(max(0, i.total.amount_minor - _sum([i.amount_paid], currency)) for i in owed)
    contract = view.revenue_contract
    recognized = 0
    booked = None
    if contract is not None and contract.contract.currency == currency:
        recognized = _sum((line.amount for s in contract.schedules for line in s.lines if line.closed), currency)
        price = contract.allocation.transaction_price if contract.allocation else contract.contract.transaction_price
        if price is not None and price.currency == currency:
            booked = amount(price.amount_minor, currency)
    return AmountsV1(booked=booked, billed=amount(_sum((i.total for i in billed), currency), currency),
                     paid=amount(_sum((i.amount_paid for i in billed), currency), currency),
                     outstanding=amount(outstanding, currency), recognized=amount(recognized, currency))


def _next_invoice(view: DealView, currency: str | None) -> NextInvoiceV1 | None:
    def owed(invoice: Invoice) -> AmountV1 | None:
        if currency is None or invoice.currency != currency:
            return None
        return amount(invoice.total.amount_minor - _sum([invoice.amount_paid], currency), currency)

    by_date = sorted(view.invoices, key=lambda i: (i.due_on or i.issued_on or i.period_start or datetime.max.date()))
    for state in ("open", "draft"):
        found = next((i for i in by_date if i.status == state), None)
        if found is not None:
            return NextInvoiceV1(state=state, invoice_id=found.id, number=found.number, amount_due=owed(found),
                                 due_on=found.due_on)
    if view.business_status is BusinessStatus.CANCELLED or not view.ids.get("subscription_id"):
        return None
    ends = [i.period_end for i in view.invoices if i.status != "void" and i.period_end is not None]
    if not ends:
        return None
    # Subscriptions renew until cancelled (renewal and cancellation are workflows of their own), so billing
    # invoices again when the last invoiced period ends, whatever the contract term says.
    return NextInvoiceV1(state="upcoming", expected_on=max(ends))


def open_workflows(view: DealView) -> list[WorkflowRow]:
    """The deal's workflows that wait for a person (their exception is read separately)."""
    return [w for w in view.workflows if w.owner is not None and w.state not in _TERMINAL]


def compose_panel(view: DealView, exceptions: list[tuple[WorkflowRow, ExceptionRecord]], *, now: datetime,
                  url: str | None = None) -> DealPanelV1:
    """The panel of a deal from its view and the exceptions of its open workflows."""
    currency = deal_currency(view)
    open_exceptions = sorted(
        (OpenExceptionV1(workflow_id=row.id, workflow=row.kind, step=exc.step, owner=exc.owner, reason=exc.reason,
                         fix=exc.fix, code=exc.code, since=exc.occurred_at, technical_state=row.state)
         for row, exc in exceptions),
        key=lambda e: (e.since or now, e.workflow_id))
    ids = {k: v for k, v in view.ids.items() if k.endswith(("_id", "_key"))}
    customer = next((w.customer for w in view.workflows if w.customer), None)
    return DealPanelV1(
        opportunity_id=view.opportunity_id, customer=customer, finance_status=view.business_status,
        finance_status_label=LABELS.get(view.business_status, view.business_status.value.replace("_", " ").title()),
        tone=TONES.get(view.business_status, Tone.INFO), subscription_id=view.ids.get("subscription_id"),
        ids=ids, currency=currency, amounts=_amounts(view, currency) if currency else None,
        next_invoice=_next_invoice(view, currency), exceptions=open_exceptions, url=url,
        unavailable=list(view.unavailable), as_of=now)
