"""How a won deal becomes commands for each system: validation, billing items, order lines, revenue terms.

Pure functions over canonical objects (``contracts.deals``), so every workflow maps a deal the same way and
the rules live in one place:

- A **recurring** line (monthly .. annual) runs a whole number of billing periods over its service period;
  its booked amount is ``sale_price * quantity * periods``; in revenue it is a ratable obligation over the
  service period whose SSP is the list amount ``list_price * quantity * periods``.
- A **one-time** line is billed once; in revenue it is satisfied at a point in time, on ``service_start``.
- Every recurring and usage line of a deal must bill at one interval (usage bills monthly): a billing
  subscription has one interval (Stripe refuses mixed intervals), so a mixed deal goes back to sales ops.
- A **usage** line is billed in arrears for what is used; in revenue it is a usage obligation whose price is
  variable consideration allocated entirely to it (ASC 606-10-32-40), so it carries no fixed amount and no SSP
  share, only its unit price.

The transaction price is the sum of the fixed lines; revrec allocates it by relative SSP.
"""

from __future__ import annotations

import calendar
from contextlib import suppress
from datetime import date, timedelta
from typing import Any

from contracts.catalog import BillingFrequency
from contracts.deals import DealLine, Opportunity
from contracts.money import Money

__all__ = ["DealProblem", "add_months", "billing_periods", "booked_amount", "invoice_lines", "one_time_only",
           "order_lines", "problems_of", "revenue_terms", "subscription_items"]


class DealProblem(ValueError):
    """What is wrong with a deal, in words sales ops can act on."""


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by whole months, the day clamped to the month's length (as billing systems do)."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def _months_between(start: date, end_inclusive: date) -> int | None:
    """Whole months of billing's grid from ``start`` to the day after ``end_inclusive``, or ``None``.

    The grid clamps to short months as billing systems do: a month from 31 January ends on 27 February (the next
    period starts on the 28th), a year from 29 February 2024 on 27 February 2025.
    """
    after = end_inclusive + timedelta(days=1)
    months = _months_after(start, after)
    return months if months > 0 and add_months(start, months) == after else None


def _whole_ends(start: date, end_inclusive: date, per: int) -> str:
    """The last days of whole terms of ``per``-month periods either side of ``end_inclusive`` (for the refusal)."""
    n = max(per, _months_after(start, end_inclusive) // per * per)
    while n > per and add_months(start, n) - timedelta(days=1) > end_inclusive:
        n -= per
    first = add_months(start, n) - timedelta(days=1)
    ends = [first]
    if first < end_inclusive:
        with suppress(ValueError):  # no later end before the calendar's last year
            ends.append(add_months(start, n + per) - timedelta(days=1))
    return " or ".join(str(end) for end in ends)


def _months_after(start: date, day: date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def billing_periods(line: DealLine) -> int:
    """Billing periods in the line's service period (1 for one-time lines; 0 for usage lines)."""
    if line.billing_frequency is BillingFrequency.ONE_TIME:
        return 1
    if line.billing_frequency is BillingFrequency.USAGE:
        return 0
    months = _months_between(line.service_start, line.service_end)
    per = line.billing_frequency.months or 1
    if months is None or months % per:
        raise DealProblem(f"line {line.product_sku}: service period {line.service_start}..{line.service_end} is not "
                          f"a whole number of {line.billing_frequency.value} billing periods (from "
                          f"{line.service_start}, whole periods end on "
                          f"{_whole_ends(line.service_start, line.service_end, per)})")
    return months // per


def booked_amount(line: DealLine) -> Money:
    """What the line books over its whole term (zero for usage lines: their amount is variable)."""
    return line.sale_price * (line.quantity * billing_periods(line))


def problems_of(deal: Opportunity, today: date | None = None) -> list[str]:
    """Everything that stops a deal from being activated (empty when it can go ahead)."""
    found: list[str] = []
    if not deal.lines:
        found.append("the deal has no lines")
    for i, line in enumerate(deal.lines):
        where = f"lines[{i}] ({line.product_sku})"
        if line.quantity < 1:
            found.append(f"{where}: quantity must be at least 1")
        if line.sale_price.currency != deal.currency:
            found.append(f"{where}: priced in {line.sale_price.currency}, the deal is in {deal.currency}")
        try:
            billing_periods(line)
        except DealProblem as exc:
            found.append(str(exc))
    intervals = sorted({(line.billing_frequency.months or 1) for line in deal.lines
                        if line.billing_frequency is not BillingFrequency.ONE_TIME})
    if len(intervals) > 1:
        names = sorted({line.billing_frequency.value for line in deal.lines
                        if line.billing_frequency is not BillingFrequency.ONE_TIME})
        found.append(f"the lines bill at different intervals ({', '.join(names)}; usage bills monthly): one "
                     "subscription bills at one interval, so align the billing frequencies or split the deal")
    skus = [line.product_sku for line in deal.lines]
    if len(set(skus)) != len(skus):
        found.append("each product may appear on one line only (a SKU is on two lines)")
    return found


def _money(value: Money) -> dict[str, Any]:
    return {"amount_minor": value.amount_minor, "currency": value.currency}


def one_time_only(deal: Opportunity) -> bool:
    """Whether every line of the deal is billed once: billing then issues one invoice, and no subscription."""
    return bool(deal.lines) and all(line.billing_frequency is BillingFrequency.ONE_TIME for line in deal.lines)


def invoice_lines(deal: Opportunity) -> list[dict[str, Any]]:
    """The lines of the one-off invoice of a deal of one-time lines only, at the deal's prices."""
    return [{"sku": line.product_sku, "quantity": line.quantity, "unit_amount": _money(line.sale_price),
             "description": (line.description or None) and line.description[:500]} for line in deal.lines]


def subscription_items(deal: Opportunity) -> list[dict[str, Any]]:
    """The billing subscription's items: every line at its deal price."""
    return [{"sku": line.product_sku, "quantity": line.quantity, "billing_frequency": line.billing_frequency.value,
             "unit_amount": _money(line.sale_price)} for line in deal.lines]


def catalog_prices(line: DealLine) -> list[dict[str, Any]]:
    """The list price of a line's item for the billing catalogue."""
    return [{"currency": line.list_price.currency, "billing_frequency": line.billing_frequency.value,
             "unit_amount": _money(line.list_price)}]


def order_lines(deal: Opportunity) -> list[dict[str, Any]]:
    """ERP sales-order lines: the booked amount of each fixed line (usage is billed in arrears, not booked)."""
    lines = []
    for line in deal.lines:
        periods = billing_periods(line)
        if periods == 0:
            continue
        lines.append({"sku": line.product_sku, "quantity": line.quantity,
                      "unit_amount": _money(line.sale_price * periods),
                      "service_start": line.service_start.isoformat(), "service_end": line.service_end.isoformat()})
    return lines


def obligation_id(line: DealLine) -> str:
    """The revenue obligation of a deal line (one per line, named by its SKU)."""
    return f"po-{line.product_sku}"


def revenue_terms(deal: Opportunity, customer_key: str) -> dict[str, Any]:
    """The revrec registration of a won deal (``RegisterContractV1``)."""
    obligations: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    price = Money.zero(deal.currency)
    for line in deal.lines:
        periods = billing_periods(line)
        item: dict[str, Any] = {"id": obligation_id(line), "name": line.description or line.product_sku,
                                "product_skus": [line.product_sku]}
        if line.id:
            item["deal_line_ids"] = [line.id]
        if line.billing_frequency is BillingFrequency.USAGE:
            item |= {"pattern": "usage", "start_date": line.service_start.isoformat(),
                     "end_date": line.service_end.isoformat(),
                     "standalone_selling_price": _money(Money.zero(deal.currency))}
            terms.append({"obligation_id": item["id"], "unit_price_minor": str(line.sale_price.amount_minor)})
        elif line.billing_frequency is BillingFrequency.ONE_TIME:
            item |= {"pattern": "point_in_time", "satisfied_on": line.service_start.isoformat(),
                     "standalone_selling_price": _money(line.list_price * line.quantity)}
        else:
            item |= {"pattern": "ratable", "start_date": line.service_start.isoformat(),
                     "end_date": line.service_end.isoformat(),
                     "standalone_selling_price": _money(line.list_price * (line.quantity * periods))}
        price = price + line.sale_price * (line.quantity * periods)
        obligations.append(item)
    body: dict[str, Any] = {"customer_id": customer_key, "opportunity_id": deal.id, "currency": deal.currency,
                            "transaction_price": _money(price), "obligations": obligations,
                            "booked_on": deal.close_date.isoformat()}
    if terms:
        body["obligation_terms"] = terms
    return body
