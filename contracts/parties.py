"""Parties: the customer (a CRM "account") with its addresses, contacts and tax ids.

One ``Customer`` is the same legal entity in every system: the CRM account, the billing customer, the ERP
customer record and the rev-rec customer, linked through ``external_ids``. Contract version: 1.
"""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec

from contracts.common import ExternalIds, Id, Instant, check_unique
from contracts.money import CurrencyCode, exponent

__all__ = [
    "EMAIL_PATTERN",
    "Contact",
    "ContactRole",
    "Customer",
    "PostalAddress",
    "TaxId",
]

CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code")]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
# Python's ``\s`` spelled out: JSON Schema patterns are ECMA-262, whose ``\s`` is another set of characters.
_EMAIL_PART = r"[^@\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
EMAIL_PATTERN = rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"
"""An address: no ``@`` or white space in its parts, and a dot in its domain."""
Email = Annotated[str, msgspec.Meta(pattern=EMAIL_PATTERN, max_length=254)]


class ContactRole(enum.StrEnum):
    """What a contact is for."""

    PRIMARY = "primary"
    BILLING = "billing"
    SHIPPING = "shipping"
    TECHNICAL = "technical"
    LEGAL = "legal"


class PostalAddress(msgspec.Struct, frozen=True, kw_only=True):
    """A postal address; ``country`` drives tax and entity selection downstream."""

    line1: NonEmpty
    line2: str | None = None
    city: NonEmpty
    region: str | None = None
    """State, province or county, as the local postal service writes it."""
    postal_code: str | None = None
    country: CountryCode


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """A person at the customer."""

    name: NonEmpty
    email: Email
    phone: str | None = None
    roles: list[ContactRole] = []
    external_ids: ExternalIds = {}


class TaxId(msgspec.Struct, frozen=True, kw_only=True):
    """A tax registration number of the customer (VAT, GST, EIN, ...)."""

    type: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}_[a-z_]+$", examples=["eu_vat", "us_ein", "au_abn"])]
    """``<country>_<scheme>`` in lower case, the vocabulary billing vendors share."""
    value: NonEmpty
    country: CountryCode | None = None


class Customer(msgspec.Struct, frozen=True, kw_only=True):
    """The paying legal entity: a CRM account, a billing customer, an ERP customer."""

    id: Id | None = None
    """The CRM account id; ``None`` before the CRM has assigned one."""
    name: NonEmpty
    legal_name: str | None = None
    """The name on invoices and contracts, when it differs from ``name``."""
    currency: CurrencyCode
    """The currency the customer is billed in."""
    billing_address: PostalAddress
    shipping_address: PostalAddress | None = None
    contacts: list[Contact] = []
    tax_ids: list[TaxId] = []
    tax_exempt: bool = False
    created_at: Instant | None = None
    external_ids: ExternalIds = {}

    def __post_init__(self) -> None:
        exponent(self.currency)
        check_unique("contacts[].email", (c.email.lower() for c in self.contacts))

    def contact_for(self, role: ContactRole) -> Contact | None:
        """Return the first contact with ``role``, or ``None``."""
        return next((c for c in self.contacts if role in c.roles), None)
