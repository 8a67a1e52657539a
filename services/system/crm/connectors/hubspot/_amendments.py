"""HubSpot amendment deals -> canonical amendments.

A portal prepared for revflow links an amendment deal to the booked deal it changes with deal properties:
``revflow_amends_deal_id`` (the booked deal's id) and ``revflow_amendment_effective_date`` (when the change takes
effect; else the amendment's close date). Signing is the amendment deal being won, at its ``closedate``.

Each line item of an amendment restates the terms a line has from the effective date, and says what it does:
``revflow_amendment_action`` (``add``, ``update``, ``remove``; left empty it means ``update`` when
``revflow_amends_line_item_id`` names a booked line item, else ``add``) and ``revflow_amends_line_item_id`` (the
booked line item an update or removal applies to). A removal's own terms are ignored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from contracts.catalog import BillingFrequency
from contracts.common import System
from contracts.deals import Amendment, AmendmentAction, LineChange, OpportunityStage
from services.system.crm.connectors.hubspot._mapping import STAGES, instant, line_of
from services.system.crm.errors import IncompleteCrmRecord

__all__ = ["AMENDS", "amendment_of"]

AMENDS = "revflow_amends_deal_id"
_Defaults = tuple[str, int, BillingFrequency]


def _incomplete(detail: str) -> IncompleteCrmRecord:
    return IncompleteCrmRecord(detail, code="amendment_incomplete")


def _change(record: dict[str, Any], effective: date, currency: str, defaults: _Defaults) -> LineChange:
    props = record.get("properties") or {}
    given, target = props.get("revflow_amendment_action") or None, props.get("revflow_amends_line_item_id") or None
    try:
        action = AmendmentAction(given) if given else (AmendmentAction.UPDATE if target else AmendmentAction.ADD)
    except ValueError:
        raise _incomplete(f"HubSpot amendment line item {record['id']} has action {given!r}, which revflow does not "
                          "know (expected add, update or remove).") from None
    if action is not AmendmentAction.ADD and target is None:
        raise _incomplete(f"HubSpot amendment line item {record['id']} is an {action.value} but names no booked line "
                          "item (revflow_amends_line_item_id).")
    _, term, frequency = defaults
    line = None if action is AmendmentAction.REMOVE else line_of(record, effective, currency, term, frequency)
    return LineChange(action=action, line_id=None if action is AmendmentAction.ADD else target, line=line)


def amendment_of(deal: dict[str, Any], lines: list[dict[str, Any]], defaults: _Defaults) -> Amendment:
    """An amendment deal (one with ``revflow_amends_deal_id``) and its line items as a canonical amendment."""
    props = deal.get("properties") or {}
    if not props.get("closedate"):
        raise _incomplete(f"HubSpot amendment deal {deal['id']} has no close date.")
    closed = instant(props["closedate"])
    given = props.get("revflow_amendment_effective_date")
    effective = date.fromisoformat(given[:10]) if given else closed.date()
    currency = props.get("deal_currency_code") or defaults[0]
    ordered = sorted(lines, key=lambda li: (Decimal((li.get("properties") or {}).get("hs_position_on_quote") or 0),
                                            int(li["id"])))
    changes = [_change(li, effective, currency, defaults) for li in ordered]
    signed = STAGES.get(props.get("dealstage") or "") is OpportunityStage.CLOSED_WON
    try:
        return Amendment(id=deal["id"], opportunity_id=props[AMENDS], effective_date=effective, currency=currency,
                         changed_lines=changes, reason=props.get("description") or None,
                         signed_at=closed if signed else None, external_ids={System.CRM: deal["id"]})
    except (TypeError, ValueError) as exc:
        raise _incomplete(f"HubSpot amendment deal {deal['id']} is not a valid amendment: {exc}") from None
