"""NetSuite's business rules for the quote-to-cash records: line amounts, totals, balance, application.

Amounts are computed in :class:`~decimal.Decimal` and stored rounded to cents. An invoice's remaining
amount is derived from what payments and credit memos apply to it, so it never drifts when one of them
is edited or deleted. Rules and their errors:

- every transaction line names an item that exists and is active (an inactive item is refused, naming its
  ``itemId``); sales transactions need at least one line;
- a journal entry's lines each name an account and carry a debit or a credit, and debits equal credits;
- a payment applies only to open invoices of its customer, never more than each one's remaining amount
  nor more in total than the payment.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import NetSuiteError, user_error
from .store import NetSuiteState
from .types import RECORD_TYPES

__all__ = ["CENT", "Ledger", "dec", "derived", "finish", "invoice_remaining", "money"]

CENT = Decimal("0.01")
_STATUS = {"salesOrder": ("F", "Pending Billing"), "invoice": ("A", "Open"), "creditMemo": ("A", "Open"),
           "customerPayment": ("B", "Not Deposited"), "journalEntry": ("B", "Approved for Posting")}


def dec(value: Any) -> Decimal:
    """A stored number as a Decimal (``None`` is zero)."""
    return Decimal(str(value)) if value is not None else Decimal(0)


def money(value: Decimal) -> float:
    """A Decimal rounded to cents, in the JSON number form NetSuite answers with."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _missing(label: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, f"Please enter value(s) for: {label}", "USER_ERROR", path=path)


def finish(state: NetSuiteState, record: dict[str, Any]) -> None:
    """Check a record about to be stored and fill in what NetSuite computes.

    Raises:
        NetSuiteError: A mandatory field is empty or a business rule is broken.
    """
    spec = RECORD_TYPES[record["type"]]
    fields = record["fields"]
    for name in spec.required:
        if fields.get(name) in (None, ""):
            raise _missing(spec.fields[name].label or name, name)
    if spec.name == "customer" and not (fields.get("companyName") or fields.get("isPerson")):
        raise _missing("Company Name", "companyName")
    if spec.table != "transaction":
        return
    fields.setdefault("tranDate", state.today())
    if not fields.get("tranId"):
        fields["tranId"] = f"{spec.prefix}{record['id']}"
    if "item" in spec.sublists:
        _item_lines(state, record)
    elif spec.name == "journalEntry":
        _journal(record)
    elif spec.name == "customerPayment":
        _payment(state, record)


def _item_lines(state: NetSuiteState, record: dict[str, Any]) -> None:
    lines = record["sublists"].setdefault("item", [])
    if not lines:
        raise user_error("You must enter at least one line item for this transaction.", "item")
    total = Decimal(0)
    for index, line in enumerate(lines):
        path = f"item.items[{index}].item"
        if not line.get("item"):
            raise _missing("Item", path)
        item = state.get(line["item"]["$ref"], line["item"]["id"])
        sku = item["fields"].get("itemId")
        if item["fields"].get("isInactive"):
            raise NetSuiteError(400, f"Error while accessing resource: You have entered an Invalid Field Value "
                                f"{item['id']} for the following field: item. The item '{sku}' is inactive.",
                                "INVALID_KEY_OR_REF", path=path)
        total += _price_line(line, item["fields"])
    if total < 0:
        raise user_error("The transaction total cannot be negative.", "item")
    record["fields"]["subtotal"] = record["fields"]["total"] = money(total)
    if record["type"] == "creditMemo":
        _credit_application(state, record, total)


def _price_line(line: dict[str, Any], item: dict[str, Any]) -> Decimal:
    quantity = dec(line.get("quantity", 1))
    line["quantity"] = float(quantity)
    if line.get("rate") is None:
        if line.get("amount") is not None and quantity:
            line["rate"] = float(dec(line["amount"]) / quantity)
        else:
            line["rate"] = item.get("basePrice", item.get("rate", 0.0)) or 0.0
    if line.get("amount") is None:
        line["amount"] = money(quantity * dec(line["rate"]))
    line.setdefault("description", item.get("salesDescription") or item.get("displayName") or item.get("itemId"))
    return dec(line["amount"])


def _journal(record: dict[str, Any]) -> None:
    lines = record["sublists"].setdefault("line", [])
    if not lines:
        raise user_error("You must enter at least one line item for this transaction.", "line")
    debits = credits = Decimal(0)
    for index, line in enumerate(lines):
        if not line.get("account"):
            raise _missing("Account", f"line.items[{index}].account")
        debit, credit = dec(line.get("debit")), dec(line.get("credit"))
        if (debit and credit) or debit < 0 or credit < 0:
            raise user_error("A journal line takes either a debit or a credit, not both, and never a negative "
                             "amount.", f"line.items[{index}]")
        debits, credits = debits + debit, credits + credit
    if debits.quantize(CENT) != credits.quantize(CENT):
        raise user_error(f"The total of all debits ({money(debits):.2f}) must equal the total of all credits "
                         f"({money(credits):.2f}). This journal entry is out of balance.", "line")
    record["fields"]["total"] = money(debits)


def invoice_remaining(state: NetSuiteState, invoice: dict[str, Any], skip: dict[str, Any] | None = None) -> Decimal:
    """What is still owed on an invoice after payments and credits (``skip`` one applying record)."""
    paid = Decimal(0)
    for payment in state.records["customerPayment"].values():
        if payment is skip or payment["id"] == (skip or {}).get("id"):
            continue
        for line in payment["sublists"].get("apply", []):
            if line.get("apply", True) and (line.get("doc") or {}).get("id") == invoice["id"]:
                paid += dec(line.get("amount"))
    for memo in state.records["creditMemo"].values():
        source = memo["fields"].get("createdFrom") or {}
        if memo["id"] != (skip or {}).get("id") and source.get("id") == invoice["id"]:
            paid += dec(memo["fields"].get("applied"))
    return dec(invoice["fields"].get("total")) - paid


def _credit_application(state: NetSuiteState, record: dict[str, Any], total: Decimal) -> None:
    source = record["fields"].get("createdFrom")
    invoice = state.records["invoice"].get(source["id"]) if source else None
    applied = min(total, max(Decimal(0), invoice_remaining(state, invoice, record))) if invoice else Decimal(0)
    record["fields"]["applied"] = money(applied)
    record["fields"]["unapplied"] = money(total - applied)


def _payment(state: NetSuiteState, record: dict[str, Any]) -> None:
    payment = dec(record["fields"].get("payment"))
    if payment <= 0:
        raise user_error("The payment amount must be greater than zero.", "payment")
    customer = record["fields"]["customer"]["id"]
    applied = Decimal(0)
    for index, line in enumerate(record["sublists"].setdefault("apply", [])):
        path = f"apply.items[{index}].doc"
        doc = line.get("doc")
        invoice = state.records["invoice"].get(doc["id"]) if doc else None
        if invoice is None or invoice["fields"]["entity"]["id"] != customer:
            raise NetSuiteError(400, "Error while accessing resource: You have entered an Invalid Field Value "
                                f"{(doc or {}).get('id')} for the following field: doc", "INVALID_CONTENT", path=path)
        if not line.setdefault("apply", True):
            continue
        remaining = invoice_remaining(state, invoice, record)
        amount = dec(line["amount"]) if line.get("amount") is not None else min(remaining, payment - applied)
        if amount > remaining or amount <= 0:
            raise user_error(f"You cannot apply {money(amount):.2f} to invoice {invoice['fields'].get('tranId')}: "
                             f"its amount due is {money(remaining):.2f}.", f"apply.items[{index}].amount")
        line["amount"] = money(amount)
        applied += amount
    if applied > payment:
        raise user_error("The total amount applied cannot exceed the payment amount.", "apply")
    record["fields"].update(total=money(payment), applied=money(applied), unapplied=money(payment - applied))


def derived(state: NetSuiteState, record: dict[str, Any]) -> dict[str, Any]:
    """Fields NetSuite computes on read: status, amount remaining."""
    return _derived(record, lambda invoice: invoice_remaining(state, invoice),
                    lambda order_id: any((inv["fields"].get("createdFrom") or {}).get("id") == order_id
                                         for inv in state.records["invoice"].values()))


class Ledger:
    """:func:`derived` for many records at once (a SuiteQL table build).

    What applies to each invoice and which orders are billed are indexed in one pass over the payments,
    credit memos and invoices, instead of one pass per record.

    Args:
        state: The store, as it stands (build a new ledger after a write).
    """

    def __init__(self, state: NetSuiteState) -> None:
        # Summed in the order invoice_remaining adds them (payments, then credit memos), so totals are identical.
        self.paid: dict[Any, Decimal] = {}
        for payment in state.records["customerPayment"].values():
            for line in payment["sublists"].get("apply", []):
                if line.get("apply", True):
                    doc = (line.get("doc") or {}).get("id")
                    self.paid[doc] = self.paid.get(doc, Decimal(0)) + dec(line.get("amount"))
        for memo in state.records["creditMemo"].values():
            source = (memo["fields"].get("createdFrom") or {}).get("id")
            self.paid[source] = self.paid.get(source, Decimal(0)) + dec(memo["fields"].get("applied"))
        self.billed = {(inv["fields"].get("createdFrom") or {}).get("id") for inv in state.records["invoice"].values()}

    def derived(self, record: dict[str, Any]) -> dict[str, Any]:
        """The same as :func:`derived` for ``record``."""
        return _derived(record, lambda invoice: dec(invoice["fields"].get("total"))
                        - self.paid.get(invoice["id"], Decimal(0)), lambda order_id: order_id in self.billed)


def _derived(record: dict[str, Any], remaining_of: Callable[[dict[str, Any]], Decimal],
             billed: Callable[[str], bool]) -> dict[str, Any]:
    rtype = record["type"]
    if rtype not in _STATUS:
        return {}
    code, name = _STATUS[rtype]
    out: dict[str, Any] = {}
    lines = record.get("sublists", {}).get("item", [])
    if rtype == "salesOrder" and lines and all(line.get("isClosed") for line in lines):
        code, name = "H", "Closed"
    elif rtype == "salesOrder" and billed(record["id"]):
        code, name = "G", "Billed"
    elif rtype == "invoice":
        remaining = remaining_of(record)
        out = {"amountRemaining": money(remaining)}
        if remaining <= 0:
            code, name = "B", "Paid In Full"
    elif rtype == "creditMemo" and not dec(record["fields"].get("unapplied")):
        code, name = "B", "Fully Applied"
    return {**out, "status": {"id": code, "refName": name}}
