"""The panel as a HubSpot CRM card: the data-fetch response HubSpot renders in a deal record's sidebar.

The first result is the deal's finance status (status, subscription, next invoice, amounts); each open
exception follows as its own result, naming its owner and the fix. A record that is not a deal, or a deal
revflow has not seen, gets an empty card (``results: []``), which HubSpot shows as "no items" rather than as
an error on every deal page. Values are strings, as HubSpot's card properties are; money is a ``CURRENCY``
property with its ISO code, dates ``DATE``/``DATETIME``.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

from services.experience.crm_panel.schemas import (
    AmountV1,
    CardActionV1,
    CardPropertyV1,
    CardResultV1,
    DealPanelV1,
    HubSpotCardV1,
    NextInvoiceV1,
    OpenExceptionV1,
    Tone,
)

__all__ = ["card_of", "object_id_of"]

_OPTION = {Tone.SUCCESS: "SUCCESS", Tone.INFO: "INFO", Tone.WARNING: "WARNING", Tone.DANGER: "DANGER",
           Tone.DEFAULT: "DEFAULT"}
_OWNERS = {"sales_ops": "Sales ops", "finance_ops": "Finance ops", "billing_ops": "Billing ops",
           "integration": "Integration team"}
_STATES = {"parked": "Waiting for the fix, then resume", "dead_lettered": "Failed: retry after the fix",
           "retrying": "Retrying on its own"}
_IFRAME = {"width": 890, "height": 748}
_JS_SAFE = 2**53  # HubSpot's card is JavaScript: ids above this lose digits


def object_id_of(key: str) -> int:
    """A number for a card item: the key itself when it is a safe integer (HubSpot ids are), else a checksum."""
    if key.isascii() and key.isdigit() and int(key) < _JS_SAFE:
        return int(key)
    return zlib.crc32(key.encode())


def _money(label: str, value: AmountV1 | None) -> list[CardPropertyV1]:
    if value is None:
        return []
    return [CardPropertyV1(label=label, data_type="CURRENCY", value=value.decimal, currency_code=value.currency)]


def _date(label: str, value: date | None) -> list[CardPropertyV1]:
    return [CardPropertyV1(label=label, data_type="DATE", value=value.isoformat())] if value else []


def _next_invoice(invoice: NextInvoiceV1 | None) -> list[CardPropertyV1]:
    if invoice is None:
        return [CardPropertyV1(label="Next invoice", data_type="STRING", value="None scheduled")]
    words = {"open": "Open", "draft": "Draft (not issued yet)", "upcoming": "Upcoming"}[invoice.state]
    if invoice.number:
        words = f"{words}: {invoice.number}"
    return [CardPropertyV1(label="Next invoice", data_type="STRING", value=words),
            *_money("Amount due", invoice.amount_due),
            *_date("Due on" if invoice.state != "upcoming" else "Expected on", invoice.due_on or invoice.expected_on)]


def _status(panel: DealPanelV1) -> CardResultV1:
    properties = [CardPropertyV1(label="Finance status", data_type="STATUS", value=panel.finance_status_label,
                                 option_type=_OPTION[panel.tone])]  # type: ignore[arg-type]
    if panel.subscription_id:
        properties.append(CardPropertyV1(label="Subscription", data_type="STRING", value=panel.subscription_id))
    properties += _next_invoice(panel.next_invoice)
    if panel.amounts is not None:
        amounts = panel.amounts
        properties += [*_money("Booked", amounts.booked), *_money("Billed", amounts.billed),
                       *_money("Paid", amounts.paid), *_money("Outstanding", amounts.outstanding),
                       *_money("Recognised revenue", amounts.recognized)]
    properties.append(CardPropertyV1(label="Open exceptions", data_type="NUMERIC", value=str(len(panel.exceptions))))
    if panel.unavailable:
        properties.append(CardPropertyV1(label="Not available just now", data_type="STRING",
                                         value=", ".join(panel.unavailable)))
    title = f"{panel.customer} — {panel.finance_status_label}" if panel.customer else panel.finance_status_label
    return CardResultV1(object_id=object_id_of(panel.opportunity_id), title=title, link=panel.url,
                        properties=properties)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exception(item: OpenExceptionV1, url: str | None) -> CardResultV1:
    owner = _OWNERS.get(item.owner.value, item.owner.value)
    properties = [
        CardPropertyV1(label="State", data_type="STATUS", value=_STATES.get(item.technical_state, item.technical_state),
                       option_type="INFO" if item.technical_state == "retrying" else "DANGER"),
        CardPropertyV1(label="Owner", data_type="STRING", value=owner),
        CardPropertyV1(label="What happened", data_type="STRING", value=item.reason),
        CardPropertyV1(label="Fix", data_type="STRING", value=item.fix),
    ]
    if item.since is not None:
        properties.append(CardPropertyV1(label="Since", data_type="DATETIME", value=_instant(item.since)))
    return CardResultV1(object_id=object_id_of(item.workflow_id),
                        title=f"{owner} to act: {item.workflow} ({item.step})", link=url, properties=properties)


def card_of(panel: DealPanelV1 | None) -> HubSpotCardV1:
    """The card of a deal's panel (``None``: an empty card)."""
    if panel is None:
        return HubSpotCardV1(results=[])
    results = [_status(panel), *(_exception(e, panel.url) for e in panel.exceptions)]
    action = None
    if panel.url:
        action = CardActionV1(type="IFRAME", uri=panel.url, label="Open in revflow", associated_object_properties=[],
                              **_IFRAME)
    return HubSpotCardV1(results=results, primary_action=action)
