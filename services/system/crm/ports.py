"""The CRM connector port: everything the CRM API needs from a vendor, in canonical types.

A connector (``connectors/salesforce``, ``connectors/hubspot``) implements ``CrmConnector``; the service
depends on nothing else. Rules every connector keeps:

- Writes are upserts by revflow's key on the vendor's unique external-id field (Salesforce
  ``Revflow_Id__c``, HubSpot ``revflow_external_id``), so a retried write finds its record and never
  duplicates.
- Vendor refusals become ``ServiceError``s keeping the vendor's code and message, ``retryable`` and
  ``owner``; transport failures stay the runtime's ``UpstreamError``s.
- Lists and incremental queries are read to their last page. Vendor payload shapes never cross this port.
- Renewals and amendments are linked the vendor's way (custom lookups or properties on the deal); the port
  sees only the canonical ``Opportunity.renews_opportunity_id`` and ``Amendment``.
- Contacts are keyed like accounts (revflow's key in the same unique field) and belong to one account; the
  catalogue is read by SKU; a contract is the vendor's contract record, or what stands for one where the vendor
  has none (each connector documents its mapping).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import msgspec

from contracts.deals import Amendment, CustomerContract, Opportunity, OpportunityStage
from contracts.parties import Contact, Customer
from services.system.crm.schemas import CatalogItemV1, FinanceStatusResultV1, FinanceStatusV1

__all__ = ["ClosedDeal", "CreatedOpportunity", "CrmConnector", "DealChange", "Notification"]


class ClosedDeal(msgspec.Struct, frozen=True, kw_only=True):
    """A closed (won or lost) deal with what its event needs; the publisher decides which event that is."""

    opportunity: Opportunity
    closed_at: datetime
    version: str
    """The close version: stable across later edits of the record, new when the deal is closed again."""
    customer: Customer | None = None
    """The buyer, on a won deal that is not an amendment (the closed-won and renewed events carry it)."""
    amendment: Amendment | None = None
    """On a won amendment: the change it makes to the booked deal it links to."""
    loss_reason: str | None = None
    """On a lost deal: why, when the CRM says."""


class CreatedOpportunity(msgspec.Struct, frozen=True, kw_only=True):
    """An opportunity created through the API, as the CRM now holds it."""

    opportunity: Opportunity
    created: bool
    """False when the CRM already held the opportunity of this key (a repeat, or a retry after a lost answer)."""


class DealChange(msgspec.Struct, frozen=True, kw_only=True):
    """A deal an incremental query found, and when the CRM last modified it."""

    opportunity_id: str
    modified_at: datetime


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    """One authenticated push notification about an opportunity."""

    id: str
    """The vendor's notification / event id (the delivery deduplication key)."""
    opportunity_id: str
    closed: bool | None = None
    """Whether the notification says the deal is now closed, won or lost (None: it does not say; read the record)."""


class CrmConnector(Protocol):
    """One CRM behind the canonical CRM API."""

    name: str
    """The vendor (``salesforce``, ``hubspot``)."""

    async def aclose(self) -> None:
        """Release the connector's HTTP client."""
        ...

    async def upsert_account(self, key: str, account: Customer) -> Customer:
        """Create or update the account known by ``key``; a repeat creates nothing new."""
        ...

    async def get_account(self, key: str) -> Customer:
        """The account known by ``key`` (``CrmNotFound`` when the CRM has none)."""
        ...

    async def upsert_contact(self, account_key: str, key: str, contact: Contact) -> Contact:
        """Create or update the contact known by ``key`` at the account known by ``account_key``.

        A repeat creates nothing new. ``CrmNotFound`` when the account is unknown; a conflict (409) when ``key``
        names a contact of another account. The answer carries ``external_ids`` ``crm`` and ``revflow`` (``key``).
        """
        ...

    async def list_contacts(self, account_key: str) -> list[Contact]:
        """Every contact of the account that has an email address (``CrmNotFound`` when the account is unknown)."""
        ...

    async def list_products(self) -> list[CatalogItemV1]:
        """Every product of the catalogue whose code is a valid SKU, one per SKU, with its list prices."""
        ...

    async def get_product(self, sku: str) -> CatalogItemV1:
        """The product of ``sku`` with its list prices (``CrmNotFound`` when the catalogue has none)."""
        ...

    async def get_contract(self, contract_id: str) -> CustomerContract:
        """A contract with its signed amendments (``CrmNotFound`` when the CRM has none of that id)."""
        ...

    async def list_contracts(self, account_key: str) -> list[CustomerContract]:
        """Every contract of the account, oldest start first (``CrmNotFound`` when the account is unknown)."""
        ...

    async def get_opportunity(self, opportunity_id: str) -> Opportunity:
        """An opportunity with every line."""
        ...

    async def create_opportunity(self, key: str, opportunity: Opportunity) -> CreatedOpportunity:
        """Create ``opportunity`` with its lines, known at the CRM by ``key``, then move it to its stage.

        A repeat with the same key, or a retry after the CRM committed but its answer was lost, completes what is
        missing and leaves one opportunity with one set of lines. The stage is set last, so the CRM's own
        closed-won notification goes out with every line in place. Input the CRM cannot hold is refused
        (``OpportunityRefused``) before anything is written.
        """
        ...

    async def closed_deal(self, opportunity_id: str) -> ClosedDeal | None:
        """The deal when it is closed (won: with its buyer, or its amendment; lost: with the reason), else None."""
        ...

    async def amendments_of(self, opportunity_id: str) -> list[Amendment]:
        """The signed (closed-won) amendments linked to a booked opportunity (``CrmNotFound`` when it is unknown)."""
        ...

    async def find_deals(self, stage: OpportunityStage, since: datetime | None) -> list[DealChange]:
        """Every deal in ``stage`` modified at or after ``since`` (all when None), oldest change first."""
        ...

    async def write_finance_status(self, opportunity_id: str, status: FinanceStatusV1) -> FinanceStatusResultV1:
        """Write the finance status onto the opportunity's record (fields the org lacks are reported)."""
        ...

    async def verify_notifications(self, headers: Mapping[str, str], body: bytes, url: str) -> list[Notification]:
        """Authenticate a push delivery and read it (``WebhookRejected`` when not authentic)."""
        ...
