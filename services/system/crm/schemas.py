"""Request and response bodies of the CRM API that are not canonical contract objects (v1)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from contracts.billing import InvoiceStatus
from contracts.catalog import Price, Product
from contracts.deals import Amendment, CustomerContract, Opportunity
from contracts.money import Money
from contracts.parties import Contact

__all__ = ["FINANCE_FIELDS", "AmendmentListV1", "CatalogItemV1", "ClosedLostSyncV1", "ClosedWonSyncV1",
           "ContactListV1", "ContractListV1", "FinanceStatusResultV1", "FinanceStatusV1", "OpportunityListV1",
           "ProductListV1", "WebhookAckV1"]

FINANCE_FIELDS = ("invoice_status", "subscription_id", "revenue_recognized")
"""The canonical finance-status fields, in the order they are reported."""

_Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]


class FinanceStatusV1(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where a won deal stands in finance, written back to the CRM record so sales sees it where they work."""

    invoice_status: InvoiceStatus | None = None
    """Status of the deal's latest invoice."""
    subscription_id: _Ref | None = None
    """The billing subscription the deal became."""
    revenue_recognized: Money | None = None
    """Revenue recognised to date on the deal (non-negative)."""

    def __post_init__(self) -> None:
        if self.revenue_recognized is not None and self.revenue_recognized.is_negative:
            raise ValueError("revenue_recognized: must not be negative")


class FinanceStatusResultV1(msgspec.Struct, frozen=True, kw_only=True):
    """What the CRM now shows, and which canonical fields the CRM has nowhere to keep."""

    opportunity_id: str
    status: FinanceStatusV1
    """The finance status as read back from the CRM record (fields the CRM lacks are null)."""
    stored: list[str]
    """Canonical fields written to the CRM record."""
    unsupported: list[str]
    """Canonical fields this CRM org has no field for (``FINANCE_FIELDS`` names); nothing was written for them."""


class OpportunityListV1(msgspec.Struct, frozen=True, kw_only=True):
    """Opportunities found at the CRM (every vendor page read)."""

    data: list[Opportunity]


class AmendmentListV1(msgspec.Struct, frozen=True, kw_only=True):
    """The signed amendments of a booked opportunity, in the order they take effect."""

    data: list[Amendment]


class ContactListV1(msgspec.Struct, frozen=True, kw_only=True):
    """The contacts of an account (every CRM page read)."""

    data: list[Contact]


class CatalogItemV1(msgspec.Struct, frozen=True, kw_only=True):
    """A product of the CRM's catalogue with its list prices (at most one per currency)."""

    product: Product
    prices: list[Price]
    """The product's list prices in the CRM's standard price book, by currency."""


class ProductListV1(msgspec.Struct, frozen=True, kw_only=True):
    """The CRM's product catalogue, by SKU (every CRM page read)."""

    data: list[CatalogItemV1]


class ContractListV1(msgspec.Struct, frozen=True, kw_only=True):
    """The contracts of an account, oldest start first (every CRM page read)."""

    data: list[CustomerContract]


class ClosedWonSyncV1(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of one pull of closed-won deals (new business, renewals and amendments)."""

    examined: int
    """Closed-won deals the incremental query returned."""
    published: int
    """How many were a business change not announced before (one ``closed_won``, ``renewed`` or ``amended`` event
    each), deals retried from earlier pulls included."""
    watermark: str | None = None
    """The CRM modification instant the next pull starts from (ISO 8601)."""
    incomplete: list[str] = []
    """Won deals not announced because their CRM record is incomplete (sales ops' to fix); every later pull tries
    them again until they are announced."""


class ClosedLostSyncV1(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of one pull of closed-lost deals."""

    examined: int
    """Closed-lost deals the incremental query returned."""
    published: int
    """How many were a loss not announced before (one ``lost`` event each), deals retried from earlier pulls
    included."""
    watermark: str | None = None
    """The CRM modification instant the next pull starts from (ISO 8601)."""
    incomplete: list[str] = []
    """Lost deals not announced because their CRM record is incomplete; every later pull tries them again."""


class WebhookAckV1(msgspec.Struct, frozen=True, kw_only=True):
    """Answer to a HubSpot webhook delivery."""

    received: int
    """Events in the delivery."""
    duplicates: int = 0
    """Events seen before (acknowledged, nothing published)."""
    published: int = 0
    """Events (``closed_won``, ``renewed``, ``amended``, ``lost``) published for this delivery."""
