"""revflow's shared language: canonical objects, money, events and errors every service speaks.

What ``contracts`` owns:

- ``money``: ``Money`` (integer minor units + ISO 4217 code, never a float) and the one exponent table.
- ``parties``, ``catalog``, ``deals``, ``billing``, ``ledger``, ``revenue``, ``process``: the canonical
  business objects, as frozen, keyword-only ``msgspec.Struct`` s whose invariants are checked on construction
  and on decoding (a violated invariant is a ``msgspec.ValidationError`` naming the field).
- ``events``, ``event_catalog``, ``event_payloads``: the CloudEvents envelope, ``EVENT_CATALOG`` and the
  codec; ``asyncapi`` renders the catalogue to the committed ``asyncapi.yaml``.
- ``problems``: RFC 9457 problem details and the documented problem types.

What it must never do: import anything but msgspec and the standard library at import time (no service, no
runtime, no framework, no vendor SDK; ``asyncapi`` imports PyYAML only inside its build-time writer), perform
I/O, read settings, or hold state. Every service may import it; it imports none of them.

Versioning: each module's docstring states its contract version; a breaking change to a published shape is a
new major (a new payload Struct and ``.v<major>`` event type, a new OpenAPI major), never an edit in place.
Class names are unique across the package, so generated JSON Schema components never collide.
"""

from contracts.billing import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    Refund,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    UsageRecord,
)
from contracts.catalog import BillingFrequency, Price, PriceTier, Product
from contracts.common import ExternalIds, Instant, System
from contracts.deals import Amendment, DealLine, LineChange, Opportunity, OpportunityStage
from contracts.events import (
    EVENT_CATALOG,
    CloudEvent,
    EventSpec,
    UnknownEventTypeError,
    build_event,
    decode_event,
    decode_event_data,
    encode_event,
    new_event,
)
from contracts.ledger import EntrySide, GlAccountRef, JournalEntry, JournalLine
from contracts.money import CurrencyMismatchError, Money, UnknownCurrencyError, exponent
from contracts.parties import Contact, Customer, PostalAddress, TaxId
from contracts.process import BusinessStatus, ExceptionOwner
from contracts.revenue import (
    Allocation,
    PerformanceObligation,
    RecognitionPattern,
    RevenueContract,
    ScheduleLine,
)

__all__ = [
    "EVENT_CATALOG",
    "Allocation",
    "Amendment",
    "BillingFrequency",
    "BusinessStatus",
    "CloudEvent",
    "Contact",
    "CreditNote",
    "CreditNoteLine",
    "CurrencyMismatchError",
    "Customer",
    "DealLine",
    "EntrySide",
    "EventSpec",
    "ExceptionOwner",
    "ExternalIds",
    "GlAccountRef",
    "Instant",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "JournalEntry",
    "JournalLine",
    "LineChange",
    "Money",
    "Opportunity",
    "OpportunityStage",
    "Payment",
    "PerformanceObligation",
    "PostalAddress",
    "Price",
    "PriceTier",
    "Product",
    "RecognitionPattern",
    "Refund",
    "RevenueContract",
    "ScheduleLine",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionStatus",
    "System",
    "TaxId",
    "UnknownCurrencyError",
    "UnknownEventTypeError",
    "UsageRecord",
    "build_event",
    "decode_event",
    "decode_event_data",
    "encode_event",
    "exponent",
    "new_event",
]
