"""Webhooks of the partner API: registrations, signed deliveries with retries and a log, redelivery.

Owns: the webhook store and the shared delivery schedule (``_store``), the signature scheme (``_signing``),
the dispatcher that attempts due deliveries (``_dispatch``) and the consumer handler that turns the process
tier's events into deliveries for the tenant whose deal they are about (``_events``). It must never deliver an
event to a webhook of another tenant, nor follow a receiver's redirect.
"""

from services.experience.partner.webhooks._dispatch import Dispatcher, DispatchPolicy, backoff
from services.experience.partner.webhooks._events import COMPLETED, NEEDS_ATTENTION, ProcessEvents, partner_event_type
from services.experience.partner.webhooks._service import WebhookService, check_url
from services.experience.partner.webhooks._signing import (
    SIGNATURE_HEADER,
    SignatureError,
    new_secret,
    sign,
    signature_header,
    verify,
)
from services.experience.partner.webhooks._store import DeliveryRecord, OutboundEvent, WebhookRecord, WebhookStore

__all__ = [
    "COMPLETED",
    "NEEDS_ATTENTION",
    "SIGNATURE_HEADER",
    "DeliveryRecord",
    "DispatchPolicy",
    "Dispatcher",
    "OutboundEvent",
    "ProcessEvents",
    "SignatureError",
    "WebhookRecord",
    "WebhookService",
    "WebhookStore",
    "backoff",
    "check_url",
    "new_secret",
    "partner_event_type",
    "sign",
    "signature_header",
    "verify",
]
