"""Workflow Outbound Messages (SOAP 1.1 ``notifications``): parsing and the organization check.

Salesforce signs nothing: a message is accepted when its ``OrganizationId`` is the configured org's (the
15- and 18-character forms are the same org). Documents with a DTD are refused outright, so no entity
can ever be expanded. The org's workflow rule sends the message when a deal is won or lost; a message whose
``StageName`` is another stage is acknowledged and ignored (without the field, the record is read).
"""

from __future__ import annotations

from xml.etree import ElementTree

from services.system.crm.errors import WebhookRejected
from services.system.crm.ports import Notification

__all__ = ["NS", "parse_notifications"]

NS = "http://soap.sforce.com/2005/09/outbound"
_SF = "urn:sobject.enterprise.soap.sforce.com"
_CLOSED = ("Closed Won", "Closed Lost")


def _text(element: ElementTree.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _same_org(given: str, expected: str) -> bool:
    return bool(given) and given[:15] == expected[:15]


def parse_notifications(body: bytes, organization_id: str | None) -> list[Notification]:
    """The notifications of an Outbound Message from the expected org (``WebhookRejected`` otherwise)."""
    if not organization_id:
        raise WebhookRejected("No Salesforce organization id is configured; outbound messages are refused.")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise WebhookRejected("Outbound message refused: DTDs are not accepted.", code="payload_invalid")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise WebhookRejected(f"Outbound message is not XML: {exc}", code="payload_invalid") from None
    message = root.find(f".//{{{NS}}}notifications")
    if message is None:
        raise WebhookRejected("Outbound message has no notifications element.", code="payload_invalid")
    if not _same_org(_text(message.find(f"{{{NS}}}OrganizationId")), organization_id):
        raise WebhookRejected("Outbound message is from another Salesforce organization.", code="organization_invalid")
    found = []
    for note in message.findall(f"{{{NS}}}Notification"):
        sobject = note.find(f"{{{NS}}}sObject")
        record_id = _text(sobject.find(f"{{{_SF}}}Id")) if sobject is not None else ""
        stage = _text(sobject.find(f"{{{_SF}}}StageName")) if sobject is not None else ""
        if not _text(note.find(f"{{{NS}}}Id")) or not record_id.isalnum():
            raise WebhookRejected("Outbound message notification lacks its Id or record Id.", code="payload_invalid")
        found.append(Notification(id=_text(note.find(f"{{{NS}}}Id")), opportunity_id=record_id,
                                  closed=(stage in _CLOSED) if stage else None))
    return found
