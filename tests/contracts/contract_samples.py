"""Valid sample objects for the contract tests: one realistic annual deal, carried through every domain."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts import event_payloads as p
from contracts.billing import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    UsageRecord,
)
from contracts.catalog import BillingFrequency
from contracts.common import System
from contracts.deals import Amendment, AmendmentAction, DealLine, LineChange, Opportunity, OpportunityStage
from contracts.ledger import EntrySide, GlAccountRef, JournalEntry, JournalLine
from contracts.money import Money
from contracts.parties import Contact, ContactRole, Customer, PostalAddress, TaxId
from contracts.process import ExceptionOwner
from contracts.revenue import Allocation, PerformanceObligation, RecognitionPattern, RevenueContract, ScheduleLine

__all__ = ["AT", "customer", "deal_line", "invoice", "journal", "opportunity", "payloads", "revenue_contract", "usd"]

AT = datetime(2025, 1, 15, 12, 30, tzinfo=UTC)


def usd(text: str) -> Money:
    return Money.parse(text, "USD")


def customer() -> Customer:
    return Customer(
        id="001ACME", name="Acme Corp", currency="USD",
        billing_address=PostalAddress(line1="1 Main St", city="Springfield", country="US"),
        contacts=[Contact(name="Ada", email="ada@acme.test", roles=[ContactRole.BILLING])],
        tax_ids=[TaxId(type="us_ein", value="12-3456789")],
        external_ids={System.BILLING: "cus_123", System.ERP: "C-77"},
    )


def deal_line(**changes: object) -> DealLine:
    fields: dict[str, object] = dict(
        id="L1", product_sku="PLAT-SEAT", quantity=10, list_price=usd("100.00"), sale_price=usd("80.00"),
        service_start=date(2025, 1, 1), service_end=date(2025, 12, 31),
        billing_frequency=BillingFrequency.ANNUAL,
    )
    fields.update(changes)
    return DealLine(**fields)  # type: ignore[arg-type]


def opportunity() -> Opportunity:
    return Opportunity(
        id="006DEAL", name="Acme platform", customer_id="001ACME", stage=OpportunityStage.CLOSED_WON,
        close_date=date(2024, 12, 20), currency="USD", lines=[deal_line()], closed_at=AT,
    )


def invoice(status: InvoiceStatus = InvoiceStatus.OPEN) -> Invoice:
    line = InvoiceLine(id="il_1", description="Platform seats", quantity=10, unit_amount=usd("80.00"),
                       amount=usd("800.00"), tax_amount=usd("64.00"),
                       period_start=date(2025, 1, 1), period_end=date(2025, 12, 31))
    return Invoice(id="in_1", customer_id="cus_123", status=status, currency="USD", lines=[line],
                   total=usd("864.00"), issued_on=date(2025, 1, 1), due_on=date(2025, 1, 31))


def journal() -> JournalEntry:
    return JournalEntry(entry_date=date(2025, 1, 31), lines=[
        JournalLine(account=GlAccountRef(number="2400"), side=EntrySide.DEBIT, amount=usd("66.67")),
        JournalLine(account=GlAccountRef(number="4000"), side=EntrySide.CREDIT, amount=usd("66.67")),
    ])


def revenue_contract() -> RevenueContract:
    obligation = PerformanceObligation(
        id="PO1", name="Platform", pattern=RecognitionPattern.RATABLE, standalone_selling_price=usd("1000.00"),
        start_date=date(2025, 1, 1), end_date=date(2025, 12, 31),
    )
    return RevenueContract(
        customer_id="001ACME", currency="USD", transaction_price=usd("800.00"), obligations=[obligation],
        allocations=[Allocation(obligation_id="PO1", amount=usd("800.00"))],
        schedule=[ScheduleLine(obligation_id="PO1", period_start=date(2025, 1, 1),
                               period_end=date(2025, 1, 31), amount=usd("66.67"))],
    )


def _subscription() -> Subscription:
    item = SubscriptionItem(id="si_1", product_sku="PLAT-SEAT", quantity=10, unit_amount=usd("80.00"),
                            billing_frequency=BillingFrequency.ANNUAL)
    return Subscription(id="sub_1", customer_id="cus_123", currency="USD", status=SubscriptionStatus.ACTIVE,
                        items=[item], start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))


def payloads() -> dict[type, object]:
    """One valid payload per catalogued payload class."""
    sub = _subscription()
    amendment = Amendment(opportunity_id="006DEAL", effective_date=date(2025, 7, 1), currency="USD",
                          changed_lines=[LineChange(action=AmendmentAction.UPDATE, line_id="L1",
                                                    line=deal_line(quantity=15, service_start=date(2025, 7, 1)))])
    credit = CreditNote(invoice_id="in_1", customer_id="cus_123", currency="USD", total=usd("10.00"),
                        lines=[CreditNoteLine(description="Goodwill", amount=usd("10.00"))])
    items = [
        p.OpportunityClosedWon(opportunity=opportunity(), customer=customer(), closed_at=AT),
        p.OpportunityAmended(amendment=amendment),
        p.OpportunityRenewed(opportunity=opportunity(), customer=customer(), closed_at=AT),
        p.OpportunityLost(opportunity_id="006LOST", reason="budget", closed_at=AT),
        p.InvoiceCreated(invoice=invoice(InvoiceStatus.DRAFT)),
        p.InvoiceFinalized(invoice=invoice()),
        p.InvoicePaid(invoice=invoice(InvoiceStatus.PAID),
                      payment=Payment(customer_id="cus_123", amount=usd("864.00"), status=PaymentStatus.SUCCEEDED)),
        p.InvoiceVoided(invoice=invoice(InvoiceStatus.VOID)),
        p.SubscriptionCreated(subscription=sub),
        p.SubscriptionUpdated(subscription=sub, changed_fields=["items"]),
        p.SubscriptionCanceled(subscription=sub, canceled_at=AT),
        p.CreditNoteCreated(credit_note=credit),
        p.RefundCreated(refund=Refund(payment_id="py_1", amount=usd("10.00"), status=RefundStatus.SUCCEEDED)),
        p.UsageRecorded(record=UsageRecord(id="u1", subscription_id="sub_1", subscription_item_id="si_1",
                                           quantity=42, occurred_at=AT)),
        p.ErpInvoicePosted(invoice_id="in_1", erp_invoice_id="INV-9", accounting_period="2025-01",
                           posted_at=AT, journal_entry=journal()),
        p.RevenueContractRegistered(contract=revenue_contract()),
        p.RevenueScheduleUpdated(contract_id="RC1", contract_version=2, schedule=revenue_contract().schedule),
        p.RevenuePeriodClosed(accounting_period="2025-01", closed_at=AT, recognized=[usd("66.67")]),
        p.WorkflowCompleted(workflow_id="wf1", workflow="activation", subject="006DEAL", completed_at=AT),
        p.WorkflowNeedsAttention(workflow_id="wf2", workflow="activation", subject="006DEAL", step="create_customer",
                                 owner=ExceptionOwner.SALES_OPS, reason="No billing address",
                                 fix="Add the billing address on the account", occurred_at=AT),
    ]
    return {type(item): item for item in items}
