"""Workflow Outbound Messages: the Opportunity notification as a SOAP 1.1 ``notifications`` call.

The workflow rule's criteria are the stages it fires for (``stages``, by default ``Closed Won``); each
Opportunity created in, or edited into, one of them becomes one message per listener URL, carrying one
``Notification`` (an ``04l…`` id) with the Opportunity's selected fields. A delivery counts only when the
listener answers 2xx with ``<Ack>true</Ack>`` in a ``notificationsResponse``; otherwise it is retried with
doubling delays, the same Notification Id each time (so a listener can see duplicates and must dedupe on it).
Sent messages can be sent again (``redeliver``, like the Retry of Setup's Outbound Messages delivery status) to
the listeners configured now. Sending happens on a background thread, never in a request handler.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import httpx

__all__ = ["Message", "OutboundConfig", "OutboundSender", "envelope", "is_ack"]

NS = "http://soap.sforce.com/2005/09/outbound"


@dataclass
class OutboundConfig:
    """Where and how the Outbound Message goes, and which stages its workflow rule fires for (changeable at runtime)."""

    urls: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    retry_delay: float = 1.0
    max_attempts: int = 10
    stages: list[str] = field(default_factory=lambda: ["Closed Won"])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {"urls": list(self.urls), "fields": list(self.fields), "retry_delay": self.retry_delay,
                "max_attempts": self.max_attempts, "stages": list(self.stages)}


@dataclass
class Message:
    """One SOAP message to one listener."""

    notification_id: str
    url: str
    body: bytes
    attempts: int = 0
    acked: bool = False


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # SOAP dateTime: Salesforce's "…000+0000" becomes "…000Z".
    return re.sub(r"\+0000$", "Z", text) if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else escape(text)


def envelope(org_id: str, action_id: str, base_url: str, notification_id: str, record: dict[str, Any],
             fields: list[str]) -> bytes:
    """The SOAP 1.1 envelope of one notification (null fields are left out, as Salesforce does)."""
    values = "".join(f"<sf:{name}>{_xml_value(record[name])}</sf:{name}>"
                     for name in ["Id", *[f for f in fields if f != "Id"]] if record.get(name) is not None)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<soapenv:Body><notifications xmlns="{NS}">'
        f"<OrganizationId>{org_id}</OrganizationId><ActionId>{action_id}</ActionId>"
        '<SessionId xsi:nil="true"/>'
        f"<EnterpriseUrl>{escape(base_url)}/services/Soap/c/62.0/{org_id[:15]}</EnterpriseUrl>"
        f"<PartnerUrl>{escape(base_url)}/services/Soap/u/62.0/{org_id[:15]}</PartnerUrl>"
        f"<Notification><Id>{notification_id}</Id>"
        f'<sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">{values}</sObject>'
        "</Notification></notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


def is_ack(status: int, body: bytes) -> bool:
    """Whether a listener's answer acknowledges the message (2xx and ``<Ack>true</Ack>``)."""
    if not 200 <= status < 300:
        return False
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return False
    acks = [el for el in root.iter() if el.tag in (f"{{{NS}}}Ack", "Ack")]
    return bool(acks) and (acks[0].text or "").strip().lower() == "true"


class OutboundSender:
    """Background sender with acknowledgement-driven retries."""

    def __init__(self, config: OutboundConfig) -> None:
        self.config = config
        self.log: list[dict[str, Any]] = []
        self.sent: dict[str, bytes] = {}
        """Every notification submitted so far: Notification Id -> SOAP body (what ``redeliver`` sends again)."""
        self._queue: queue.Queue[Message] = queue.Queue()
        self._pending = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, message: Message) -> None:
        """Queue a message for delivery."""
        self.sent.setdefault(message.notification_id, message.body)
        with self._lock:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbound-messages", daemon=True)
                self._thread.start()
        self._queue.put(message)

    def redeliver(self) -> int:
        """Send every notification sent so far again, same Notification Id, to the listeners configured now."""
        queued = 0
        for notification_id, body in list(self.sent.items()):
            for url in self.config.urls:
                self.submit(Message(notification_id, url, body))
                queued += 1
        return queued

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or being retried; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while True:
                message = self._queue.get()
                try:
                    self._deliver(client, message)
                finally:
                    with self._lock:
                        self._pending -= 1
                        self._lock.notify_all()

    def _deliver(self, client: httpx.Client, message: Message) -> None:
        delay = self.config.retry_delay
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""',
                   "User-Agent": "Salesforce - Outbound Notification", "Connection": "close"}
        while message.attempts < self.config.max_attempts:
            message.attempts += 1
            try:
                response = client.post(message.url, content=message.body, headers=headers)
                status, message.acked = response.status_code, is_ack(response.status_code, response.content)
            except httpx.HTTPError:
                status = None
            self.log.append({"notification_id": message.notification_id, "url": message.url,
                             "attempt": message.attempts, "status": status, "acked": message.acked})
            if message.acked:
                return
            time.sleep(delay)
            delay *= 2
