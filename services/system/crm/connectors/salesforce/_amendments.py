"""Salesforce amendment Opportunities -> canonical amendments.

An org prepared for revflow links an amendment the way Salesforce CPQ links one to its contract
(``SBQQ__AmendedContract__c``), with fields on the Opportunity:

- ``Amended_Opportunity__c`` (lookup to Opportunity): the booked deal the amendment changes;
- ``Amendment_Effective_Date__c``: when the change takes effect (else the amendment's close date); signing is
  the amendment being won, at its close date.

Each line item of an amendment restates the terms a line has from the effective date, and says what it does:
``Amendment_Action__c`` (``Add``, ``Update``, ``Remove``; left empty it means ``Update`` when
``Amended_Line_Id__c`` names a booked line, else ``Add``) and ``Amended_Line_Id__c`` (the booked line an update or
removal applies to; Salesforce allows no lookup to a line item, so it is the line's id as text). A removal's own
terms are ignored: Salesforce needs a product and a non-zero quantity on every line, so sales restates the line.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from contracts.common import System
from contracts.deals import Amendment, AmendmentAction, LineChange, OpportunityStage
from services.system.crm.connectors.salesforce._mapping import STAGES, LineDefaults, line_of
from services.system.crm.errors import IncompleteCrmRecord

__all__ = ["AMENDED", "AMENDMENT_LINE_COLUMNS", "OPPORTUNITY_COLUMNS", "amendment_of"]

AMENDED = "Amended_Opportunity__c"
OPPORTUNITY_COLUMNS = ("Renewed_Opportunity__c", AMENDED, "Amendment_Effective_Date__c", "Loss_Reason__c")
"""The custom Opportunity fields of renewals, amendments and losses (read when the org has them)."""
AMENDMENT_LINE_COLUMNS = ("Amendment_Action__c", "Amended_Line_Id__c")
"""The custom line fields of amendments (read when the org has them)."""
ACTIONS = {"Add": AmendmentAction.ADD, "Update": AmendmentAction.UPDATE, "Remove": AmendmentAction.REMOVE}


def _incomplete(detail: str) -> IncompleteCrmRecord:
    return IncompleteCrmRecord(detail, code="amendment_incomplete")


def _change(record: dict[str, Any], effective: date, defaults: LineDefaults) -> LineChange:
    given, target = record.get("Amendment_Action__c"), record.get("Amended_Line_Id__c") or None
    action = ACTIONS.get(given) if given else (AmendmentAction.UPDATE if target else AmendmentAction.ADD)
    if action is None:
        raise _incomplete(f"Salesforce amendment line {record['Id']} has action {given!r}, which revflow does not "
                          f"know (expected one of {', '.join(ACTIONS)}).")
    if action is not AmendmentAction.ADD and target is None:
        raise _incomplete(f"Salesforce amendment line {record['Id']} is an {action.value} but names no booked line "
                          "(Amended_Line_Id__c).")
    line = None if action is AmendmentAction.REMOVE else line_of(record, effective, defaults)
    return LineChange(action=action, line_id=None if action is AmendmentAction.ADD else target, line=line)


def amendment_of(record: dict[str, Any], lines: list[dict[str, Any]], defaults: LineDefaults) -> Amendment:
    """An amendment Opportunity (one with ``Amended_Opportunity__c``) and its line items as a canonical amendment."""
    defaults = defaults.of(record)
    close = date.fromisoformat(record["CloseDate"])
    effective = date.fromisoformat(record["Amendment_Effective_Date__c"]) \
        if record.get("Amendment_Effective_Date__c") else close
    ordered = sorted(lines, key=lambda li: (li.get("SortOrder") or 0, li["Id"]))
    changes = [_change(li, effective, defaults) for li in ordered]
    signed = STAGES.get(record.get("StageName") or "") is OpportunityStage.CLOSED_WON
    try:
        return Amendment(id=record["Id"], opportunity_id=record[AMENDED], effective_date=effective,
                         currency=defaults.currency, changed_lines=changes, reason=record.get("Description") or None,
                         signed_at=datetime.combine(close, time(0), UTC) if signed else None,
                         external_ids={System.CRM: record["Id"]})
    except (TypeError, ValueError) as exc:
        raise _incomplete(f"Salesforce amendment {record['Id']} is not a valid amendment: {exc}") from None
