"""Canonical <-> NetSuite: amounts, dates, customers, item lines, sales orders, invoices.

Amounts cross as exact decimals: ``Money`` minor units are scaled by the currency's exponent from
``contracts.money`` (``1234`` USD -> ``12.34``, ``1234`` JPY -> ``1234``) and NetSuite's decimals are scaled
back, refusing any amount finer than the currency's minor unit. NetSuite customers hold revflow's
addresses, contacts and tax ids in one long-text custom field (``custentity_revflow_profile``), since the
canonical customer carries more than the standard body fields.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from contracts.billing import Invoice, InvoiceLine, InvoiceStatus
from contracts.money import Money, exponent
from contracts.parties import Customer
from services.system.erp.errors import InconsistentVendorData
from services.system.erp.schemas import OrderLineInputV1, OrderLineV1, SalesOrderV1

__all__ = [
    "BILLING_ID_FIELD",
    "PROFILE_FIELD",
    "customer_body",
    "customer_from_netsuite",
    "day",
    "decimal_of",
    "input_lines",
    "invoice_from_netsuite",
    "item_lines",
    "money_of",
    "order_lines",
    "quote",
    "sales_order_from_netsuite",
]

PROFILE_FIELD = "custentity_revflow_profile"
BILLING_ID_FIELD = "custbody_revflow_billing_invoice_id"
_PROFILE_KEYS = ("legal_name", "billing_address", "shipping_address", "contacts", "tax_ids", "tax_exempt",
                 "external_ids")


def decimal_of(amount: Money) -> Decimal:
    """The exact decimal NetSuite is sent for an amount."""
    return Decimal(amount.amount_minor).scaleb(-exponent(amount.currency))


def money_of(value: Any, currency: str, *, exact: bool = True) -> Money | None:
    """NetSuite's decimal (number or SuiteQL string) as ``Money``.

    Args:
        value: The vendor's value.
        currency: ISO 4217 code of the record.
        exact: Refuse (raise) a value finer than the minor unit; otherwise answer ``None`` for it.
    """
    try:
        scaled = Decimal(str(value)).scaleb(exponent(currency))
    except InvalidOperation:
        raise InconsistentVendorData(f"NetSuite sent {value!r} where an amount was expected.") from None
    if scaled != scaled.to_integral_value():
        if not exact:
            return None
        raise InconsistentVendorData(f"NetSuite amount {value} is finer than {currency}'s minor unit.")
    return Money(amount_minor=int(scaled), currency=currency)


def _money(value: Any, currency: str) -> Money:
    found = money_of(value if value is not None else 0, currency)
    assert found is not None  # exact=True never answers None
    return found


def day(value: Any) -> date | None:
    """A NetSuite date (``YYYY-MM-DD``, or a timestamp) as a date."""
    return date.fromisoformat(str(value)[:10]) if value else None


def quote(text: str) -> str:
    """A SuiteQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def customer_body(customer: Customer, currency_id: str) -> dict[str, Any]:
    """The NetSuite customer body of a canonical customer."""
    builtins = msgspec.to_builtins(customer)
    profile = {k: builtins[k] for k in _PROFILE_KEYS if k in builtins}
    profile["external_ids"] = {k: v for k, v in profile.get("external_ids", {}).items() if k != "erp"}
    contact = customer.contacts[0] if customer.contacts else None
    return {"companyName": customer.name, "email": contact.email if contact else None,
            "phone": contact.phone if contact else None, "currency": {"id": currency_id}, "isInactive": False,
            PROFILE_FIELD: msgspec.json.encode(profile).decode()}


def customer_from_netsuite(record: dict[str, Any], key: str, currency: str) -> Customer:
    """The canonical customer of a NetSuite customer record."""
    try:
        profile = msgspec.json.decode(record.get(PROFILE_FIELD) or "{}")
    except msgspec.DecodeError:
        profile = {}
    if not isinstance(profile, dict) or "billing_address" not in profile:
        raise InconsistentVendorData(f"NetSuite customer {record.get('id')} ({key}) has no revflow profile "
                                     "(billing address); upsert it through revflow (PUT /v1/customers/{key}).")
    external = {**profile.get("external_ids", {}), "erp": str(record["id"])}
    fields = {**profile, "id": key, "name": record.get("companyName") or key, "currency": currency,
              "created_at": record.get("dateCreated"), "external_ids": external}
    try:
        return msgspec.convert(fields, Customer, strict=False)
    except msgspec.ValidationError as exc:
        raise InconsistentVendorData(f"NetSuite customer {record.get('id')} ({key}): {exc}") from None


def input_lines(lines: list[OrderLineInputV1], item_ids: dict[str, str]) -> dict[str, Any]:
    """A NetSuite ``item`` sublist from canonical lines (items already resolved to internal ids)."""
    items = []
    for line in lines:
        entry: dict[str, Any] = {"item": {"id": item_ids[line.sku]}, "quantity": line.quantity,
                                 "rate": decimal_of(line.unit_amount),
                                 "amount": decimal_of(line.unit_amount * line.quantity)}
        if line.description:
            entry["description"] = line.description
        if line.service_start:
            entry["revRecStartDate"] = line.service_start.isoformat()
        if line.service_end:
            entry["revRecEndDate"] = line.service_end.isoformat()
        items.append(entry)
    return {"items": items}


def item_lines(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The inlined ``item`` sublist lines of a transaction."""
    sublist = record.get("item") or {}
    return list(sublist.get("items") or []) if isinstance(sublist, dict) else []


def _quantity(value: Any) -> int:
    number = Decimal(str(value if value is not None else 1))
    if number != number.to_integral_value() or number < 0:
        raise InconsistentVendorData(f"NetSuite quantity {value} is not a whole number of units.")
    return int(number)


def order_lines(record: dict[str, Any], currency: str) -> list[OrderLineV1]:
    """Canonical lines of a sales order."""
    return [OrderLineV1(line=int(line.get("line") or i + 1), sku=(line.get("item") or {}).get("refName"),
                        description=line.get("description"), quantity=_quantity(line.get("quantity")),
                        unit_amount=money_of(line.get("rate"), currency, exact=False),
                        amount=_money(line.get("amount"), currency), service_start=day(line.get("revRecStartDate")),
                        service_end=day(line.get("revRecEndDate")))
            for i, line in enumerate(item_lines(record))]


def sales_order_from_netsuite(record: dict[str, Any], key: str, currency: str) -> SalesOrderV1:
    """The canonical view of a NetSuite sales order."""
    status = record.get("status") or {}
    return SalesOrderV1(id=str(record["id"]), number=record.get("tranId"), customer_key=key, currency=currency,
                        status=str(status.get("refName") or status.get("id") or "unknown"),
                        order_date=day(record.get("tranDate")), memo=record.get("memo"),
                        opportunity_id=record.get("otherRefNum"), lines=order_lines(record, currency),
                        total=_money(record.get("total"), currency), external_ids={"erp": str(record["id"])})


def invoice_from_netsuite(record: dict[str, Any], key: str, currency: str) -> Invoice:
    """The canonical invoice of a NetSuite invoice."""
    lines = [InvoiceLine(id=str(line.line), description=line.description or line.sku or "Item",
                         product_sku=line.sku, quantity=line.quantity, unit_amount=line.unit_amount,
                         amount=line.amount, period_start=line.service_start, period_end=line.service_end)
             for line in order_lines(record, currency)]
    total = _money(record.get("total"), currency)
    remaining = _money(record.get("amountRemaining", record.get("total")), currency)
    external = {"erp": str(record["id"])}
    if record.get(BILLING_ID_FIELD):
        external["billing"] = str(record[BILLING_ID_FIELD])
    try:
        return Invoice(id=str(record["id"]), number=record.get("tranId"), customer_id=key,
                       status=InvoiceStatus.PAID if remaining.amount_minor <= 0 else InvoiceStatus.OPEN,
                       currency=currency, lines=lines, total=total, amount_paid=total - remaining,
                       issued_on=day(record.get("tranDate")), due_on=day(record.get("dueDate")),
                       external_ids=external)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InconsistentVendorData(f"NetSuite invoice {record['id']}: {exc}") from None
