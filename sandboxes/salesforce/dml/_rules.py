"""What the org computes on save: formula-like fields, roll-ups, price-book rules, stage-change events.

These are the standard behaviours a quote-to-cash connector relies on: an Opportunity's ``IsWon`` and
``Amount`` (the sum of its line items), line-item prices from the price book, a product's standard price
before any custom one, contract end dates, order numbers. With multiple currencies, a price book lists a
product once per currency, a line item takes its opportunity's currency and needs an entry in it, and an
opportunity with line items keeps its currency.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from ..errors import SalesforceError
from ..schema import CORPORATE_CURRENCY, STAGES
from ..store import OrgState

__all__ = ["after_delete", "after_save", "before_save"]

def _currency(record: dict[str, Any]) -> str:
    """A record's currency (records stored before the org activated currencies are in the corporate one)."""
    return str(record.get("CurrencyIsoCode") or CORPORATE_CURRENCY)


def _integrity(message: str, fields: list[str]) -> SalesforceError:
    return SalesforceError(400, "FIELD_INTEGRITY_EXCEPTION", f"field integrity exception: {message}", fields)


def _opportunity(state: OrgState, new: dict[str, Any], old: dict[str, Any] | None, given: set[str]) -> None:
    if old is not None and _currency(new) != _currency(old) and any(
            li["OpportunityId"] == new["Id"] for li in state.records["OpportunityLineItem"].values()):
        raise _integrity("CurrencyIsoCode (an opportunity with line items cannot change its currency)",
                         ["CurrencyIsoCode"])
    stage = STAGES.get(new["StageName"])
    if stage is None:
        return
    probability, closed, won, forecast = stage
    new["IsClosed"], new["IsWon"] = closed, won
    if old is None or old["StageName"] != new["StageName"]:
        if "Probability" not in given:
            new["Probability"] = float(probability)
        if "ForecastCategoryName" not in given:
            new["ForecastCategoryName"] = forecast


def _pricebook_entry(state: OrgState, new: dict[str, Any], old: dict[str, Any] | None, given: set[str]) -> None:
    product = state.get("Product2", new["Product2Id"])
    new["Name"], new["ProductCode"] = product["Name"], product["ProductCode"]
    if old is not None:
        return
    book = state.get("Pricebook2", new["Pricebook2Id"])
    entries = [e for e in state.records["PricebookEntry"].values()
               if e["Product2Id"] == product["Id"] and _currency(e) == _currency(new)]
    if any(e["Pricebook2Id"] == book["Id"] for e in entries):
        raise SalesforceError(400, "DUPLICATE_VALUE", "This price definition already exists in this price book", [])
    if book["IsStandard"]:
        if new["UseStandardPrice"]:
            raise _integrity("UseStandardPrice (cannot use standard price in the standard price book)",
                             ["UseStandardPrice"])
        return
    standard = next((e for e in entries if state.records["Pricebook2"][e["Pricebook2Id"]]["IsStandard"]), None)
    if standard is None:
        raise SalesforceError(400, "STANDARD_PRICE_NOT_DEFINED",
                              "Before creating a custom price, create a standard price.", [])
    if new["UseStandardPrice"]:
        new["UnitPrice"] = standard["UnitPrice"]


def _line_entry(state: OrgState, new: dict[str, Any], opp: dict[str, Any]) -> dict[str, Any]:
    if new["PricebookEntryId"]:
        return state.get("PricebookEntry", new["PricebookEntryId"])
    if not new["Product2Id"]:
        raise SalesforceError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [PricebookEntryId]",
                              ["PricebookEntryId"])
    book = opp["Pricebook2Id"] or state.standard_pricebook()["Id"]
    entry = next((e for e in state.records["PricebookEntry"].values()
                  if e["Product2Id"] == new["Product2Id"] and e["Pricebook2Id"] == book
                  and _currency(e) == _currency(opp)), None)
    if entry is None:
        raise _integrity("Product2Id (no price book entry for this product in the opportunity's price book)",
                         ["Product2Id"])
    return entry


def _line_prices(new: dict[str, Any], old: dict[str, Any] | None, given: set[str]) -> None:
    if old is None and ("UnitPrice" in given) == ("TotalPrice" in given):
        raise _integrity("unknown (must specify either UnitPrice or TotalPrice, but not both)", [])
    if "UnitPrice" in given and "TotalPrice" in given:
        raise _integrity("unknown (must specify either UnitPrice or TotalPrice, but not both)", [])
    quantity, discount = new["Quantity"], new["Discount"] or 0.0
    if quantity == 0:
        raise _integrity("Quantity (quantity must be nonzero)", ["Quantity"])
    if "TotalPrice" in given:
        new["UnitPrice"] = round(new["TotalPrice"] / quantity / (1 - discount / 100), 2)
    else:
        new["TotalPrice"] = round(quantity * new["UnitPrice"] * (1 - discount / 100), 2)


def _line_item(state: OrgState, new: dict[str, Any], old: dict[str, Any] | None, given: set[str]) -> None:
    opp = state.get("Opportunity", new["OpportunityId"])
    if old is None:
        entry = _line_entry(state, new, opp)
        if _currency(entry) != _currency(opp):
            raise _integrity("PricebookEntryId (pricebook entry currency code does not match opportunity currency "
                             "code)", ["PricebookEntryId"])
        if opp["Pricebook2Id"] is None:
            state.touch(opp)["Pricebook2Id"] = entry["Pricebook2Id"]
        elif opp["Pricebook2Id"] != entry["Pricebook2Id"]:
            raise _integrity("PricebookEntryId (pricebook entry is in a different pricebook than the one assigned "
                             "to the opportunity)", ["PricebookEntryId"])
        product = state.get("Product2", entry["Product2Id"])
        new.update(PricebookEntryId=entry["Id"], Product2Id=product["Id"], ListPrice=entry["UnitPrice"],
                   CurrencyIsoCode=_currency(opp),
                   ProductCode=product["ProductCode"], Name=f"{opp['Name']} {product['Name']}")
    _line_prices(new, old, given)


def _add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _contract(state: OrgState, new: dict[str, Any], old: dict[str, Any] | None, given: set[str]) -> None:
    if old is None:
        new["ContractNumber"] = state.next_number("ContractNumber")
    start, term = new["StartDate"], new["ContractTerm"]
    new["EndDate"] = (_add_months(date.fromisoformat(start), term) - timedelta(days=1)).isoformat() \
        if start and term else None


def _order(state: OrgState, new: dict[str, Any], old: dict[str, Any] | None, given: set[str]) -> None:
    if old is None:
        new["OrderNumber"] = state.next_number("OrderNumber")
        new["TotalAmount"] = 0.0
        if new["Status"] != "Draft":
            raise SalesforceError(400, "FIELD_INTEGRITY_EXCEPTION", "You can't create an order with a status other "
                                  "than Draft.", ["Status"])


def _contact(state: OrgState, new: dict[str, Any], old: dict[str, Any] | None, given: set[str]) -> None:
    new["Name"] = " ".join(part for part in (new["FirstName"], new["LastName"]) if part)


_BEFORE = {"Opportunity": _opportunity, "PricebookEntry": _pricebook_entry, "OpportunityLineItem": _line_item,
           "Contract": _contract, "Order": _order, "Contact": _contact}


def before_save(state: OrgState, sobject: str, new: dict[str, Any], old: dict[str, Any] | None,
                given: set[str]) -> None:
    """Compute derived fields and enforce the object's rules before ``new`` is stored."""
    rule = _BEFORE.get(sobject)
    if rule is not None:
        rule(state, new, old, given)


def _roll_up(state: OrgState, opportunity_id: str) -> None:
    opp = state.records["Opportunity"].get(opportunity_id)
    if opp is None:
        return
    lines = [li for li in state.records["OpportunityLineItem"].values() if li["OpportunityId"] == opportunity_id]
    state.touch(opp)
    opp["HasOpportunityLineItem"] = bool(lines)
    opp["Amount"] = round(sum(li["TotalPrice"] for li in lines), 2) if lines else opp["Amount"]
    opp["LastModifiedDate"] = opp["SystemModstamp"] = state.stamp()


def after_save(state: OrgState, sobject: str, new: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Roll-ups and events once ``new`` is stored."""
    if sobject == "OpportunityLineItem":
        _roll_up(state, new["OpportunityId"])
    elif sobject == "Opportunity" and (old is None or old["StageName"] != new["StageName"]):
        # Every stage change is left for the workflow rule, whose criteria (the stages its Outbound Message is
        # sent for) the notifier applies: "created, and every time it's edited to subsequently meet criteria".
        state.events.append({"sobject": "Opportunity", "id": new["Id"], "stage": new["StageName"],
                             "old_stage": old["StageName"] if old is not None else None})


def after_delete(state: OrgState, sobject: str, record: dict[str, Any]) -> None:
    """Roll-ups once ``record`` is deleted."""
    if sobject == "OpportunityLineItem":
        _roll_up(state, record["OpportunityId"])
