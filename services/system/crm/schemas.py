"""Request and response bodies of the CRM API that are not canonical contract objects (v1)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from contracts.billing import InvoiceStatus
from contracts.deals import Opportunity
from contracts.money import Money

__all__ = ["FINANCE_FIELDS", "ClosedWonSyncV1", "FinanceStatusResultV1", "FinanceStatusV1", "OpportunityListV1",
           "WebhookAckV1"]

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


class ClosedWonSyncV1(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of one pull of closed-won deals."""

    examined: int
    """Closed-won deals the incremental query returned."""
    published: int
    """Of those, how many were a business change not announced before (one event each)."""
    watermark: str | None = None
    """The CRM modification instant the next pull starts from (ISO 8601)."""


class WebhookAckV1(msgspec.Struct, frozen=True, kw_only=True):
    """Answer to a HubSpot webhook delivery."""

    received: int
    """Events in the delivery."""
    duplicates: int = 0
    """Events seen before (acknowledged, nothing published)."""
    published: int = 0
    """``closed_won`` events published for this delivery."""
