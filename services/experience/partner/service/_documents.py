"""The tenant's customers, subscriptions, invoices and credit notes, read through its own deals only.

Customers come from the tenant index (the orders described them). Everything else is read live from the
process API's deal view (ids per system, workflows, billing invoices) and its credit workflows, for the
tenant's deals and nobody else's: the deal ids come from the tenant index, never from the request.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import msgspec

from contracts.billing import CreditNoteReason, Invoice
from contracts.money import Money
from services.experience.partner.pagination import paginate
from services.experience.partner.schemas import (
    CreditNotePageV1,
    CreditNoteV1,
    CustomerPageV1,
    InvoiceLineV1,
    InvoicePageV1,
    InvoiceV1,
    PartnerCustomer,
    SubscriptionItemV1,
    SubscriptionPageV1,
    SubscriptionStatus,
    SubscriptionV1,
)
from services.experience.partner.service._common import Deps, bounded_gather, not_found
from services.experience.partner.service._orders import Orders
from services.experience.partner.tenancy import OrderRecord

__all__ = ["Documents"]

_log = logging.getLogger("revflow.partner")
Deal = tuple[OrderRecord, dict[str, Any]]


class Documents:
    """Read-only views of what the tenant's orders became."""

    def __init__(self, deps: Deps, orders: Orders) -> None:
        self.deps, self.orders = deps, orders

    async def customers(self, tenant: str, limit: int, cursor: str | None) -> CustomerPageV1:
        rows = []
        for record, order_ids in await self.deps.index.customers(tenant):
            c = record.customer
            rows.append(PartnerCustomer(
                id=record.id, name=c.name, legal_name=c.legal_name, currency=c.currency,
                billing_address=c.billing_address, shipping_address=c.shipping_address, contacts=c.contacts,
                tax_ids=c.tax_ids, tax_exempt=c.tax_exempt, order_ids=order_ids, created_at=record.created_at,
                updated_at=record.updated_at))
        data, next_cursor = paginate(rows, lambda c: (c.created_at.isoformat(), c.id), limit, cursor)
        return CustomerPageV1(data=data, next_cursor=next_cursor)

    async def subscriptions(self, tenant: str, order_id: str | None, limit: int,
                            cursor: str | None) -> SubscriptionPageV1:
        rows = [sub for record, view in await self._deals(tenant, order_id)
                if (sub := _subscription(record, view)) is not None]
        data, next_cursor = paginate(rows, lambda s: (s.start_date.isoformat(), s.id), limit, cursor)
        return SubscriptionPageV1(data=data, next_cursor=next_cursor)

    async def invoices(self, tenant: str, order_id: str | None, limit: int, cursor: str | None) -> InvoicePageV1:
        rows = await self._invoices(tenant, order_id)
        data, next_cursor = paginate(rows, _invoice_key, limit, cursor)
        return InvoicePageV1(data=data, next_cursor=next_cursor)

    async def invoice(self, tenant: str, invoice_id: str) -> InvoiceV1:
        """One invoice of the tenant's; found through the deal it bills, never by asking billing for the id."""
        opportunity_id = await self.deps.index.deal_of_invoice(tenant, invoice_id)
        if opportunity_id is None:
            await self._invoices(tenant, None)  # learns the ids of invoices issued since the last read
            opportunity_id = await self.deps.index.deal_of_invoice(tenant, invoice_id)
        owner = await self.deps.index.owner_of_deal(opportunity_id) if opportunity_id else None
        record = await self.deps.index.order(tenant, owner[1]) if owner and owner[0] == tenant else None
        view = await self.deps.process.deal(opportunity_id) if record and opportunity_id else None
        found = [inv for inv in _invoices_of(record, view) if inv.id == invoice_id] if record and view else []
        if not found:
            raise not_found("invoice", invoice_id)
        return found[0]

    async def credit_notes(self, tenant: str, order_id: str | None, limit: int,
                           cursor: str | None) -> CreditNotePageV1:
        deals = [r for r in await self._records(tenant, order_id) if r.opportunity_id]
        per_deal = await bounded_gather(deals, self._credit_notes_of, self.deps.concurrency)
        rows = [note for notes in per_deal for note in notes]
        data, next_cursor = paginate(rows, lambda n: ((n.issued_on or date.min).isoformat(), n.id), limit, cursor)
        return CreditNotePageV1(data=data, next_cursor=next_cursor)

    # -- reading the tenant's deals ------------------------------------------------------------------------------

    async def _records(self, tenant: str, order_id: str | None) -> list[OrderRecord]:
        """The tenant's orders (or the one asked for), with deal ids learnt from the process tier if new."""
        if order_id is not None:
            record = await self.deps.index.order(tenant, order_id)
            if record is None:
                raise not_found("order", order_id)
            records = [record]
        else:
            records = await self.deps.index.orders(tenant)
        unbooked = [r for r in records if r.opportunity_id is None]
        refreshed = await bounded_gather(unbooked, self.orders.refresh, self.deps.concurrency)
        by_id = {r.order_id: r for r in refreshed}
        return [by_id.get(r.order_id, r) for r in records]

    async def _deals(self, tenant: str, order_id: str | None) -> list[Deal]:
        booked = [r for r in await self._records(tenant, order_id) if r.opportunity_id]
        views = await bounded_gather(booked, lambda r: self.deps.process.deal(str(r.opportunity_id)),
                                     self.deps.concurrency)
        return [(record, view) for record, view in zip(booked, views, strict=True) if view is not None]

    async def _invoices(self, tenant: str, order_id: str | None) -> list[InvoiceV1]:
        rows: list[InvoiceV1] = []
        seen: dict[str, str] = {}
        for record, view in await self._deals(tenant, order_id):
            for invoice in _invoices_of(record, view):
                rows.append(invoice)
                seen[invoice.id] = str(record.opportunity_id)
        await self.deps.index.remember_invoices(tenant, seen)
        return rows

    async def _credit_notes_of(self, record: OrderRecord) -> list[CreditNoteV1]:
        rows = await self.deps.process.workflows(kind="credit_refund", subject=str(record.opportunity_id))
        runs = await bounded_gather([r["id"] for r in rows if r.get("id")], self.deps.process.workflow,
                                    self.deps.concurrency)
        notes = [note for run in runs if run is not None and (note := _credit_note(record, run)) is not None]
        return notes


def _subscription(record: OrderRecord, view: dict[str, Any]) -> SubscriptionV1 | None:
    subscription_id = (view.get("ids") or {}).get("subscription_id")
    if not subscription_id:
        return None
    activation = next((w for w in view.get("workflows", []) if w.get("kind") == "activation"), None)
    state = (activation or {}).get("state")
    status = {"succeeded": SubscriptionStatus.ACTIVE, "compensated": SubscriptionStatus.CANCELLED,
              "compensating": SubscriptionStatus.CANCELLED, "parked": SubscriptionStatus.NEEDS_ATTENTION,
              "dead_lettered": SubscriptionStatus.NEEDS_ATTENTION}.get(str(state), SubscriptionStatus.ACTIVATING)
    items = [SubscriptionItemV1(sku=line.product_sku, description=line.description, quantity=line.quantity,
                                unit_amount=line.sale_price, billing_frequency=line.billing_frequency,
                                service_start=line.service_start, service_end=line.service_end)
             for line in record.lines]
    return SubscriptionV1(id=str(subscription_id), order_id=record.order_id, customer_id=record.customer_id,
                          currency=record.currency, status=status, items=items,
                          start_date=min(line.service_start for line in record.lines),
                          end_date=max(line.service_end for line in record.lines))


def _invoices_of(record: OrderRecord, view: dict[str, Any]) -> list[InvoiceV1]:
    out = []
    for raw in view.get("invoices") or []:
        try:
            invoice = msgspec.json.decode(msgspec.json.encode(raw), type=Invoice)
        except msgspec.ValidationError as exc:  # one malformed document must not hide the others
            _log.warning("invoice of deal %s not shown: %s", record.opportunity_id, exc)
            continue
        if invoice.id is None:
            continue
        out.append(_invoice(record, invoice))
    return out


def _invoice(record: OrderRecord, invoice: Invoice) -> InvoiceV1:
    lines = [InvoiceLineV1(description=x.description, sku=x.product_sku, quantity=x.quantity,
                           unit_amount=x.unit_amount, amount=x.amount, tax_amount=x.tax_amount,
                           period_start=x.period_start, period_end=x.period_end) for x in invoice.lines]
    return InvoiceV1(id=str(invoice.id), number=invoice.number, order_id=record.order_id,
                     customer_id=record.customer_id, subscription_id=invoice.subscription_id, status=invoice.status,
                     currency=invoice.currency, lines=lines, total=invoice.total,
                     amount_paid=invoice.amount_paid or Money.zero(invoice.currency), amount_due=invoice.amount_due,
                     issued_on=invoice.issued_on, due_on=invoice.due_on, period_start=invoice.period_start,
                     period_end=invoice.period_end)


def _invoice_key(invoice: InvoiceV1) -> tuple[str, str]:
    day = invoice.issued_on or invoice.period_start or date.min
    return day.isoformat(), invoice.id


def _credit_note(record: OrderRecord, run: dict[str, Any]) -> CreditNoteV1 | None:
    step = next((s for s in run.get("steps", []) if s.get("name") == "credit_note"), None)
    output = (step or {}).get("output") or {}
    if not step or step.get("status") != "done" or not output.get("credit_note_id"):
        return None
    request = run.get("input") or {}
    try:
        total = msgspec.convert(output["total"], Money)
        issued = date.fromisoformat(str(output["issued_on"])[:10]) if output.get("issued_on") else None
        reason = CreditNoteReason(request.get("reason") or CreditNoteReason.OTHER)
    except (KeyError, ValueError, msgspec.ValidationError) as exc:
        _log.warning("credit note of workflow %s not shown: %s", run.get("id"), exc)
        return None
    return CreditNoteV1(id=str(output["credit_note_id"]), invoice_id=str(request.get("invoice_id", "")),
                        order_id=record.order_id, customer_id=record.customer_id, total=total, reason=reason,
                        refunded=output.get("settlement") == "refund", issued_on=issued)
