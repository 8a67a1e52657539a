"""Salesforce records <-> canonical objects.

- Accounts: ``Name`` and the ``Billing*`` compound address (``BillingStreet`` holds line 1 and line 2 on two
  lines). Currency: a multi-currency org's ``CurrencyIsoCode`` on every record (accounts, opportunities and their
  lines); a single-currency org has none, and its records are in the configured currency.
- Opportunities: ``StageName`` maps to the canonical stage; ``CloseDate`` is the close date and, at midnight
  UTC, the close instant; the close version is the close date. A renewal's ``Renewed_Opportunity__c`` (when the
  org has it) names the deal it renews. Amendments are mapped in ``_amendments``.
- Lines (``OpportunityLineItem``): ``ListPrice`` is the list price; the sale price is ``UnitPrice`` less the
  line's ``Discount`` percent, rounded half-even to the currency once. ``ServiceDate`` is the service start.
  An org prepared for revflow has ``Service_End_Date__c`` (the last day of service, inclusive) and
  ``Billing_Frequency__c`` (picklist ``Monthly``, ``Quarterly``, ``Semiannual``, ``Annual``, ``One-time``, ``Usage``) on
  lines; where a line leaves them empty (or the org lacks them), the configured default term and frequency apply.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from contracts.catalog import BillingFrequency
from contracts.common import System
from contracts.deals import DealLine, Opportunity, OpportunityStage
from contracts.parties import Customer, PostalAddress
from services.system.crm.connectors._shared import money_of, term_end
from services.system.crm.errors import IncompleteCrmRecord

__all__ = ["ACCOUNT_FIELDS", "FREQUENCIES", "LINE_COLUMNS", "STAGES", "LineDefaults", "account_fields", "customer_of",
           "instant", "line_of", "opportunity_of", "stage_names"]

ACCOUNT_FIELDS = ("Id", "Name", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry",
                  "CreatedDate", "Revflow_Id__c")
STAGES: dict[str, OpportunityStage] = {
    "Prospecting": OpportunityStage.PROSPECTING, "Qualification": OpportunityStage.QUALIFICATION,
    "Needs Analysis": OpportunityStage.QUALIFICATION, "Value Proposition": OpportunityStage.PROPOSAL,
    "Id. Decision Makers": OpportunityStage.PROPOSAL, "Perception Analysis": OpportunityStage.PROPOSAL,
    "Proposal/Price Quote": OpportunityStage.PROPOSAL, "Negotiation/Review": OpportunityStage.NEGOTIATION,
    "Closed Won": OpportunityStage.CLOSED_WON, "Closed Lost": OpportunityStage.CLOSED_LOST,
}
LINE_COLUMNS = ("Service_End_Date__c", "Billing_Frequency__c")
"""The custom line fields of an org prepared for revflow (read when the org has them)."""
FREQUENCIES: dict[str, BillingFrequency] = {
    "Monthly": BillingFrequency.MONTHLY, "Quarterly": BillingFrequency.QUARTERLY,
    "Semiannual": BillingFrequency.SEMIANNUAL, "Annual": BillingFrequency.ANNUAL,
    "One-time": BillingFrequency.ONE_TIME, "Usage": BillingFrequency.USAGE,
}


class LineDefaults:
    """What a line's record cannot say in this org: currency, term and billing frequency."""

    def __init__(self, currency: str, term_months: int, frequency: str) -> None:
        self.currency, self.term_months, self.frequency = currency, term_months, BillingFrequency(frequency)

    def of(self, record: dict[str, Any]) -> LineDefaults:
        """The defaults of one record: its own currency in a multi-currency org (``CurrencyIsoCode``)."""
        currency = record.get("CurrencyIsoCode")
        if not currency or currency == self.currency:
            return self
        return LineDefaults(str(currency), self.term_months, self.frequency.value)


def stage_names(stage: OpportunityStage) -> list[str]:
    """The org's stage names that mean ``stage``."""
    return [name for name, canonical in STAGES.items() if canonical is stage]


def instant(value: str) -> datetime:
    """A Salesforce datetime (``2024-05-01T10:00:00.000+0000``) as an aware instant."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def account_fields(account: Customer, currencies: tuple[str, ...] = ()) -> dict[str, Any]:
    """The Account fields that make the record equal ``account`` (as far as the org can hold it).

    ``currencies`` are the org's active currencies (none in a single-currency org): the account takes its own
    when the org has it active.
    """
    addr = account.billing_address
    street = addr.line1 if not addr.line2 else f"{addr.line1}\n{addr.line2}"
    fields = {"Name": account.name, "BillingStreet": street, "BillingCity": addr.city, "BillingState": addr.region,
              "BillingPostalCode": addr.postal_code, "BillingCountry": addr.country}
    if account.currency in currencies:
        fields["CurrencyIsoCode"] = account.currency
    return fields


def customer_of(record: dict[str, Any], currency: str) -> Customer:
    """An Account record as a canonical customer (``id`` is revflow's key, else the Salesforce id)."""
    street = (record.get("BillingStreet") or "").split("\n", 1)
    if not (street[0] and record.get("BillingCity") and record.get("BillingCountry")):
        raise IncompleteCrmRecord(f"Salesforce account {record['Id']} has no complete billing address "
                                  "(street, city and country are needed).", code="account_address_missing")
    address = PostalAddress(line1=street[0], line2=street[1] if len(street) > 1 else None, city=record["BillingCity"],
                            region=record.get("BillingState"), postal_code=record.get("BillingPostalCode"),
                            country=record["BillingCountry"])
    return Customer(id=record.get("Revflow_Id__c") or record["Id"], name=record["Name"],
                    currency=record.get("CurrencyIsoCode") or currency,
                    billing_address=address, created_at=instant(record["CreatedDate"]),
                    external_ids={System.CRM: record["Id"]})


def line_of(record: dict[str, Any], close: date, defaults: LineDefaults) -> DealLine:
    """A line item as a canonical deal line; ``close`` is its service start when the record has none."""
    sku = (record.get("Product2") or {}).get("ProductCode")
    quantity = record.get("Quantity")
    if not sku or not isinstance(quantity, int | float) or quantity != int(quantity):
        raise IncompleteCrmRecord(f"Salesforce line {record['Id']} needs a product code and a whole quantity.",
                                  code="line_incomplete")
    factor = 1 - Decimal(str(record.get("Discount") or 0)) / 100
    cur = defaults.currency
    start = date.fromisoformat(record["ServiceDate"]) if record.get("ServiceDate") else close
    end, frequency = _term(record, start, defaults)
    return DealLine(id=record["Id"], product_sku=sku, description=record.get("Description"), quantity=int(quantity),
                    list_price=money_of(record.get("ListPrice") or record["UnitPrice"], cur, "ListPrice"),
                    sale_price=money_of(record["UnitPrice"], cur, "UnitPrice", factor), service_start=start,
                    service_end=end, billing_frequency=frequency, external_ids={System.CRM: record["Id"]})


def _term(record: dict[str, Any], start: date, defaults: LineDefaults) -> tuple[date, BillingFrequency]:
    """A line's last day of service and billing frequency: its own fields, else the configured defaults."""
    given = record.get("Billing_Frequency__c")
    frequency = FREQUENCIES.get(given) if given else defaults.frequency
    if frequency is None:
        raise IncompleteCrmRecord(f"Salesforce line {record['Id']} has billing frequency {given!r}, which revflow "
                                  f"does not know (expected one of {', '.join(FREQUENCIES)}).", code="line_incomplete")
    end = date.fromisoformat(record["Service_End_Date__c"]) if record.get("Service_End_Date__c") \
        else term_end(start, defaults.term_months)
    if end < start:
        raise IncompleteCrmRecord(f"Salesforce line {record['Id']} ends ({end}) before its service starts ({start}).",
                                  code="line_incomplete")
    return end, frequency


def opportunity_of(record: dict[str, Any], lines: list[dict[str, Any]], defaults: LineDefaults) -> Opportunity:
    """An Opportunity record and its line items as a canonical opportunity."""
    defaults = defaults.of(record)
    stage = STAGES.get(record.get("StageName") or "")
    account = record.get("Account") or {}
    if stage is None or not record.get("AccountId"):
        raise IncompleteCrmRecord(f"Salesforce opportunity {record['Id']} has no account or an unknown stage "
                                  f"({record.get('StageName')!r}).", code="opportunity_incomplete")
    close = date.fromisoformat(record["CloseDate"])
    ordered = sorted(lines, key=lambda li: (li.get("SortOrder") or 0, li["Id"]))
    return Opportunity(id=record["Id"], name=record["Name"], customer_id=account.get("Revflow_Id__c") or
                       record["AccountId"], stage=stage, close_date=close, currency=defaults.currency,
                       lines=[line_of(li, close, defaults) for li in ordered],
                       closed_at=datetime.combine(close, time(0), UTC) if stage.is_closed else None,
                       renews_opportunity_id=record.get("Renewed_Opportunity__c") or None,
                       external_ids=_external_ids(record))


def _external_ids(record: dict[str, Any]) -> dict[System, str]:
    """The record's id, and revflow's key when revflow created it (``Revflow_Id__c``)."""
    ids = {System.CRM: str(record["Id"])}
    if record.get("Revflow_Id__c"):
        ids[System.REVFLOW] = str(record["Revflow_Id__c"])
    return ids
