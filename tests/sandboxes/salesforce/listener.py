"""A tiny Outbound Message listener (an ASGI app served in a thread) that records what it receives.

It parses each SOAP ``notifications`` call and answers the ``notificationsResponse`` with ``<Ack>true</Ack>``
(or, when told to, with ``<Ack>false</Ack>`` for the first ``refuse`` calls), as a real listener would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

__all__ = ["Listener", "Notification", "parse_notifications"]

NS = {"soap": "http://schemas.xmlsoap.org/soap/envelope/", "om": "http://soap.sforce.com/2005/09/outbound",
      "sf": "urn:sobject.enterprise.soap.sforce.com",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
ACK = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
       'envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
       "<Ack>{}</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>")


@dataclass
class Notification:
    """One parsed notification."""

    organization_id: str
    action_id: str
    notification_id: str
    sobject_type: str
    fields: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


def parse_notifications(body: bytes) -> list[Notification]:
    """Parse a SOAP 1.1 ``notifications`` envelope into its notifications."""
    root = ElementTree.fromstring(body)
    node = root.find("soap:Body/om:notifications", NS)
    assert node is not None, body
    org, action = node.findtext("om:OrganizationId", "", NS), node.findtext("om:ActionId", "", NS)
    out = []
    for item in node.findall("om:Notification", NS):
        sobject = item.find("om:sObject", NS)
        assert sobject is not None
        values = {child.tag.split("}", 1)[1]: child.text or "" for child in sobject}
        out.append(Notification(org, action, item.findtext("om:Id", "", NS),
                                sobject.get(f"{{{NS['xsi']}}}type", ""), values))
    return out


class Listener:
    """ASGI app: records notifications; refuses (``<Ack>false</Ack>``) the first ``refuse`` calls."""

    def __init__(self, refuse: int = 0, status: int = 200) -> None:
        self.refuse = refuse
        self.status = status
        self.received: list[Notification] = []
        self._cond = threading.Condition()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._cond:
            ack = self.refuse <= 0
            self.refuse -= 1
            for note in parse_notifications(body):
                note.headers = headers
                self.received.append(note)
            self._cond.notify_all()
        payload = ACK.format("true" if ack else "false").encode()
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"text/xml; charset=utf-8")]})
        await send({"type": "http.response.body", "body": payload})

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Notification]:
        """Block until ``count`` notifications arrived (or fail the test)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"only {len(self.received)} of {count} notifications arrived"
                self._cond.wait(left)
            return list(self.received)
