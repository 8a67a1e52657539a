"""HubSpot objects <-> canonical objects. Every HubSpot property value is a string on the wire.

- Companies: ``name`` and the address properties ``address``, ``address2``, ``city``, ``state``, ``zip``,
  ``country``; companies carry no currency, so the configured one applies.
- Deals: ``dealstage`` of the default pipeline maps to the canonical stage; ``closedate`` is the close
  instant (its UTC date the close date, which is also the close version); ``deal_currency_code`` the currency.
  A renewal's ``revflow_renews_deal_id`` names the deal it renews. Amendments are mapped in ``_amendments``.
- Line items: ``price`` is the list price per unit; the sale price is ``price`` less the per-unit ``discount``
  or ``hs_discount_percentage``; ``hs_recurring_billing_start_date`` is the service start (else the close date);
  ``hs_recurring_billing_end_date`` the last day of service, else the start plus ``hs_recurring_billing_period``
  (ISO 8601 months, ``P12M``), else plus the configured default term; ``recurringbillingfrequency`` the billing
  frequency, else the configured default (a value with no canonical frequency, like ``weekly``, is refused).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from contracts.catalog import BillingFrequency
from contracts.common import System
from contracts.deals import DealLine, Opportunity, OpportunityStage
from contracts.parties import Customer, PostalAddress
from services.system.crm.connectors._shared import money_of, term_end
from services.system.crm.errors import IncompleteCrmRecord

__all__ = ["COMPANY_PROPERTIES", "DEAL_PROPERTIES", "FREQUENCIES", "LINE_PROPERTIES", "STAGES", "company_properties",
           "customer_of", "instant", "line_of", "opportunity_of"]

COMPANY_PROPERTIES = ("name", "address", "address2", "city", "state", "zip", "country", "revflow_external_id")
DEAL_PROPERTIES = ("dealname", "dealstage", "closedate", "deal_currency_code", "hs_lastmodifieddate", "description",
                   "closed_lost_reason", "revflow_renews_deal_id", "revflow_amends_deal_id",
                   "revflow_amendment_effective_date", "revflow_external_id")
LINE_PROPERTIES = ("hs_sku", "name", "description", "quantity", "price", "discount", "hs_discount_percentage",
                   "hs_recurring_billing_start_date", "hs_recurring_billing_end_date", "hs_recurring_billing_period",
                   "recurringbillingfrequency", "hs_position_on_quote", "revflow_amendment_action",
                   "revflow_amends_line_item_id")
STAGES: dict[str, OpportunityStage] = {
    "appointmentscheduled": OpportunityStage.PROSPECTING, "qualifiedtobuy": OpportunityStage.QUALIFICATION,
    "presentationscheduled": OpportunityStage.PROPOSAL, "decisionmakerboughtin": OpportunityStage.PROPOSAL,
    "contractsent": OpportunityStage.NEGOTIATION, "closedwon": OpportunityStage.CLOSED_WON,
    "closedlost": OpportunityStage.CLOSED_LOST,
}
FREQUENCIES = {"monthly": BillingFrequency.MONTHLY, "quarterly": BillingFrequency.QUARTERLY,
                "per_six_months": BillingFrequency.SEMIANNUAL, "annually": BillingFrequency.ANNUAL}
_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?$")


def instant(value: str) -> datetime:
    """A HubSpot datetime (ISO 8601 with ``Z``, or epoch milliseconds) as an aware instant."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def company_properties(account: Customer) -> dict[str, str]:
    """The company properties that make the record equal ``account`` (empty strings clear a property)."""
    addr = account.billing_address
    return {"name": account.name, "address": addr.line1, "address2": addr.line2 or "", "city": addr.city,
            "state": addr.region or "", "zip": addr.postal_code or "", "country": addr.country}


def customer_of(record: dict[str, Any], currency: str) -> Customer:
    """A company as a canonical customer (``id`` is revflow's key, else the HubSpot id)."""
    props = record.get("properties") or {}
    if not (props.get("address") and props.get("city") and props.get("country") and props.get("name")):
        raise IncompleteCrmRecord(f"HubSpot company {record['id']} has no name or no complete address "
                                  "(street, city and country are needed).", code="account_address_missing")
    address = PostalAddress(line1=props["address"], line2=props.get("address2") or None, city=props["city"],
                            region=props.get("state") or None, postal_code=props.get("zip") or None,
                            country=props["country"])
    return Customer(id=props.get("revflow_external_id") or record["id"], name=props["name"], currency=currency,
                    billing_address=address, created_at=instant(record["createdAt"]),
                    external_ids={System.CRM: record["id"]})


def _months(period: str | None, default: int) -> int:
    match = _PERIOD.match(period or "")
    if not period or match is None or not any(match.groups()):
        return default
    return int(match.group(1) or 0) * 12 + int(match.group(2) or 0)


def line_of(record: dict[str, Any], close: date, currency: str, term: int, frequency: BillingFrequency) -> DealLine:
    """A line item as a canonical deal line; ``close`` is its service start when the record has none."""
    props = record.get("properties") or {}
    quantity = Decimal(props.get("quantity") or "0")
    if not props.get("hs_sku") or props.get("price") is None or quantity != int(quantity):
        raise IncompleteCrmRecord(f"HubSpot line item {record['id']} needs a SKU, a price and a whole quantity.",
                                  code="line_incomplete")
    price = Decimal(props["price"])
    if props.get("discount"):
        sale = money_of(price - Decimal(props["discount"]), currency, "price - discount")
    else:
        factor = 1 - Decimal(props.get("hs_discount_percentage") or 0) / 100
        sale = money_of(price, currency, "price", factor)
    start = date.fromisoformat(props["hs_recurring_billing_start_date"][:10]) \
        if props.get("hs_recurring_billing_start_date") else close
    end, billing = _term(record, start, term, frequency)
    return DealLine(id=record["id"], product_sku=props["hs_sku"], description=props.get("description") or None,
                    quantity=int(quantity), list_price=money_of(price, currency, "price"), sale_price=sale,
                    service_start=start, service_end=end, billing_frequency=billing,
                    external_ids={System.CRM: record["id"]})


def _term(record: dict[str, Any], start: date, term: int, default: BillingFrequency) -> tuple[date, BillingFrequency]:
    """A line item's last day of service and billing frequency: its own properties, else the configured defaults."""
    props = record.get("properties") or {}
    given = props.get("recurringbillingfrequency")
    frequency = FREQUENCIES.get(given) if given else default
    if frequency is None:
        raise IncompleteCrmRecord(f"HubSpot line item {record['id']} bills {given!r}, which has no revflow billing "
                                  f"frequency (expected one of {', '.join(FREQUENCIES)}).", code="line_incomplete")
    if props.get("hs_recurring_billing_end_date"):
        end = date.fromisoformat(props["hs_recurring_billing_end_date"][:10])
    else:
        end = term_end(start, _months(props.get("hs_recurring_billing_period"), term))
    if end < start:
        raise IncompleteCrmRecord(f"HubSpot line item {record['id']} ends ({end}) before its billing starts ({start}).",
                                  code="line_incomplete")
    return end, frequency


def opportunity_of(deal: dict[str, Any], company: dict[str, Any] | None, lines: list[dict[str, Any]],
                   defaults: tuple[str, int, BillingFrequency]) -> Opportunity:
    """A deal, its company and its line items as a canonical opportunity."""
    props = deal.get("properties") or {}
    stage = STAGES.get(props.get("dealstage") or "")
    if stage is None or company is None or not props.get("closedate") or not props.get("dealname"):
        raise IncompleteCrmRecord(f"HubSpot deal {deal['id']} needs a name, a close date, a company and a stage of "
                                  f"the default pipeline.", code="opportunity_incomplete")
    currency, term, frequency = defaults
    currency = props.get("deal_currency_code") or currency
    closed = instant(props["closedate"])
    ordered = sorted(lines, key=lambda li: (Decimal((li.get("properties") or {}).get("hs_position_on_quote") or 0),
                                            int(li["id"])))
    key = (company.get("properties") or {}).get("revflow_external_id") or company["id"]
    lines_of = [line_of(li, closed.date(), currency, term, frequency) for li in ordered]
    return Opportunity(id=deal["id"], name=props["dealname"], customer_id=key, stage=stage, close_date=closed.date(),
                       currency=currency, lines=lines_of,
                       closed_at=closed if stage.is_closed else None,
                       renews_opportunity_id=props.get("revflow_renews_deal_id") or None,
                       external_ids=_external_ids(deal["id"], props))


def _external_ids(deal_id: str, props: dict[str, Any]) -> dict[System, str]:
    """The deal's id, and revflow's key when revflow created it (``revflow_external_id``)."""
    ids = {System.CRM: str(deal_id)}
    if props.get("revflow_external_id"):
        ids[System.REVFLOW] = str(props["revflow_external_id"])
    return ids
